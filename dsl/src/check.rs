//! The check pass: a parsed [`Runbook`] → a [`CheckedRunbook`] the
//! interpreter accepts, or every problem found (not just the first).
//!
//! Every expression is compiled by Rhai in strict-variables mode with a scope
//! of the names visible at its place:
//! - params, everywhere (a param default sees only the params before it);
//! - top-level `let`s, after their definition (a top-level `let` sees params
//!   and earlier top-level `let`s only: they are evaluated before any step);
//! - a step's `let`s, in the rest of the step and in later steps (rollback
//!   steps see the `let`s of every main step); a `let` inside an `if`, `for`
//!   or `undo { … }` block, and a `for` variable, only inside that block.
//!
//! Expressions Rhai is known to accept with no call to check (a plain
//! `"…"` literal, or names and literals joined by operators: `literal`,
//! `flat`) skip the compile; a proptest holds each shortcut to Rhai.
//!
//! Calls are then checked against the stdlib signature table, durations and
//! param defaults are validated, and step ids must be unique.

mod cache;
mod calls;
mod defaults;
mod engine;
mod error;
mod flat;
mod literal;
mod metadata;
mod names;

use std::cell::Cell;
use std::collections::HashMap;

use crate::ast::*;
use crate::duration;
use crate::fingerprint::step_fingerprint;
use crate::rhai_map::{rhai_source, rhai_span};
use crate::signature::SignatureTable;
use cache::Outcome;
pub use engine::{compile_engine, limits};
pub use error::CheckError;
use names::Names;

/// The result of [`check`]: the checked runbook when there is no error, and
/// every error found.
#[derive(Debug)]
pub struct Checked {
    /// `Some` exactly when `errors` is empty.
    pub runbook: Option<CheckedRunbook>,
    /// Every problem, in source order.
    pub errors: Vec<CheckError>,
}

/// A runbook that passed every check: what the interpreter runs.
#[derive(Clone, Debug)]
pub struct CheckedRunbook {
    /// The runbook as parsed (the check does not change it).
    pub runbook: Runbook,
    /// blake3 of the source text (hex): tells a resume that the file changed.
    pub hash: String,
}

impl CheckedRunbook {
    /// Every step, rollback steps included, in file order.
    pub fn all_steps(&self) -> impl Iterator<Item = &Step> {
        let rollback = self.runbook.rollback.iter().flat_map(|r| r.steps.iter());
        self.runbook.steps().chain(rollback)
    }

    /// The step with this id (ids are unique in a checked runbook).
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.all_steps().find(|s| s.id.name == id)
    }

    /// [`step_fingerprint`] of the step `id`, if there is such a step: tells
    /// a resume whether the step changed since the run recorded it.
    pub fn fingerprint(&self, id: &str) -> Option<String> {
        self.step(id).map(step_fingerprint)
    }
}

/// Check `rb` against the stdlib `table`. For many runbooks, build one
/// [`Checker`] and reuse it.
pub fn check(rb: &Runbook, table: &SignatureTable) -> Checked {
    Checker::new(table).check(rb)
}

/// A reusable check context: the compile engine is built once. `Sync`, so
/// one checker can serve several threads.
pub struct Checker<'t> {
    table: &'t SignatureTable,
    engine: rhai::Engine,
    cache: cache::CompileCache,
}

impl<'t> Checker<'t> {
    /// A checker for runbooks calling the functions of `table`.
    pub fn new(table: &'t SignatureTable) -> Self {
        Checker {
            table,
            engine: compile_engine(table),
            cache: cache::CompileCache::default(),
        }
    }

    /// Check one runbook; see the module docs for what is checked.
    pub fn check(&self, rb: &Runbook) -> Checked {
        let errors = self.errors(rb);
        let runbook = errors.is_empty().then(|| CheckedRunbook {
            runbook: rb.clone(),
            hash: rb.source_hash.clone(),
        });
        Checked { runbook, errors }
    }

    /// Only the problems of `rb`, in source order, without building a
    /// [`CheckedRunbook`] (no copy of the tree): what lint needs.
    pub fn errors(&self, rb: &Runbook) -> Vec<CheckError> {
        let mut pass = Pass {
            checker: self,
            errors: Vec::new(),
            scope: rhai::Scope::new(),
        };
        pass.runbook(rb);
        let mut errors = pass.errors;
        errors.sort_by_key(|e| e.span().start);
        errors
    }
}

struct Pass<'c, 't> {
    checker: &'c Checker<'t>,
    errors: Vec<CheckError>,
    /// The scope of the compile at hand (see [`Pass::compile_expr`]).
    scope: rhai::Scope<'static>,
}

