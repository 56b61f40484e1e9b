//! The run model: executes a checked runbook, checkpointing every step in
//! sled so that a run resumes exactly where it stopped.
//!
//! - [`api`]: start, resume, approve, roll back.
//! - [`exec`]: statement semantics and the step loop (Rhai on a blocking thread).
//! - [`store`]: the [`store::Store`] trait, its resumability contract, and the sled store.
//! - [`view`]: what `status` shows, read without locking.

pub mod api;
pub mod bindings;
pub mod comparison;
pub mod diagnostic;
pub mod engine;
pub mod event;
pub mod exec;
pub mod failpoint;
pub mod output;
pub mod params;
pub mod plan;
pub mod record;
pub mod redact;
pub mod run_id;
pub mod sink;
pub mod state_dir;
pub mod store;
pub mod view;

pub use api::{approve, resume, rollback, start, Approved, Finished, Options, Refused, Source};
pub use diagnostic::RunDiagnostic;
pub use exec::Outcome;
pub use plan::Overrides;
pub use store::{SledStore, Store, StoreError};
