//! Shared by the parse and check tests: a small signature table shaped like
//! the stdlib's, and helpers to look at spans and diagnostics.
#![allow(dead_code)]

use runbook_dsl::{Class, Signature, SignatureTable, Span};

fn sig(
    module: Option<&'static str>,
    receiver: Option<&'static str>,
    name: &'static str,
    params: &'static [&'static str],
    optional: usize,
    class: Class,
) -> Signature {
    Signature {
        module,
        name,
        receiver,
        params,
        optional,
        class,
        doc: "",
    }
}

/// `kube::deployment/statefulset/pods`, `pg::connect`, `env`, `now`, and
/// the handle methods the example runbooks use.
pub fn table() -> SignatureTable {
    use Class::*;
    SignatureTable::new(vec![
        sig(
            Some("kube"),
            None,
            "deployment",
            &["namespace", "name"],
            0,
            Read,
        ),
        sig(
            Some("kube"),
            None,
            "statefulset",
            &["namespace", "name"],
            0,
            Read,
        ),
        sig(
            Some("kube"),
            None,
            "pods",
            &["namespace", "selector"],
            0,
            Read,
        ),
        sig(Some("pg"), None, "connect", &["url"], 0, Read),
        sig(None, None, "env", &["name", "default"], 1, Read),
        sig(None, None, "now", &[], 0, Read),
        sig(None, None, "sh", &["command"], 0, Effect),
        sig(None, Some("Deployment"), "scale", &["replicas"], 0, Effect),
        sig(None, Some("Deployment"), "replicas", &[], 0, Read),
        sig(None, Some("Deployment"), "rollout_complete", &[], 0, Read),
        sig(None, Some("StatefulSet"), "restart", &[], 0, Effect),
        sig(None, Some("Pods"), "running", &[], 0, Read),
        sig(None, Some("Pods"), "restarts", &[], 0, Read),
        sig(None, Some("Db"), "query_one", &["sql", "params"], 1, Read),
        sig(None, Some("Db"), "execute", &["sql", "params"], 1, Effect),
        sig(None, Some("Db"), "scalar", &["sql", "params"], 1, Read),
    ])
}

/// The text a span covers.
pub fn text(src: &str, span: Span) -> &str {
    &src[span.start..span.end]
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

pub fn code(d: &dyn miette::Diagnostic) -> String {
    d.code().map(|c| c.to_string()).unwrap_or_default()
}