impl Pass<'_, '_> {
    fn runbook(&mut self, rb: &Runbook) {
        if let Some(meta) = &rb.meta {
            metadata::check(meta, &mut self.errors);
        }
        self.step_ids(rb);

        // Params first: a default sees the params declared before it.
        let mut globals = Names::default();
        let mut params: HashMap<&str, Span> = HashMap::new();
        for p in rb.params() {
            if let Some(first) = params.get(p.name.name.as_str()) {
                self.errors.push(CheckError::DuplicateParam {
                    name: p.name.name.clone(),
                    first: *first,
                    span: p.name.span,
                });
            }
            if let Some(default) = &p.default {
                if let Some(ast) = self.compile_expr(default, &globals, true) {
                    defaults::check(p, &ast, &mut self.errors);
                }
            }
            params.entry(&p.name.name).or_insert(p.name.span);
            let usable = self.binding(&p.name);
            globals.push(&p.name.name, usable);
        }

        // `globals`: what top-level lets see; `all`: what steps see.
        let mut all = globals.clone();
        let mut top_lets: HashMap<&str, Span> = HashMap::new();
        for item in &rb.items {
            match item {
                Item::Param(_) => {}
                Item::Let(l) => {
                    self.compile(&l.value, &globals);
                    let first = params
                        .get(l.name.name.as_str())
                        .or(top_lets.get(l.name.name.as_str()));
                    if let Some(first) = first {
                        self.errors.push(CheckError::DuplicateBinding {
                            name: l.name.name.clone(),
                            first: *first,
                            span: l.name.span,
                        });
                    }
                    top_lets.entry(&l.name.name).or_insert(l.name.span);
                    let usable = self.binding(&l.name);
                    globals.push(&l.name.name, usable);
                    all.push(&l.name.name, usable);
                }
                Item::Section(s) => {
                    if let Some(when) = &s.when {
                        self.compile(when, &all);
                    }
                    for step in &s.steps {
                        self.step(step, &mut all);
                    }
                }
                Item::Step(step) => self.step(step, &mut all),
            }
        }
        if let Some(rollback) = &rb.rollback {
            for step in &rollback.steps {
                self.step(step, &mut all);
            }
        }
    }

