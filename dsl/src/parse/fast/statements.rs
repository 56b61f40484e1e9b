//! Blocks and statements, as `parse/statements.rs` builds them.

use super::rhai_extent::Stops;
use super::Parser;
use crate::ast::*;
use crate::parse::MAX_NESTING;

impl Parser<'_> {
    /// `block = { (statement ~ trivia)* }`, nested `depth` levels deep.
    pub(super) fn block(&mut self, depth: usize) -> Option<Block> {
        // The delimiter pre-pass caps nesting well below this; the check only
        // keeps a disagreement from costing stack.
        if depth > 2 * MAX_NESTING {
            self.extent.too_deep = true;
            return None;
        }
        let start = self.pos;
        self.byte(b'{')?;
        self.trivia();
        let mut stmts = Vec::new();
        while let Some(stmt) = self.statement(depth)? {
            stmts.push(stmt);
            self.trivia();
        }
        self.byte(b'}')?;
        // A first push reserves room for four statements; most blocks hold
        // one or two, and a long runbook keeps thousands of blocks.
        stmts.shrink_to_fit();
        Some(Block {
            stmts,
            span: Span::new(start, self.pos),
        })
    }

    /// One statement; `Some(None)` when no statement keyword is here (the
    /// block must end). Once a keyword matched, failing fails the block:
    /// no other statement starts with that word.
    fn statement(&mut self, depth: usize) -> Option<Option<Stmt>> {
        let start = self.pos;
        let word_end = self.b[start..]
            .iter()
            .position(|c| !c.is_ascii_alphabetic())
            .map_or(self.b.len(), |n| start + n);
        let kind = match &self.b[start..word_end] {
            b"run" => self.single("run", StmtKind::Run)?,
            b"expect" => self.expect_or_wait(false)?,
            b"let" => {
                self.keyword("let")?;
                StmtKind::Let(self.let_binding()?)
            }
            b"note" => self.single("note", StmtKind::Note)?,
            b"sh" => self.single("sh", StmtKind::Sh)?,
            b"undo" => self.undo(depth)?,
            b"assert" => self.assert()?,
            b"if" => self.if_chain(depth)?,
            b"confirm" => self.single("confirm", StmtKind::Confirm)?,
            b"wait" => self.expect_or_wait(true)?,
            b"for" => self.for_loop(depth)?,
            _ => return Some(None),
        };
        Some(Some(Stmt {
            kind,
            span: Span::new(start, self.pos),
        }))
    }

    /// `run`, `sh`, `confirm`, `note`: the keyword and one line expression.
    fn single(&mut self, word: &str, kind: fn(Expr) -> StmtKind) -> Option<StmtKind> {
        self.keyword(word)?;
        self.sp();
        Some(kind(self.expr_line()?))
    }

    /// `assert cond [else message]`; the `else` may be on the next line.
    fn assert(&mut self) -> Option<StmtKind> {
        self.keyword("assert")?;
        self.sp();
        let cond = self.expr(|x, i| x.until_stop(i, Stops::Assert))?;
        let m = self.mark();
        self.trivia();
        let message = if self.keyword("else").is_some() {
            self.sp();
            Some(self.expr_line()?)
        } else {
            self.reset(m);
            None
        };
        Some(StmtKind::Assert { cond, message })
    }

    /// `expect cond [within D] [every D]` and `wait until cond within D
    /// [every D]`. A repeated clause and a `wait` without `within` are
    /// conversion errors.
    fn expect_or_wait(&mut self, wait: bool) -> Option<StmtKind> {
        if wait {
            self.keyword("wait")?;
            self.sp();
            self.keyword("until")?;
        } else {
            self.keyword("expect")?;
        }
        self.sp();
        let cond = self.expr(|x, i| x.until_stop(i, Stops::Poll))?;
        let mut within = None;
        let mut every = None;
        loop {
            let m = self.mark();
            self.trivia();
            let slot = if self.keyword("within").is_some() {
                &mut within
            } else if self.keyword("every").is_some() {
                &mut every
            } else {
                self.reset(m);
                break;
            };
            self.sp();
            let d = self.duration()?;
            if slot.is_some() {
                self.invalid = true; // `DuplicateOption`
            } else {
                *slot = Some(d);
            }
        }
        if !wait {
            return Some(StmtKind::Expect {
                cond,
                within,
                every,
            });
        }
        let Some(within) = within else {
            self.invalid = true; // `MissingDeadline`
            return Some(StmtKind::Expect {
                cond,
                within,
                every,
            });
        };
        Some(StmtKind::WaitUntil {
            cond,
            within,
            every,
        })
    }

    /// `undo (block | expr_line)`: the one place the grammar backtracks over
    /// a whole block, since `{ … }` is also a Rhai block expression.
    fn undo(&mut self, depth: usize) -> Option<StmtKind> {
        self.keyword("undo")?;
        self.sp();
        let m = self.mark();
        if let Some(block) = self.block(depth + 1) {
            return Some(StmtKind::Undo(UndoBody::Block(block)));
        }
        if self.extent.too_deep {
            return None;
        }
        self.reset(m);
        Some(StmtKind::Undo(UndoBody::Expr(self.expr_line()?)))
    }

    /// `for var in expr { … }`
    fn for_loop(&mut self, depth: usize) -> Option<StmtKind> {
        self.keyword("for")?;
        self.sp();
        let var = self.ident()?;
        self.sp();
        self.keyword("in")?;
        self.sp();
        let iter = self.expr(|x, i| x.head(i))?;
        self.trivia();
        let body = self.block(depth + 1)?;
        Some(StmtKind::For { var, iter, body })
    }

    /// `if c { } (else if c { })* (else { })?`, read flat and nested as
    /// `statements::if_chain` does, with its nesting cap.
    fn if_chain(&mut self, depth: usize) -> Option<StmtKind> {
        self.keyword("if")?;
        self.sp();
        let cond = self.expr(|x, i| x.head(i))?;
        self.trivia();
        let then = self.block(depth + 1)?;
        // (span of the `if` after `else`, condition, block)
        let mut else_ifs: Vec<(Span, Expr, Block)> = Vec::new();
        let mut last_else = None;
        loop {
            let m = self.mark();
            self.trivia();
            if self.keyword("else").is_none() {
                self.reset(m);
                break;
            }
            let after_else = self.mark();
            self.sp();
            let level = depth + else_ifs.len() + 1;
            if let Some(if_at) = self.keyword("if") {
                // `else if`: anything failing after it fails the statement.
                self.sp();
                let c = self.expr(|x, i| x.head(i))?;
                self.trivia();
                let b = self.block(level + 1)?;
                if level >= MAX_NESTING {
                    self.invalid = true; // `NestingTooDeep`
                }
                else_ifs.push((if_at, c, b));
                continue;
            }
            self.reset(after_else);
            self.trivia();
            last_else = Some(self.block(level)?);
            break;
        }
        let mut otherwise = last_else.map(Else::Block);
        for (if_at, c, b) in else_ifs.into_iter().rev() {
            let end = match &otherwise {
                Some(Else::Block(blk)) => blk.span.end,
                Some(Else::If(stmt)) => stmt.span.end,
                None => b.span.end,
            };
            let nested = Stmt {
                kind: StmtKind::If {
                    cond: c,
                    then: b,
                    otherwise,
                },
                span: Span::new(if_at.start, end),
            };
            otherwise = Some(Else::If(Box::new(nested)));
        }
        Some(StmtKind::If {
            cond,
            then,
            otherwise,
        })
    }
}
