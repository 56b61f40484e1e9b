//! pest pairs → AST, for the file and its top-level items. This module and
//! `statements` are the only code that sees pest types.

use pest::iterators::{Pair, Pairs};

use super::grammar::Rule;
use super::statements;
use super::strings;
use crate::ast::*;
use crate::diagnostic::ParseError;
use crate::duration;

/// Most retries a step may ask for; more is a typo, not a plan.
pub const MAX_RETRIES: u32 = 1000;

pub(super) type Result<T> = std::result::Result<T, ParseError>;

/// Convert the `file` pair (the only top pair) into a [`Runbook`].
pub(super) fn runbook(source: &str, pairs: Pairs<'_, Rule>) -> Result<Runbook> {
    let mut rb = Runbook {
        meta: None,
        items: Vec::new(),
        rollback: None,
        comments: Vec::new(),
        span: Span::new(0, source.len()),
        source_hash: crate::fingerprint::source_hash(source),
    };
    for pair in pairs.clone().flatten() {
        if pair.as_rule() == Rule::comment {
            rb.comments.push(Comment {
                text: pair.as_str().to_string(),
                span: span(&pair),
            });
        }
    }
    let top = pairs.flat_map(Pair::into_inner);
    for pair in top {
        let here = span(&pair);
        if let Some(rollback) = &rb.rollback {
            if !matches!(pair.as_rule(), Rule::comment | Rule::EOI) {
                return Err(ParseError::MisplacedRollback {
                    span: here,
                    rollback: rollback.span,
                });
            }
        }
        match pair.as_rule() {
            Rule::metadata => {
                if rb.meta.is_some() || !rb.items.is_empty() {
                    return Err(ParseError::MisplacedMetadata { span: here });
                }
                rb.meta = Some(metadata(pair)?);
            }
            Rule::param => rb.items.push(Item::Param(param(pair)?)),
            Rule::let_item => rb.items.push(Item::Let(let_binding(pair)?)),
            Rule::section => rb.items.push(Item::Section(section(pair)?)),
            Rule::step => rb.items.push(Item::Step(step(pair, 0)?)),
            Rule::rollback => rb.rollback = Some(rollback(pair)?),
            _ => {}
        }
    }
    Ok(rb)
}

pub(super) fn span(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

pub(super) fn ident(pair: &Pair<'_, Rule>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: span(pair),
    }
}

pub(super) fn str_lit(pair: &Pair<'_, Rule>) -> Result<StrLit> {
    let sp = span(pair);
    Ok(StrLit {
        value: strings::unescape(pair.as_str(), sp.start)?,
        span: sp,
    })
}

pub(super) fn expr(pair: &Pair<'_, Rule>) -> Expr {
    Expr {
        text: pair.as_str().to_string(),
        span: span(pair),
    }
}

pub(super) fn duration_lit(pair: &Pair<'_, Rule>) -> DurationLit {
    DurationLit {
        text: pair.as_str().to_string(),
        millis: duration::lenient_millis(pair.as_str()),
        span: span(pair),
    }
}

/// Keep the first of an option given once at most, or say it was repeated.
pub(super) fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    option: &'static str,
    span_of: impl Fn(&T) -> Span,
) -> Result<()> {
    if let Some(first) = slot {
        return Err(ParseError::DuplicateOption {
            option,
            first: span_of(first),
            span: span_of(&value),
        });
    }
    *slot = Some(value);
    Ok(())
}

fn metadata(pair: Pair<'_, Rule>) -> Result<Metadata> {
    let sp = span(&pair);
    let mut title = None;
    let mut entries = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::string => title = Some(str_lit(&p)?),
            Rule::meta_entry => entries.push(meta_entry(p)?),
            _ => {}
        }
    }
    Ok(Metadata {
        title: title.unwrap_or_else(|| missing_title(sp)),
        entries,
        span: sp,
    })
}

/// Titles are required by the grammar; this only keeps conversion total.
fn missing_title(at: Span) -> StrLit {
    StrLit {
        value: String::new(),
        span: Span::new(at.start, at.start),
    }
}

fn meta_entry(pair: Pair<'_, Rule>) -> Result<MetaEntry> {
    let sp = span(&pair);
    let mut key = None;
    let mut value = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident => key = Some(ident(&p)),
            Rule::string => value = Some(MetaValue::Str(str_lit(&p)?)),
            Rule::meta_word => value = Some(MetaValue::Word(ident(&p))),
            Rule::string_list => {
                let items = p
                    .into_inner()
                    .filter(|s| s.as_rule() == Rule::string)
                    .map(|s| str_lit(&s))
                    .collect::<Result<Vec<_>>>()?;
                value = Some(MetaValue::List(items));
            }
            _ => {}
        }
    }
    Ok(MetaEntry {
        key: key.unwrap_or_else(|| Ident {
            name: String::new(),
            span: sp,
        }),
        value: value.unwrap_or(MetaValue::List(Vec::new())),
        span: sp,
    })
}

