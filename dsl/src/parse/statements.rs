//! pest pairs → AST for step bodies: blocks and statements.

use pest::iterators::Pair;

use super::convert::{duration_lit, expr, ident, let_binding, set_once, span, Result};
use super::delimiters::MAX_NESTING;
use super::grammar::Rule;
use crate::ast::*;
use crate::diagnostic::ParseError;

/// A `{ … }` block nested `depth` levels deep.
pub(super) fn block(pair: Pair<'_, Rule>, depth: usize) -> Result<Block> {
    let sp = span(&pair);
    let mut stmts = Vec::new();
    for p in pair.into_inner() {
        if let Some(stmt) = statement(p, depth)? {
            stmts.push(stmt);
        }
    }
    Ok(Block { stmts, span: sp })
}

/// One statement, or `None` for the braces and comments around statements.
fn statement(pair: Pair<'_, Rule>, depth: usize) -> Result<Option<Stmt>> {
    let sp = span(&pair);
    let rule = pair.as_rule();
    let kind = match rule {
        Rule::let_stmt => StmtKind::Let(let_binding(pair)?),
        Rule::run_stmt => StmtKind::Run(first_expr(&pair, sp)),
        Rule::sh_stmt => StmtKind::Sh(first_expr(&pair, sp)),
        Rule::confirm_stmt => StmtKind::Confirm(first_expr(&pair, sp)),
        Rule::note_stmt => StmtKind::Note(first_expr(&pair, sp)),
        Rule::assert_stmt => {
            let mut exprs = pair.into_inner().filter(|p| is_expr(p.as_rule()));
            let cond = exprs.next().map_or_else(|| empty_expr(sp), |p| expr(&p));
            let message = exprs.next().map(|p| expr(&p));
            StmtKind::Assert { cond, message }
        }
        Rule::expect_stmt | Rule::wait_stmt => {
            let mut cond = empty_expr(sp);
            let mut within = None;
            let mut every = None;
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::expr_poll => cond = expr(&p),
                    Rule::within_clause => {
                        if let Some(d) = clause_duration(p) {
                            set_once(&mut within, d, "within", |d| d.span)?;
                        }
                    }
                    Rule::every_clause => {
                        if let Some(d) = clause_duration(p) {
                            set_once(&mut every, d, "every", |d| d.span)?;
                        }
                    }
                    _ => {}
                }
            }
            if rule == Rule::expect_stmt {
                StmtKind::Expect {
                    cond,
                    within,
                    every,
                }
            } else {
                let Some(within) = within else {
                    return Err(ParseError::MissingDeadline { span: sp });
                };
                StmtKind::WaitUntil {
                    cond,
                    within,
                    every,
                }
            }
        }
        Rule::undo_stmt => {
            let mut body = UndoBody::Expr(empty_expr(sp));
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::block => body = UndoBody::Block(block(p, depth + 1)?),
                    Rule::expr_line => body = UndoBody::Expr(expr(&p)),
                    _ => {}
                }
            }
            StmtKind::Undo(body)
        }
        Rule::if_stmt => if_chain(pair, depth)?,
        Rule::for_stmt => {
            let mut var = None;
            let mut iter = empty_expr(sp);
            let mut body = None;
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::ident => var = Some(ident(&p)),
                    Rule::expr_head => iter = expr(&p),
                    Rule::block => body = Some(block(p, depth + 1)?),
                    _ => {}
                }
            }
            StmtKind::For {
                var: var.unwrap_or_else(|| Ident {
                    name: String::new(),
                    span: sp,
                }),
                iter,
                body: body.unwrap_or_else(|| empty_block(sp)),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(Stmt { kind, span: sp }))
}

/// `if c { } else if c { } … else { }`. The grammar reads the chain flat (no
/// recursion for long chains); here it becomes nested `Else::If` statements,
/// each `else if` counting as one level of nesting.
fn if_chain(pair: Pair<'_, Rule>, depth: usize) -> Result<StmtKind> {
    let sp = span(&pair);
    let mut cond = empty_expr(sp);
    let mut then = None;
    // (span of the `if` after `else`, condition, block)
    let mut else_ifs: Vec<(Span, Expr, Block)> = Vec::new();
    let mut last_else = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::expr_head => cond = expr(&p),
            Rule::block => then = Some(block(p, depth + 1)?),
            Rule::else_if => {
                let level = depth + else_ifs.len() + 1;
                let mut if_at = span(&p);
                let mut c = empty_expr(if_at);
                let mut b = None;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::kw_if => if_at = span(&q),
                        Rule::expr_head => c = expr(&q),
                        Rule::block => b = Some(block(q, level + 1)?),
                        _ => {}
                    }
                }
                if level >= MAX_NESTING {
                    return Err(ParseError::NestingTooDeep {
                        max: MAX_NESTING,
                        span: if_at,
                    });
                }
                let b = b.unwrap_or_else(|| empty_block(if_at));
                else_ifs.push((if_at, c, b));
            }
            Rule::else_block => {
                let level = depth + else_ifs.len() + 1;
                last_else = p
                    .into_inner()
                    .find(|q| q.as_rule() == Rule::block)
                    .map(|q| block(q, level))
                    .transpose()?;
            }
            _ => {}
        }
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
    Ok(StmtKind::If {
        cond,
        then: then.unwrap_or_else(|| empty_block(sp)),
        otherwise,
    })
}

fn is_expr(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::expr_line
            | Rule::expr_poll
            | Rule::expr_assert
            | Rule::expr_head
            | Rule::expr_step_when
    )
}

fn first_expr(pair: &Pair<'_, Rule>, at: Span) -> Expr {
    pair.clone()
        .into_inner()
        .find(|p| is_expr(p.as_rule()))
        .map_or_else(|| empty_expr(at), |p| expr(&p))
}

fn clause_duration(pair: Pair<'_, Rule>) -> Option<DurationLit> {
    pair.into_inner()
        .find(|p| p.as_rule() == Rule::duration)
        .map(|p| duration_lit(&p))
}

/// The grammar always provides these parts; the fallbacks keep conversion
/// total without panicking.
fn empty_expr(at: Span) -> Expr {
    Expr {
        text: String::new(),
        span: Span::new(at.end, at.end),
    }
}

fn empty_block(at: Span) -> Block {
    Block {
        stmts: Vec::new(),
        span: Span::new(at.end, at.end),
    }
}
