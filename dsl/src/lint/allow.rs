//! `# lint:allow(name, …) reason`: waive warnings for the node below.
//!
//! The comment applies to the param, let, section, step or statement that
//! starts right after it, and to everything inside that node. Some warnings
//! are deliberate (a load test has nothing to undo); the reason stays next
//! to the code for the reviewer.

use super::walk::{all_steps, walk_block, StmtContext};
use super::{LintWarning, LINT_NAMES};
use crate::ast::{Comment, Runbook, Span};

const PREFIX: &str = "lint:allow(";

struct Directive {
    names: Vec<String>,
    target: Span,
}

/// What a `# lint:allow(…) reason` comment says.
struct Parsed {
    names: Vec<String>,
    has_reason: bool,
}

/// Drop waived warnings; add one for every unknown name in a directive and
/// for a directive that does not say why.
pub(crate) fn apply(rb: &Runbook, mut warnings: Vec<LintWarning>) -> Vec<LintWarning> {
    let mut directives = Vec::new();
    let mut targets: Option<Vec<Span>> = None;
    for comment in &rb.comments {
        let Some(Parsed { names, has_reason }) = parse(comment) else {
            continue;
        };
        if !has_reason {
            warnings.push(LintWarning::AllowWithoutReason {
                span: comment.span.into(),
            });
        }
        for name in &names {
            if !LINT_NAMES.contains(&name.as_str()) {
                warnings.push(LintWarning::UnknownAllow {
                    name: name.clone(),
                    known: LINT_NAMES.join(", "),
                    span: comment.span.into(),
                });
            }
        }
        let targets = targets.get_or_insert_with(|| node_spans(rb));
        // The first node starting after the comment; the outermost one when
        // several start there (a step and… nothing else starts with it).
        let target = targets
            .iter()
            .filter(|s| s.start >= comment.span.end)
            .min_by_key(|s| (s.start, usize::MAX - s.end));
        if let Some(target) = target {
            directives.push(Directive {
                names,
                target: *target,
            });
        }
    }
    if directives.is_empty() {
        return warnings;
    }
    warnings.retain(|w| {
        let at = w.span().offset();
        !directives.iter().any(|d| {
            d.names.iter().any(|n| n == w.name())
                && (d.target.start..d.target.end.max(d.target.start + 1)).contains(&at)
        })
    });
    warnings
}

/// `# lint:allow(a, b) reason` → `["a", "b"]`, with a reason.
fn parse(comment: &Comment) -> Option<Parsed> {
    let body = comment.text.trim_start_matches('#').trim_start();
    let rest = body.strip_prefix(PREFIX)?;
    let close = rest.find(')')?;
    let names = rest[..close]
        .split(',')
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let has_reason = !rest[close + 1..].trim().is_empty();
    Some(Parsed { names, has_reason })
}

/// Every node a directive can sit above.
fn node_spans(rb: &Runbook) -> Vec<Span> {
    let mut spans: Vec<Span> = rb.meta.iter().map(|m| m.span).collect();
    for item in &rb.items {
        spans.push(item.span());
    }
    for step in all_steps(rb) {
        spans.push(step.span);
        walk_block(&step.body, StmtContext::default(), &mut |stmt, _| {
            spans.push(stmt.span)
        });
    }
    if let Some(rollback) = &rb.rollback {
        spans.push(rollback.span);
    }
    spans
}
