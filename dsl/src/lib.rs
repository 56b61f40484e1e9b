//! The `.runbook` language: text → typed AST (with spans) → checked runbook,
//! plus lint and the formatter. No I/O and no async: callers read files and
//! attach the source to diagnostics at their boundary.

pub mod ast;
pub mod signature;

pub use ast::*;
pub use signature::{Class, Signature, SignatureTable};
pub mod diagnostic;
pub mod parse;

pub use parse::parse;
