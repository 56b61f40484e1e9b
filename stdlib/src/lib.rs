//! The runbook standard library: Rhai functions and handle types that act on
//! the world (`kube`, `pg`, `sh`) and small helpers (`env`, `file`, `json`,
//! `yaml`, `now`, `today`, `sleep`, durations).
//!
//! Every callable is listed in [`signatures`] with its arity and whether it is
//! a read or an effect; lint checks calls against that table and dry run
//! relies on the class. Registration and the table are kept side by side in
//! each module so they cannot drift (a test checks every registered function
//! has a signature and the other way round).

pub mod context;
pub mod error;
pub mod eval_clock;
pub mod helpers;
pub mod kube;
pub mod pg;
pub mod sh;

use std::sync::Arc;

pub use context::{ActionContext, EventSink, Interrupted, KubeOptions, NullSink, OutputStream};
pub use error::ActionError;
pub use eval_clock::EvalClock;
pub use runbook_dsl::signature::{Class, Signature, SignatureTable};

/// Register every module on `engine`, bound to the run's context.
pub fn register_all(engine: &mut rhai::Engine, ctx: Arc<ActionContext>) {
    helpers::register(engine, ctx.clone());
    sh::register(engine, ctx.clone());
    kube::register(engine, ctx.clone());
    pg::register(engine, ctx);
}

/// Every function a runbook may call beyond Rhai's built-ins.
pub fn signatures() -> SignatureTable {
    let mut all = Vec::new();
    all.extend(helpers::signatures());
    all.extend(sh::signatures());
    all.extend(kube::signatures());
    all.extend(pg::signatures());
    SignatureTable::new(all)
}
