//! `file(path)` reads a text file and `exists(path)` tells whether a path
//! exists, both relative to the runbook's directory.

use std::path::Path;
use std::sync::Arc;

use rhai::{EvalAltResult, FuncRegistration, ImmutableString};

use crate::{ActionContext, ActionError, Class, Signature};

pub(super) fn register(engine: &mut rhai::Engine, ctx: Arc<ActionContext>) {
    let base = ctx.base_dir.clone();
    FuncRegistration::new("file")
        .with_volatility(true)
        .register_into_engine(
            engine,
            move |path: ImmutableString| -> Result<String, Box<EvalAltResult>> {
                read(&base, &path).map_err(ActionError::into_rhai)
            },
        );
    let base = ctx.base_dir.clone();
    FuncRegistration::new("exists")
        .with_volatility(true)
        .register_into_engine(engine, move |path: ImmutableString| -> bool {
            base.join(path.as_str()).exists()
        });
}

/// Read `path` (absolute, or relative to `base_dir`) as UTF-8 text.
pub(crate) fn read(base_dir: &Path, path: &str) -> Result<String, ActionError> {
    let resolved = base_dir.join(path);
    std::fs::read_to_string(&resolved).map_err(|e| {
        let err = ActionError::new(
            "runbook::run::file::read",
            format!("cannot read {}: {e}", resolved.display()),
        );
        if e.kind() == std::io::ErrorKind::InvalidData {
            err.with_help("file() reads text; this file is not valid UTF-8")
        } else {
            err.with_help("relative paths are resolved from the runbook's directory")
        }
    })
}

pub(super) fn signatures() -> Vec<Signature> {
    vec![
        Signature {
            module: None,
            name: "file",
            receiver: None,
            params: &["path"],
            optional: 0,
            class: Class::Read,
            doc: "The text of a file; a relative path is resolved from the runbook's directory.",
        },
        Signature {
            module: None,
            name: "exists",
            receiver: None,
            params: &["path"],
            optional: 0,
            class: Class::Read,
            doc: "Whether a file or directory exists (relative to the runbook's directory); for `expect exists(…)`.",
        },
    ]
}