    fn step_ids(&mut self, rb: &Runbook) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let rollback_steps = rb.rollback.iter().flat_map(|r| r.steps.iter());
        for step in rb.steps().chain(rollback_steps) {
            if let Some(first) = seen.get(step.id.name.as_str()) {
                self.errors.push(CheckError::DuplicateStepId {
                    id: step.id.name.clone(),
                    first: *first,
                    span: step.id.span,
                });
            } else {
                seen.insert(&step.id.name, step.id.span);
            }
        }
    }

    /// A step; its top-level `let`s stay in `names` for the steps after it.
    fn step(&mut self, step: &Step, names: &mut Names) {
        if let Some(t) = &step.timeout {
            self.duration(t, Some("a zero timeout fails the step at once"));
        }
        if let Some(b) = step.retry.as_ref().and_then(|r| r.backoff.as_ref()) {
            self.duration(b, None);
        }
        if let Some(when) = &step.when {
            self.compile(when, names);
        }
        self.stmts(&step.body.stmts, names);
    }

    /// A nested block: its names are gone after it.
    fn block(&mut self, block: &Block, names: &mut Names) {
        let mark = names.mark();
        self.stmts(&block.stmts, names);
        names.rewind(mark);
    }

    fn stmts(&mut self, stmts: &[Stmt], names: &mut Names) {
        for stmt in stmts {
            self.stmt(stmt, names);
        }
    }

    fn stmt(&mut self, stmt: &Stmt, names: &mut Names) {
        match &stmt.kind {
            StmtKind::Let(l) => {
                self.compile(&l.value, names);
                let usable = self.binding(&l.name);
                names.push(&l.name.name, usable);
            }
            StmtKind::Run(e) | StmtKind::Sh(e) | StmtKind::Confirm(e) | StmtKind::Note(e) => {
                self.compile(e, names);
            }
            StmtKind::Assert { cond, message } => {
                self.compile(cond, names);
                if let Some(m) = message {
                    self.compile(m, names);
                }
            }
            StmtKind::Expect {
                cond,
                within,
                every,
            } => {
                self.compile(cond, names);
                if let Some(w) = within {
                    self.duration(w, Some("`within 0s` gives the expectation no time at all"));
                }
                if let Some(e) = every {
                    self.duration(e, Some("`every 0s` would poll without pause"));
                }
            }
            StmtKind::WaitUntil {
                cond,
                within,
                every,
            } => {
                self.compile(cond, names);
                self.duration(within, Some("`within 0s` gives the wait no time at all"));
                if let Some(e) = every {
                    self.duration(e, Some("`every 0s` would poll without pause"));
                }
            }
            StmtKind::Undo(UndoBody::Expr(e)) => {
                self.compile(e, names);
            }
            StmtKind::Undo(UndoBody::Block(b)) => self.block(b, names),
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.compile(cond, names);
                self.block(then, names);
                match otherwise {
                    Some(Else::Block(b)) => self.block(b, names),
                    Some(Else::If(nested)) => self.stmt(nested, names),
                    None => {}
                }
            }
            StmtKind::For { var, iter, body } => {
                self.compile(iter, names);
                let mark = names.mark();
                let usable = self.binding(var);
                names.push(&var.name, usable);
                self.block(body, names);
                names.rewind(mark);
            }
        }
    }

    /// A name a binding introduces must be usable from Rhai; whether it is.
    fn binding(&mut self, name: &Ident) -> bool {
        let usable = self.usable(&name.name);
        if !usable {
            self.errors.push(CheckError::ReservedName {
                name: name.name.clone(),
                span: name.span,
            });
        }
        usable
    }

    /// Whether Rhai takes `name` as a variable: it compiles alone with
    /// `name` in scope.
    fn usable(&self, name: &str) -> bool {
        if let Some(usable) = names::usable_without_compile(name) {
            return usable;
        }
        let engine = &self.checker.engine;
        self.checker.cache.usable_name(name, || {
            let mut scope = rhai::Scope::new();
            scope.push_dynamic(name, rhai::Dynamic::UNIT);
            engine.compile_expression_with_scope(&scope, name).is_ok()
        })
    }

    /// Validate a duration; `zero` is the reason zero is wrong here, if it is.
    fn duration(&mut self, d: &DurationLit, zero: Option<&str>) {
        let reason = match duration::parse_millis(&d.text) {
            Ok(0) => zero.map(str::to_string),
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        };
        if let Some(reason) = reason {
            self.errors.push(CheckError::BadDuration {
                text: d.text.clone(),
                reason,
                span: d.span,
            });
        }
    }

    /// Compile `expr` with the names visible here and check its calls.
    fn compile(&mut self, expr: &Expr, names: &Names) {
        self.compile_expr(expr, names, false);
    }

    /// [`Pass::compile`], returning the AST when `expr` compiled and
    /// `want_ast` asks for it (param defaults, which are evaluated).
    fn compile_expr(&mut self, expr: &Expr, names: &Names, want_ast: bool) -> Option<rhai::AST> {
        if !want_ast && literal::is_plain_string(&expr.text) {
            return None; // no names, no calls, and Rhai accepts it
        }
        let mut name_ok = |name: &str| names.contains_usable(name);
        if !want_ast && flat::needs_no_compile(&expr.text, &mut name_ok) {
            return None; // visible names, literals, operators: Rhai accepts it
        }
        let source = rhai_source(expr);
        let used = names.used_in(&source);
        let key = cache::key(&used, &source);
        if let Some(hit) = self.checker.cache.get(&key) {
            match &*hit {
                Outcome::Clean if !want_ast => return None,
                Outcome::Clean => {} // compiled again below, for the AST
                Outcome::Compiled(ast) => {
                    self.check_calls(ast, expr, names, &used);
                    return want_ast.then(|| ast.clone());
                }
                Outcome::Failed(e) => {
                    let error = self.rhai_error(expr, e);
                    self.errors.push(error);
                    return None;
                }
            }
        }
        // One scope for every compile of the pass: cleared, it keeps its
        // storage.
        self.scope.clear();
        for name in &used {
            self.scope.push_dynamic(*name, rhai::Dynamic::UNIT);
        }
        let compiled = self
            .checker
            .engine
            .compile_expression_with_scope(&self.scope, source.as_ref());
        match compiled {
            Ok(ast) => {
                let clean = self.check_calls(&ast, expr, names, &used);
                let wanted = want_ast.then(|| ast.clone());
                let outcome = if clean {
                    Outcome::Clean
                } else {
                    Outcome::Compiled(ast)
                };
                self.checker.cache.insert(key, outcome);
                wanted
            }
            Err(e) => {
                let error = self.rhai_error(expr, &e);
                self.errors.push(error);
                self.checker.cache.insert(key, Outcome::Failed(e));
                None
            }
        }
    }

    /// Check the calls of `ast`, compiled from `expr` with the visible names
    /// `used`. True when it found nothing and only asked about those names,
    /// so that it would find nothing for any expression with the same key.
    fn check_calls(&mut self, ast: &rhai::AST, expr: &Expr, names: &Names, used: &[&str]) -> bool {
        let beyond_key = Cell::new(false);
        let is_variable = |n: &str| {
            if !used.contains(&n) {
                beyond_key.set(true);
            }
            names.contains(n)
        };
        let before = self.errors.len();
        calls::check(
            ast,
            expr,
            self.checker.table,
            &is_variable,
            &mut self.errors,
        );
        self.errors.len() == before && !beyond_key.get()
    }

    fn rhai_error(&self, expr: &Expr, e: &rhai::ParseError) -> CheckError {
        let span = rhai_span(expr, e.position());
        match e.err_type() {
            rhai::ParseErrorType::VariableUndefined(name) => CheckError::UnknownVariable {
                name: name.clone(),
                span,
            },
            rhai::ParseErrorType::ModuleUndefined(name) => {
                let mut known: Vec<&str> = self.checker.table.modules().collect();
                known.sort_unstable();
                CheckError::UnknownModule {
                    name: name.clone(),
                    known: if known.is_empty() {
                        "(none)".to_string()
                    } else {
                        known.join(", ")
                    },
                    span,
                }
            }
            other => CheckError::RhaiSyntax {
                message: other.to_string(),
                span,
            },
        }
    }
}
