//! Walking a runbook's statements and expressions for the lint passes.

use crate::ast::{Block, Else, Expr, Item, Runbook, Step, Stmt, StmtKind, UndoBody};

/// Where a statement sits inside its step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StmtContext {
    /// Inside an `undo { … }` body: runs only when the step is undone.
    pub in_undo: bool,
    /// After a `confirm` earlier in this block or an enclosing one: an
    /// operator approved what follows.
    pub gated: bool,
}

/// Visit every statement of `block`, nested blocks included, in source order.
pub fn walk_block<'a>(
    block: &'a Block,
    ctx: StmtContext,
    f: &mut impl FnMut(&'a Stmt, StmtContext),
) {
    let mut ctx = ctx;
    for stmt in &block.stmts {
        f(stmt, ctx);
        match &stmt.kind {
            StmtKind::Confirm(_) => ctx.gated = true,
            StmtKind::Undo(UndoBody::Block(body)) => walk_block(
                body,
                StmtContext {
                    in_undo: true,
                    ..ctx
                },
                f,
            ),
            StmtKind::If {
                then, otherwise, ..
            } => {
                walk_block(then, ctx, f);
                let mut next = otherwise.as_ref();
                while let Some(branch) = next {
                    match branch {
                        Else::Block(b) => {
                            walk_block(b, ctx, f);
                            next = None;
                        }
                        Else::If(nested) => {
                            f(nested, ctx);
                            if let StmtKind::If {
                                then, otherwise, ..
                            } = &nested.kind
                            {
                                walk_block(then, ctx, f);
                                next = otherwise.as_ref();
                            } else {
                                next = None;
                            }
                        }
                    }
                }
            }
            StmtKind::For { body, .. } => walk_block(body, ctx, f),
            _ => {}
        }
    }
}

/// The expressions a statement holds directly (not those of nested blocks).
pub fn stmt_exprs(stmt: &Stmt) -> Vec<&Expr> {
    match &stmt.kind {
        StmtKind::Let(l) => vec![&l.value],
        StmtKind::Run(e) | StmtKind::Sh(e) | StmtKind::Confirm(e) | StmtKind::Note(e) => vec![e],
        StmtKind::Assert { cond, message } => std::iter::once(cond).chain(message).collect(),
        StmtKind::Expect { cond, .. } | StmtKind::WaitUntil { cond, .. } => vec![cond],
        StmtKind::Undo(UndoBody::Expr(e)) => vec![e],
        StmtKind::Undo(UndoBody::Block(_)) => Vec::new(),
        StmtKind::If { cond, .. } => vec![cond],
        StmtKind::For { iter, .. } => vec![iter],
    }
}

/// Every step of the file: run-order steps, then the rollback block's.
pub fn all_steps(rb: &Runbook) -> impl Iterator<Item = &Step> {
    rb.steps()
        .chain(rb.rollback.iter().flat_map(|r| r.steps.iter()))
}

/// Every expression in the file, in source order.
pub fn all_exprs(rb: &Runbook) -> Vec<&Expr> {
    let mut out = Vec::new();
    for item in &rb.items {
        match item {
            Item::Param(p) => out.extend(p.default.as_ref()),
            Item::Let(l) => out.push(&l.value),
            Item::Section(s) => {
                out.extend(s.when.as_ref());
                s.steps.iter().for_each(|step| step_exprs(step, &mut out));
            }
            Item::Step(step) => step_exprs(step, &mut out),
        }
    }
    if let Some(rollback) = &rb.rollback {
        rollback
            .steps
            .iter()
            .for_each(|step| step_exprs(step, &mut out));
    }
    out
}

fn step_exprs<'a>(step: &'a Step, out: &mut Vec<&'a Expr>) {
    out.extend(step.when.as_ref());
    walk_block(&step.body, StmtContext::default(), &mut |stmt, _| {
        out.extend(stmt_exprs(stmt))
    });
}
