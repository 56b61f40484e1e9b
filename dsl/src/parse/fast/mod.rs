//! The fast path of the parser: a hand-written recognizer of `grammar.pest`
//! that builds the AST directly, without pest's per-rule bookkeeping (which
//! made parsing most of the cost of `runbook lint` and of a resume).
//!
//! The pest grammar stays the specification and the only producer of syntax
//! errors. This parser answers `Some` only for text the grammar accepts and
//! converts without error, with the very tree `convert` would build; on
//! anything else (a syntax error, a conversion error such as a repeated step
//! option, or input it is unsure about) it answers `None` and the caller runs
//! the pest path, which reports. `agreement_tests` holds it to that on
//! every test input and on random and mutated runbooks.
//!
//! Each function mirrors one rule and notes where the grammar backtracks.
//! A rule that fails returns `None`. A conversion error is not a failure of
//! the rule: like `convert`, which only sees what the grammar kept, it marks
//! the parse `invalid` and goes on, and a backtrack forgets it (an
//! `undo { … }` that is not a block of statements is a Rhai block
//! expression, whatever its statements held).

mod items;
mod rhai_extent;
mod statements;

use crate::ast::{Comment, DurationLit, Expr, Ident, Runbook, Span, StrLit};
use crate::duration;
use rhai_extent::{is_ident_char, Extent};

/// The runbook `source` denotes, when the fast path can tell; `None` means
/// "ask the pest grammar".
pub(super) fn parse(source: &str) -> Option<Runbook> {
    let mut p = Parser {
        src: source,
        b: source.as_bytes(),
        pos: 0,
        comments: Vec::new(),
        extent: Extent::new(source.as_bytes()),
        invalid: false,
    };
    p.file().filter(|_| !p.invalid && !p.extent.too_deep)
}

struct Parser<'s> {
    src: &'s str,
    b: &'s [u8],
    pos: usize,
    /// Comments met in trivia, in source order (`convert` collects the
    /// `comment` pairs of the whole tree, which is the same list).
    comments: Vec<Comment>,
    extent: Extent<'s>,
    /// A conversion error was met in what the grammar keeps so far: the
    /// answer (an error) must come from the pest path.
    invalid: bool,
}

/// A point to backtrack to.
#[derive(Clone, Copy)]
struct Mark {
    pos: usize,
    comments: usize,
    invalid: bool,
}

impl<'s> Parser<'s> {
    fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            comments: self.comments.len(),
            invalid: self.invalid,
        }
    }

    fn reset(&mut self, m: Mark) {
        self.pos = m.pos;
        self.comments.truncate(m.comments);
        self.invalid = m.invalid;
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// `trivia`: spaces, line breaks and `#` comments (not `#{`).
    fn trivia(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'#' if self.b.get(self.pos + 1) != Some(&b'{') => {
                    let start = self.pos;
                    while self.peek().is_some_and(|c| c != b'\n' && c != b'\r') {
                        self.pos += 1;
                    }
                    self.comments.push(Comment {
                        text: self.src[start..self.pos].to_string(),
                        span: Span::new(start, self.pos),
                    });
                }
                _ => return,
            }
        }
    }

    /// `sp`: spaces and tabs.
    fn sp(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A `kw_*` rule: the word, not followed by an identifier character.
    /// Returns its span.
    fn keyword(&mut self, word: &str) -> Option<Span> {
        if !self.extent.keyword(self.pos, word.as_bytes()) {
            return None;
        }
        let start = self.pos;
        self.pos += word.len();
        Some(Span::new(start, self.pos))
    }

    /// One punctuation byte (`{`, `}`, `=`, …).
    fn byte(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.pos += 1)
    }

    /// `ident` (`dash`: `step_id`, which also allows `-`).
    fn name(&mut self, dash: bool) -> Option<Ident> {
        let start = self.pos;
        let first = self.peek()?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        self.pos += 1;
        while self
            .peek()
            .is_some_and(|c| is_ident_char(c) || (dash && c == b'-'))
        {
            self.pos += 1;
        }
        Some(Ident {
            name: self.src[start..self.pos].to_string(),
            span: Span::new(start, self.pos),
        })
    }

    fn ident(&mut self) -> Option<Ident> {
        self.name(false)
    }

    /// `string`, unescaped as `convert::str_lit` does (a bad escape is a
    /// conversion error).
    fn string(&mut self) -> Option<StrLit> {
        let start = self.pos;
        self.byte(b'"')?;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => match self.b.get(self.pos + 1) {
                    Some(b'\n' | b'\r') | None => return None,
                    Some(_) => self.pos += 2,
                },
                b'\n' | b'\r' => return None,
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        let span = Span::new(start, self.pos);
        let value =
            super::strings::unescape(&self.src[start..self.pos], start).unwrap_or_else(|_| {
                self.invalid = true;
                String::new()
            });
        Some(StrLit { value, span })
    }

    fn digits(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// `duration`: `(digits ~ unit)+ ~ !ident_char`.
    fn duration(&mut self) -> Option<DurationLit> {
        let start = self.pos;
        loop {
            let before = self.pos;
            let unit = self.digits().then(|| match self.peek() {
                Some(b'm') if self.b.get(self.pos + 1) == Some(&b's') => 2,
                Some(b's' | b'm' | b'h' | b'd') => 1,
                _ => 0,
            });
            match unit {
                Some(n) if n > 0 => self.pos += n,
                _ => {
                    self.pos = before;
                    break;
                }
            }
        }
        if self.pos == start || self.peek().is_some_and(is_ident_char) {
            self.pos = start;
            return None;
        }
        let text = &self.src[start..self.pos];
        Some(DurationLit {
            text: text.to_string(),
            millis: duration::lenient_millis(text),
            span: Span::new(start, self.pos),
        })
    }

    /// `count`: digits not followed by an identifier character.
    fn count(&mut self) -> Option<Span> {
        let start = self.pos;
        if !self.digits() || self.peek().is_some_and(is_ident_char) {
            self.pos = start;
            return None;
        }
        Some(Span::new(start, self.pos))
    }

    /// A Rhai expression whose end `scan` finds. Past the recursion budget
    /// the extent is unknown: the parse is then marked invalid for good.
    fn expr(&mut self, scan: impl FnOnce(&mut Extent<'s>, usize) -> Option<usize>) -> Option<Expr> {
        let start = self.pos;
        let end = scan(&mut self.extent, start);
        if self.extent.too_deep {
            return None;
        }
        let end = end?;
        self.pos = end;
        Some(Expr {
            text: self.src[start..end].to_string(),
            span: Span::new(start, end),
        })
    }

    fn expr_line(&mut self) -> Option<Expr> {
        self.expr(|x, i| x.line(i))
    }
}

#[cfg(test)]
mod agreement_tests;
