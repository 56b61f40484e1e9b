//! The `.runbook` language: text → typed AST (with spans) → checked runbook,
//! plus lint and the formatter. No I/O and no async: callers read files and
//! attach the source to diagnostics at their boundary.

pub mod ast;
pub mod signature;

pub use ast::*;
pub use signature::{Class, Signature, SignatureTable};
pub mod check;
pub mod diagnostic;
pub mod duration;
pub mod fingerprint;
pub mod parse;
pub mod rhai_map;

pub use check::{check, compile_engine, CheckError, Checked, CheckedRunbook, Checker};
pub use fingerprint::{source_hash, step_fingerprint};
pub use parse::parse;
pub use rhai_map::{rhai_source, rhai_span};
pub mod fmt;
pub mod lint;
