//! Small read-only helpers: `env`, `file`, `exists`, `json::…`, `yaml::…`, `now`,
//! `today`, `sleep`, `duration`, `shell_quote`.
//!
//! None of them changes the world, so all are [`Class::Read`](crate::Class):
//! they run in dry run too, and re-running them after a crash is harmless.

mod data;
mod env;
mod file;
mod quote;
mod time;

use std::sync::Arc;

use crate::{ActionContext, Signature};

pub use quote::shell_quote;
pub use time::parse_duration;

/// Register every helper on `engine`.
pub fn register(engine: &mut rhai::Engine, ctx: Arc<ActionContext>) {
    env::register(engine);
    file::register(engine, ctx.clone());
    data::register(engine);
    time::register(engine, ctx);
    quote::register(engine);
}

/// The helpers' entries of the signature table.
pub fn signatures() -> Vec<Signature> {
    let mut all = Vec::new();
    all.extend(env::signatures());
    all.extend(file::signatures());
    all.extend(data::signatures());
    all.extend(time::signatures());
    all.extend(quote::signatures());
    all
}
