//! Shared by the dsl test targets: a signature table shaped like the
//! stdlib's (the real one lives in `runbook-stdlib`, which depends on this
//! crate) and the fixed-width renderer the goldens use.
#![allow(dead_code)] // each test target uses a different part

use runbook_dsl::{Class, Signature, SignatureTable};

/// The functions the test runbooks call.
pub fn table() -> SignatureTable {
    use Class::{Effect, Read};
    SignatureTable::new(vec![
        Signature::module_fn("kube", "deployment", &["namespace", "name"], Read),
        Signature::module_fn("kube", "pods", &["namespace", "selector"], Read),
        Signature::module_fn("kube", "apply", &["namespace", "yaml"], Effect),
        Signature::module_fn("pg", "connect", &["url"], Read),
        Signature::method("Deployment", "replicas", &[], Read),
        Signature::method("Deployment", "scale", &["n"], Effect),
        Signature::method("Deployment", "rollout_complete", &[], Read),
        Signature::method("Deployment", "restart", &[], Effect),
        Signature::method("Pods", "running", &[], Read),
        Signature::method("Pg", "scalar", &["sql"], Read),
        Signature::method("Pg", "execute", &["sql"], Effect),
        Signature::free_fn("sh", &["command"], Effect),
        Signature::free_fn("env", &["name"], Read),
        Signature::free_fn("file", &["path"], Read),
        Signature::free_fn("shell_quote", &["value"], Read),
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
