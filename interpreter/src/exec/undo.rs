//! `undo expr` / `undo { … }`: registering compensations, durably, before
//! the effect they undo.

use std::collections::{BTreeMap, HashMap};

use runbook_dsl::{Block, Else, Step, Stmt, StmtKind, UndoBody};

use super::{Executor, Phase, StepFailure};
use crate::bindings;
use crate::diagnostic::RunDiagnostic;
use crate::event::EventKind;
use crate::record::UndoRecord;

/// Every `undo` statement of a step in pre-order: span start → ordinal.
pub fn undo_ordinals(step: &Step) -> HashMap<usize, usize> {
    let mut out = HashMap::new();
    for_each_undo(&step.body, &mut |stmt| {
        let n = out.len();
        out.insert(stmt.span.start, n);
    });
    out
}

/// The step's `ordinal`-th `undo` statement (pre-order).
pub fn find_undo(step: &Step, ordinal: usize) -> Option<&UndoBody> {
    nth_undo(&step.body, ordinal, &mut 0)
}

fn nth_undo<'a>(block: &'a Block, ordinal: usize, seen: &mut usize) -> Option<&'a UndoBody> {
    for stmt in &block.stmts {
        if let Some(b) = nth_in_stmt(stmt, ordinal, seen) {
            return Some(b);
        }
    }
    None
}

fn nth_in_stmt<'a>(stmt: &'a Stmt, ordinal: usize, seen: &mut usize) -> Option<&'a UndoBody> {
    match &stmt.kind {
        StmtKind::Undo(body) => {
            if *seen == ordinal {
                return Some(body);
            }
            *seen += 1;
            if let UndoBody::Block(b) = body {
                return nth_undo(b, ordinal, seen);
            }
            None
        }
        StmtKind::If {
            then, otherwise, ..
        } => nth_undo(then, ordinal, seen).or_else(|| match otherwise {
            Some(Else::Block(b)) => nth_undo(b, ordinal, seen),
            Some(Else::If(s)) => nth_in_stmt(s, ordinal, seen),
            None => None,
        }),
        StmtKind::For { body, .. } => nth_undo(body, ordinal, seen),
        _ => None,
    }
}

fn for_each_undo<'a>(block: &'a Block, f: &mut impl FnMut(&'a Stmt)) {
    for stmt in &block.stmts {
        each_in_stmt(stmt, f);
    }
}

fn each_in_stmt<'a>(stmt: &'a Stmt, f: &mut impl FnMut(&'a Stmt)) {
    match &stmt.kind {
        StmtKind::Undo(body) => {
            f(stmt);
            if let UndoBody::Block(b) = body {
                for_each_undo(b, f);
            }
        }
        StmtKind::If {
            then, otherwise, ..
        } => {
            for_each_undo(then, f);
            match otherwise {
                Some(Else::Block(b)) => for_each_undo(b, f),
                Some(Else::If(s)) => each_in_stmt(s, f),
                None => {}
            }
        }
        StmtKind::For { body, .. } => for_each_undo(body, f),
        _ => {}
    }
}

/// Whether `name` appears as an identifier in `text`.
fn mentions(text: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

impl Executor {
    pub(super) fn undo_text(&self, body: &UndoBody) -> String {
        match body {
            UndoBody::Expr(e) => super::stmt::one_line(&e.text),
            UndoBody::Block(b) => {
                super::stmt::one_line(self.source.get(b.span.start..b.span.end).unwrap_or("{ … }"))
            }
        }
    }

    /// Record the undo with the values of the step-local names it uses, and
    /// commit: it must be durable before the effect it compensates runs.
    pub(super) fn register_undo(
        &mut self,
        stmt: &Stmt,
        body: &UndoBody,
    ) -> Result<(), StepFailure> {
        let text = self.out.r(&self.undo_text(body));
        let (step_id, phase, base, ordinal) = match &self.frame {
            Some(f) => (
                f.step_id.clone(),
                f.phase,
                f.step_base,
                f.undo_ordinals.get(&stmt.span.start).copied().unwrap_or(0),
            ),
            None => return Ok(()),
        };
        if self.opts.dry_run {
            self.out
                .line(&format!("  dry run: would register undo: {text}"));
            return Ok(());
        }
        if phase == Phase::Rollback {
            // Undos of clean-up steps would never run: the rollback is underway.
            self.out
                .line(&format!("  (undo inside a rollback step ignored: {text})"));
            return Ok(());
        }
        let source_text = match body {
            UndoBody::Expr(e) => e.text.clone(),
            UndoBody::Block(b) => self
                .source
                .get(b.span.start..b.span.end)
                .unwrap_or("")
                .to_string(),
        };
        let mut captures = BTreeMap::new();
        // Top of the scope down to the step's base; reversed so that a later
        // binding of a name replaces an earlier one below.
        let mut locals: Vec<(String, rhai::Dynamic)> = self
            .scope
            .iter_raw()
            .take(self.scope.len().saturating_sub(base))
            .map(|(n, _, v)| (n.to_string(), v.flatten_clone()))
            .collect();
        locals.reverse();
        for (name, value) in locals {
            if !mentions(&source_text, &name) {
                continue;
            }
            match bindings::to_json(&name, &value, self.out.redactor()) {
                Ok(v) => {
                    captures.insert(name, v);
                }
                Err(e) => {
                    return Err(StepFailure::Error(
                        RunDiagnostic::new(
                            "runbook::run::unstorable_undo",
                            format!("this undo uses {e}"),
                        )
                        .at(stmt.span, "registered here")
                        .help(e.help()),
                    ))
                }
            }
        }
        let Some(mut rec) = self.records.get(&step_id).cloned() else {
            return Ok(());
        };
        if rec
            .undos
            .iter()
            .any(|u| u.ordinal == ordinal && u.captures == captures && !u.done)
        {
            // Registered by an earlier attempt with the same values.
            return Ok(());
        }
        rec.undos.push(UndoRecord {
            seq: self.run.next_seq,
            ordinal,
            text: text.clone(),
            captures,
            done: false,
        });
        self.run.next_seq += 1;
        let store_err = |e: crate::store::StoreError| {
            StepFailure::Error(RunDiagnostic::new(e.code(), e.to_string()).help(e.help()))
        };
        self.stage_step(rec).map_err(store_err)?;
        self.commit().map_err(store_err)?;
        self.out.event(EventKind::UndoRegistered {
            step: step_id,
            text: text.clone(),
        });
        self.out
            .line(&format!("  undo registered: {}", short(&text)));
        Ok(())
    }
}

/// At most 80 characters of an undo's text, for the progress line.
fn short(text: &str) -> String {
    if text.chars().count() <= 80 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(79).collect::<String>())
    }
}
