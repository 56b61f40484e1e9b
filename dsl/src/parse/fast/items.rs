//! The file and its top-level items, as `convert` builds them.

use super::Parser;
use crate::ast::*;
use crate::parse::convert::MAX_RETRIES;

impl Parser<'_> {
    /// `file = SOI ~ trivia ~ (top ~ trivia)* ~ EOI`, with `convert::runbook`'s
    /// order rules (metadata first, nothing after the rollback block).
    pub(super) fn file(&mut self) -> Option<Runbook> {
        let mut rb = Runbook {
            meta: None,
            items: Vec::new(),
            rollback: None,
            comments: Vec::new(),
            span: Span::new(0, self.src.len()),
            source_hash: crate::fingerprint::source_hash(self.src),
        };
        self.trivia();
        while self.pos < self.b.len() {
            // Every item starts with its own keyword: once one matched, a
            // failure fails the file (the grammar would need EOI there).
            if rb.rollback.is_some() {
                return None; // `MisplacedRollback`, or a syntax error
            }
            if self.keyword("runbook").is_some() {
                if rb.meta.is_some() || !rb.items.is_empty() {
                    return None; // `MisplacedMetadata`
                }
                rb.meta = Some(self.metadata()?);
            } else if self.keyword("param").is_some() {
                rb.items.push(Item::Param(self.param()?));
            } else if self.keyword("let").is_some() {
                rb.items.push(Item::Let(self.let_binding()?));
            } else if self.keyword("section").is_some() {
                rb.items.push(Item::Section(self.section()?));
            } else if self.keyword("step").is_some() {
                rb.items.push(Item::Step(self.step(0)?));
            } else if self.keyword("rollback").is_some() {
                rb.rollback = Some(self.rollback()?);
            } else {
                return None;
            }
            self.trivia();
        }
        rb.comments = std::mem::take(&mut self.comments);
        rb.items.shrink_to_fit();
        rb.comments.shrink_to_fit();
        Some(rb)
    }

    /// Where the item whose keyword was just read starts.
    fn keyword_start(&self, word: &str) -> usize {
        self.pos - word.len()
    }

    /// `metadata`, after `runbook`.
    fn metadata(&mut self) -> Option<Metadata> {
        let start = self.keyword_start("runbook");
        self.sp();
        let title = self.string()?;
        self.trivia();
        self.byte(b'{')?;
        self.trivia();
        let mut entries = Vec::new();
        while let Some(key) = self.ident() {
            entries.push(self.meta_entry(key)?);
            self.trivia();
        }
        self.byte(b'}')?;
        Some(Metadata {
            title,
            entries,
            span: Span::new(start, self.pos),
        })
    }

    /// `meta_entry`, after its key: `string | string_list | meta_word`.
    fn meta_entry(&mut self, key: Ident) -> Option<MetaEntry> {
        self.sp();
        let value = match self.peek()? {
            b'"' => MetaValue::Str(self.string()?),
            b'[' => MetaValue::List(self.string_list()?),
            _ => MetaValue::Word(self.ident()?),
        };
        let end = self.pos;
        Some(MetaEntry {
            span: Span::new(key.span.start, end),
            key,
            value,
        })
    }

    /// `string_list`: `[ "a", "b", ]` (a trailing comma is allowed).
    fn string_list(&mut self) -> Option<Vec<StrLit>> {
        self.byte(b'[')?;
        self.trivia();
        let mut items = Vec::new();
        if self.peek() == Some(b'"') {
            items.push(self.string()?);
            self.trivia();
            loop {
                let m = self.mark();
                if self.byte(b',').is_some() {
                    self.trivia();
                    if self.peek() == Some(b'"') {
                        if let Some(s) = self.string() {
                            items.push(s);
                            self.trivia();
                            continue;
                        }
                    }
                }
                self.reset(m);
                break;
            }
            if self.byte(b',').is_some() {
                self.trivia();
            }
        }
        self.byte(b']')?;
        Some(items)
    }

    /// `param`, after `param`: `name: type [= default]`.
    fn param(&mut self) -> Option<Param> {
        let start = self.keyword_start("param");
        self.sp();
        let name = self.ident()?;
        self.sp();
        self.byte(b':')?;
        self.sp();
        let ty_ident = self.ident()?;
        let ty = ParamType::from_name(&ty_ident.name).unwrap_or_else(|| {
            self.invalid = true; // `UnknownParamType`
            ParamType::String
        });
        let m = self.mark();
        self.sp();
        let default = if self.byte(b'=').is_some() {
            self.sp();
            Some(self.expr_line()?)
        } else {
            self.reset(m);
            None
        };
        Some(Param {
            name,
            ty,
            ty_span: ty_ident.span,
            default,
            span: Span::new(start, self.pos),
        })
    }

    /// `let_item` and `let_stmt`, after `let`: `name = expr`.
    pub(super) fn let_binding(&mut self) -> Option<Let> {
        let start = self.keyword_start("let");
        self.sp();
        let name = self.ident()?;
        self.sp();
        self.byte(b'=')?;
        self.sp();
        let value = self.expr_line()?;
        Some(Let {
            name,
            value,
            span: Span::new(start, self.pos),
        })
    }

    /// `section`, after `section`: `"title" [when expr] { steps }`.
    fn section(&mut self) -> Option<Section> {
        let start = self.keyword_start("section");
        self.sp();
        let title = self.string()?;
        self.trivia();
        let mut when = None;
        if self.keyword("when").is_some() {
            self.sp();
            when = Some(self.expr(|x, i| x.head(i))?);
            self.trivia();
        }
        let steps = self.steps_block()?;
        Some(Section {
            title,
            when,
            steps,
            span: Span::new(start, self.pos),
        })
    }

    /// `rollback`, after `rollback`: `"title" { steps }`.
    fn rollback(&mut self) -> Option<Rollback> {
        let start = self.keyword_start("rollback");
        self.sp();
        let title = self.string()?;
        self.trivia();
        let steps = self.steps_block()?;
        Some(Rollback {
            title,
            steps,
            span: Span::new(start, self.pos),
        })
    }

    /// `{ (step ~ trivia)* }` of a section or the rollback block.
    fn steps_block(&mut self) -> Option<Vec<Step>> {
        self.byte(b'{')?;
        self.trivia();
        let mut steps = Vec::new();
        while self.keyword("step").is_some() {
            steps.push(self.step(1)?);
            self.trivia();
        }
        self.byte(b'}')?;
        steps.shrink_to_fit();
        Some(steps)
    }

    /// `step`, after `step`; `depth` is how many blocks enclose it.
    fn step(&mut self, depth: usize) -> Option<Step> {
        let start = self.keyword_start("step");
        self.sp();
        let id = self.name(true)?;
        self.sp();
        let title = self.string()?;
        let mut timeout = None;
        let mut retry = None;
        let mut when = None;
        let mut once = None;
        // `(trivia ~ step_option)* ~ trivia ~ block`: the trivia before the
        // block is the same either way. A repeated option is a conversion
        // error (`DuplicateOption`): the first is kept.
        loop {
            self.trivia();
            if self.keyword("timeout").is_some() {
                self.sp();
                let d = self.duration()?;
                self.set_once(&mut timeout, d);
            } else if self.keyword("retry").is_some() {
                let r = self.retry()?;
                self.set_once(&mut retry, r);
            } else if self.keyword("when").is_some() {
                self.sp();
                let e = self.expr(|x, i| x.step_when(i))?;
                self.set_once(&mut when, e);
            } else if let Some(s) = self.keyword("once") {
                self.set_once(&mut once, s);
            } else {
                break;
            }
        }
        let body = self.block(depth + 1)?;
        Some(Step {
            id,
            title,
            timeout,
            retry,
            when,
            once,
            body,
            span: Span::new(start, self.pos),
        })
    }

    /// `convert::set_once`: keep the first, mark a repeat as an error.
    pub(super) fn set_once<T>(&mut self, slot: &mut Option<T>, value: T) {
        if slot.is_some() {
            self.invalid = true;
        } else {
            *slot = Some(value);
        }
    }

    /// `opt_retry`, after `retry`: `N [backoff D]`.
    fn retry(&mut self) -> Option<Retry> {
        let start = self.keyword_start("retry");
        self.sp();
        let count_span = self.count()?;
        let count = self.src[count_span.start..count_span.end]
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_RETRIES)
            .unwrap_or_else(|| {
                self.invalid = true; // `RetryCount`
                0
            });
        let m = self.mark();
        self.sp();
        let backoff = if self.keyword("backoff").is_some() {
            self.sp();
            Some(self.duration()?)
        } else {
            self.reset(m);
            None
        };
        Some(Retry {
            count,
            count_span,
            backoff,
            span: Span::new(start, self.pos),
        })
    }
}
