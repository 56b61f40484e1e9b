//! Content hashes: of a whole source (to notice a changed file on resume) and
//! of one step's meaning (to tell which steps changed).

use crate::ast::Step;

/// blake3 of the exact source text, as lowercase hex.
pub fn source_hash(source: &str) -> String {
    blake3::hash(source.as_bytes()).to_hex().to_string()
}

/// blake3 of the span-free shape of `step` (id, title, options, statements,
/// expression texts), as lowercase hex. Reformatting a file or editing other
/// steps does not change it; editing this step does.
pub fn step_fingerprint(step: &Step) -> String {
    let mut shape = serde_json::to_value(step).unwrap_or(serde_json::Value::Null);
    crate::ast::strip_spans(&mut shape);
    blake3::hash(shape.to_string().as_bytes())
        .to_hex()
        .to_string()
}