fn param(pair: Pair<'_, Rule>) -> Result<Param> {
    let sp = span(&pair);
    let mut name = None;
    let mut ty = None;
    let mut default = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident => name = Some(ident(&p)),
            Rule::param_type => {
                let found = p.as_str();
                let Some(t) = ParamType::from_name(found) else {
                    return Err(ParseError::UnknownParamType {
                        found: found.to_string(),
                        span: span(&p),
                    });
                };
                ty = Some((t, span(&p)));
            }
            Rule::expr_line => default = Some(expr(&p)),
            _ => {}
        }
    }
    let (ty, ty_span) = ty.unwrap_or((ParamType::String, sp));
    Ok(Param {
        name: name.unwrap_or_else(|| Ident {
            name: String::new(),
            span: sp,
        }),
        ty,
        ty_span,
        default,
        span: sp,
    })
}

pub(super) fn let_binding(pair: Pair<'_, Rule>) -> Result<Let> {
    let sp = span(&pair);
    let mut name = None;
    let mut value = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::ident => name = Some(ident(&p)),
            Rule::expr_line => value = Some(expr(&p)),
            _ => {}
        }
    }
    Ok(Let {
        name: name.unwrap_or_else(|| Ident {
            name: String::new(),
            span: sp,
        }),
        value: value.unwrap_or(Expr {
            text: String::new(),
            span: Span::new(sp.end, sp.end),
        }),
        span: sp,
    })
}

fn section(pair: Pair<'_, Rule>) -> Result<Section> {
    let sp = span(&pair);
    let mut title = None;
    let mut when = None;
    let mut steps = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::string => title = Some(str_lit(&p)?),
            Rule::section_when => {
                when = p
                    .into_inner()
                    .find(|e| e.as_rule() == Rule::expr_head)
                    .map(|e| expr(&e));
            }
            Rule::step => steps.push(step(p, 1)?),
            _ => {}
        }
    }
    Ok(Section {
        title: title.unwrap_or_else(|| missing_title(sp)),
        when,
        steps,
        span: sp,
    })
}

fn rollback(pair: Pair<'_, Rule>) -> Result<Rollback> {
    let sp = span(&pair);
    let mut title = None;
    let mut steps = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::string => title = Some(str_lit(&p)?),
            Rule::step => steps.push(step(p, 1)?),
            _ => {}
        }
    }
    Ok(Rollback {
        title: title.unwrap_or_else(|| missing_title(sp)),
        steps,
        span: sp,
    })
}

/// A step; `depth` is how many blocks enclose it (for the nesting cap).
fn step(pair: Pair<'_, Rule>, depth: usize) -> Result<Step> {
    let sp = span(&pair);
    let mut id = None;
    let mut title = None;
    let mut timeout = None;
    let mut retry = None;
    let mut when = None;
    let mut once = None;
    let mut body = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::step_id => id = Some(ident(&p)),
            Rule::string => title = Some(str_lit(&p)?),
            Rule::opt_timeout => {
                if let Some(d) = p.into_inner().find(|d| d.as_rule() == Rule::duration) {
                    set_once(&mut timeout, duration_lit(&d), "timeout", |d| d.span)?;
                }
            }
            Rule::opt_retry => set_once(&mut retry, retry_option(p)?, "retry", |r| r.span)?,
            Rule::opt_when => {
                if let Some(e) = p.into_inner().find(|e| e.as_rule() == Rule::expr_step_when) {
                    set_once(&mut when, expr(&e), "when", |e| e.span)?;
                }
            }
            Rule::kw_once => set_once(&mut once, span(&p), "once", |s| *s)?,
            Rule::block => body = Some(statements::block(p, depth + 1)?),
            _ => {}
        }
    }
    Ok(Step {
        id: id.unwrap_or_else(|| Ident {
            name: String::new(),
            span: sp,
        }),
        title: title.unwrap_or_else(|| missing_title(sp)),
        timeout,
        retry,
        when,
        once,
        body: body.unwrap_or(Block {
            stmts: Vec::new(),
            span: Span::new(sp.end, sp.end),
        }),
        span: sp,
    })
}

fn retry_option(pair: Pair<'_, Rule>) -> Result<Retry> {
    let sp = span(&pair);
    let mut count = 0;
    let mut count_span = sp;
    let mut backoff = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::count => {
                count_span = span(&p);
                count = p
                    .as_str()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n <= MAX_RETRIES)
                    .ok_or_else(|| ParseError::RetryCount {
                        found: p.as_str().to_string(),
                        max: MAX_RETRIES,
                        span: count_span,
                    })?;
            }
            Rule::duration => backoff = Some(duration_lit(&p)),
            _ => {}
        }
    }
    Ok(Retry {
        count,
        count_span,
        backoff,
        span: sp,
    })
}
