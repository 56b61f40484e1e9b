//! `kube` actions. (Placeholder: filled in by its issue.)

use std::sync::Arc;

use crate::{ActionContext, Signature};

pub fn register(_engine: &mut rhai::Engine, _ctx: Arc<ActionContext>) {}

pub fn signatures() -> Vec<Signature> {
    Vec::new()
}
