//! Shared by the dsl test targets: a signature table shaped like the
//! stdlib's (the real one lives in `runbook-stdlib`, which depends on this
//! crate) and the fixed-width renderer the goldens use.
#![allow(dead_code)] // each test target uses a different part

use runbook_dsl::{Class, Signature, SignatureTable};

const fn sig(
    module: Option<&'static str>,
    receiver: Option<&'static str>,
    name: &'static str,
    params: &'static [&'static str],
    class: Class,
) -> Signature {
    Signature {
        module,
        name,
        receiver,
        params,
        optional: 0,
        class,
        doc: "",
    }
}

/// The functions the test runbooks call.
pub fn table() -> SignatureTable {
    use Class::{Effect, Read};
    SignatureTable::new(vec![
        sig(
            Some("kube"),
            None,
            "deployment",
            &["namespace", "name"],
            Read,
        ),
        sig(Some("kube"), None, "pods", &["namespace", "selector"], Read),
        sig(Some("kube"), None, "apply", &["namespace", "yaml"], Effect),
        sig(Some("pg"), None, "connect", &["url"], Read),
        sig(None, Some("Deployment"), "replicas", &[], Read),
        sig(None, Some("Deployment"), "scale", &["n"], Effect),
        sig(None, Some("Deployment"), "rollout_complete", &[], Read),
        sig(None, Some("Deployment"), "restart", &[], Effect),
        sig(None, Some("Pods"), "running", &[], Read),
        sig(None, Some("Pg"), "scalar", &["sql"], Read),
        sig(None, Some("Pg"), "execute", &["sql"], Effect),
        sig(None, None, "sh", &["command"], Effect),
        sig(None, None, "env", &["name"], Read),
        sig(None, None, "file", &["path"], Read),
        sig(None, None, "shell_quote", &["value"], Read),
    ])
}

/// miette's graphical report, unicode without colours, 80 columns wide.
pub fn render(diagnostic: &dyn miette::Diagnostic, name: &str, source: &str) -> String {
    struct WithSource<'a> {
        inner: &'a dyn miette::Diagnostic,
        source: miette::NamedSource<String>,
    }
    impl std::fmt::Debug for WithSource<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            std::fmt::Debug::fmt(self.inner, f)
        }
    }
    impl std::fmt::Display for WithSource<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            std::fmt::Display::fmt(self.inner, f)
        }
    }
    impl std::error::Error for WithSource<'_> {}
    impl miette::Diagnostic for WithSource<'_> {
        fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
            self.inner.code()
        }
        fn severity(&self) -> Option<miette::Severity> {
            self.inner.severity()
        }
        fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
            self.inner.help()
        }
        fn url<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
            self.inner.url()
        }
        fn source_code(&self) -> Option<&dyn miette::SourceCode> {
            Some(&self.source)
        }
        fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
            self.inner.labels()
        }
        fn related<'a>(
            &'a self,
        ) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
            self.inner.related()
        }
        fn diagnostic_source(&self) -> Option<&dyn miette::Diagnostic> {
            self.inner.diagnostic_source()
        }
    }
    let wrapped = WithSource {
        inner: diagnostic,
        source: miette::NamedSource::new(name, source.to_string()),
    };
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(80)
            .with_links(false);
    let mut out = String::new();
    handler
        .render_report(&mut out, &wrapped)
        .expect("rendering into a String");
    out
}
