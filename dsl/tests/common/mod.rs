//! Shared by the parse and check tests: a small signature table shaped like
//! the stdlib's, and helpers to look at spans and diagnostics.
#![allow(dead_code)]

use runbook_dsl::{Class, Signature, SignatureTable, Span};

/// `kube::deployment/statefulset/pods`, `pg::connect`, `env`, `now`, and
/// the handle methods the example runbooks use.
pub fn table() -> SignatureTable {
    use Class::*;
    SignatureTable::new(vec![
        Signature::module_fn("kube", "deployment", &["namespace", "name"], Read),
        Signature::module_fn("kube", "statefulset", &["namespace", "name"], Read),
        Signature::module_fn("kube", "pods", &["namespace", "selector"], Read),
        Signature::module_fn("pg", "connect", &["url"], Read),
        Signature::free_fn("env", &["name", "default"], Read).with_optional(1),
        Signature::free_fn("now", &[], Read),
        Signature::free_fn("sh", &["command"], Effect),
        Signature::method("Deployment", "scale", &["replicas"], Effect),
        Signature::method("Deployment", "replicas", &[], Read),
        Signature::method("Deployment", "rollout_complete", &[], Read),
        Signature::method("StatefulSet", "restart", &[], Effect),
        Signature::method("Pods", "running", &[], Read),
        Signature::method("Pods", "restarts", &[], Read),
        Signature::method("Db", "query_one", &["sql", "params"], Read).with_optional(1),
        Signature::method("Db", "execute", &["sql", "params"], Effect).with_optional(1),
        Signature::method("Db", "scalar", &["sql", "params"], Read).with_optional(1),
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
