//! The simulator's API tests, over real HTTP: one test binary, one module
//! per feature.
// Tests fail loudly on anything unexpected; unwrapping is how they say so.
#![allow(clippy::unwrap_used)]

mod binary;
mod client;
mod controller;
mod crud;
mod discovery;
mod dry_run;
mod faults;
mod fixtures;
mod kube_client;
mod logs;
mod patches;
mod scale;
mod selectors;
mod table;
mod watch;
