//! Effects in dry run: every write still goes to the API server, with
//! `dryRun=All`, so admission and validation run and the answer shows what
//! would change; nothing is persisted. Each effect is reported to the event
//! sink either as performed or as what would have happened.

use kube::api::{DeleteParams, PatchParams, PostParams};

use crate::ActionContext;

/// The field manager every write is recorded under in `managedFields`.
pub(crate) const FIELD_MANAGER: &str = "runbook";

/// Report an effect: as a dry-run effect in dry run, as performed otherwise.
pub(crate) fn report(ctx: &ActionContext, action: &str, description: &str) {
    if ctx.dry_run {
        ctx.events.dry_run_effect(action, description);
    } else {
        ctx.events.effect(action, description);
    }
}

/// Parameters of a merge, strategic or JSON patch.
pub(crate) fn patch_params(ctx: &ActionContext) -> PatchParams {
    PatchParams {
        dry_run: ctx.dry_run,
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    }
}

/// Parameters of a create.
pub(crate) fn post_params(ctx: &ActionContext) -> PostParams {
    PostParams {
        dry_run: ctx.dry_run,
        field_manager: Some(FIELD_MANAGER.to_owned()),
    }
}

/// Parameters of a server-side apply: `runbook` owns what it applies and
/// takes fields over from other managers, as `kubectl apply --server-side
/// --force-conflicts` does.
pub(crate) fn apply_params(ctx: &ActionContext) -> PatchParams {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    if ctx.dry_run {
        params.dry_run()
    } else {
        params
    }
}

/// Parameters of a delete (background propagation, the server's default).
pub(crate) fn delete_params(ctx: &ActionContext) -> DeleteParams {
    let params = DeleteParams::background();
    if ctx.dry_run {
        params.dry_run()
    } else {
        params
    }
}
