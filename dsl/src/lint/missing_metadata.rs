//! `missing_metadata`: no `id` or `owner` to tell whose runbook this is.

use super::{Input, LintWarning};

const REQUIRED: [(&str, &str); 2] = [
    (
        "id",
        "add `id \"RB-…\"` to the `runbook` block: runs, alerts and other runbooks refer to it",
    ),
    (
        "owner",
        "add `owner \"team\"` to the `runbook` block: it says who to call when a run fails",
    ),
];

pub(crate) fn check(input: &Input<'_>, out: &mut Vec<LintWarning>) {
    match &input.rb.meta {
        None => {
            for (key, _) in REQUIRED {
                out.push(LintWarning::MissingMetadata {
                    key,
                    help: "start the file with `runbook \"Title\" { id \"RB-…\" owner \"team\" }`",
                    span: (input.rb.span.start, 0).into(),
                });
            }
        }
        Some(meta) => {
            for (key, help) in REQUIRED {
                if !meta.entries.iter().any(|e| e.key.name == key) {
                    out.push(LintWarning::MissingMetadata {
                        key,
                        help,
                        span: meta.title.span.into(),
                    });
                }
            }
        }
    }
}
