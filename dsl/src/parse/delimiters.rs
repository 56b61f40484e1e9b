//! A linear pre-pass over the source that checks brackets, strings and
//! templates before the grammar runs.
//!
//! It exists for two reasons: the grammar is recursive, so nesting must be
//! capped before it runs (deep input must not overflow the stack), and an
//! unclosed bracket or string is best reported where it was opened, which a
//! PEG parser failing at the end of the file cannot do. The lexical rules here
//! mirror the `x_*` rules of `grammar.pest`.

use crate::ast::Span;
use crate::diagnostic::ParseError;

/// Deepest nesting of blocks, brackets and template interpolations accepted.
pub const MAX_NESTING: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Paren,
    Bracket,
    /// `{` of a DSL block or a Rhai block.
    Brace,
    /// `#{` of a Rhai map literal.
    Map,
    /// `${` inside a backtick template: its `}` returns to the template.
    Interp,
}

impl Open {
    fn text(self) -> &'static str {
        match self {
            Open::Paren => "(",
            Open::Bracket => "[",
            Open::Brace => "{",
            Open::Map => "#{",
            Open::Interp => "${",
        }
    }
    fn close(self) -> char {
        match self {
            Open::Paren => ')',
            Open::Bracket => ']',
            Open::Brace | Open::Map | Open::Interp => '}',
        }
    }
    /// Rhai-only brackets: a `#` comment inside one would reach Rhai.
    fn is_expression(self) -> bool {
        !matches!(self, Open::Brace)
    }
}

struct Frame {
    open: Open,
    at: usize,
    /// For `Interp`: where its template's backtick is.
    template: usize,
}

/// Check brackets, strings, templates and nesting depth of the whole source.
pub fn check(source: &str) -> Result<(), ParseError> {
    Scanner {
        bytes: source.as_bytes(),
        stack: Vec::new(),
    }
    .run()
}

struct Scanner<'a> {
    bytes: &'a [u8],
    stack: Vec<Frame>,
}

impl Scanner<'_> {
    fn run(mut self) -> Result<(), ParseError> {
        let bytes = self.bytes;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'#' if bytes.get(i + 1) == Some(&b'{') => {
                    self.push(Open::Map, i, 2, 0)?;
                    i += 2;
                }
                b'#' => {
                    if self.stack.last().is_some_and(|f| f.open.is_expression()) {
                        return Err(ParseError::CommentInExpression {
                            span: Span::new(i, line_end(bytes, i)),
                        });
                    }
                    i = line_end(bytes, i);
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(bytes, i),
                b'/' if bytes.get(i + 1) == Some(&b'*') => i = block_comment_end(bytes, i),
                b'"' => {
                    let multiline = self.stack.last().is_some_and(|f| f.open.is_expression());
                    i = string_end(bytes, i, multiline)?;
                }
                b'\'' => i = char_end(bytes, i),
                b'`' => i = self.template_body(i, i + 1)?,
                b'(' | b'[' | b'{' => {
                    let open = match c {
                        b'(' => Open::Paren,
                        b'[' => Open::Bracket,
                        _ => Open::Brace,
                    };
                    self.push(open, i, 1, 0)?;
                    i += 1;
                }
                b')' | b']' | b'}' => {
                    let close = char::from(c);
                    let Some(frame) = self.stack.pop() else {
                        return Err(ParseError::UnexpectedDelimiter {
                            close,
                            span: Span::new(i, i + 1),
                        });
                    };
                    if frame.open.close() != close {
                        return Err(ParseError::MismatchedDelimiter {
                            open: frame.open.text().to_string(),
                            close,
                            expected: frame.open.close(),
                            open_span: Span::new(frame.at, frame.at + frame.open.text().len()),
                            span: Span::new(i, i + 1),
                        });
                    }
                    i += 1;
                    if frame.open == Open::Interp {
                        // Back inside the template that holds this `${ … }`.
                        i = self.template_body(frame.template, i)?;
                    }
                }
                _ => i += 1,
            }
        }
        match self.stack.last() {
            None => Ok(()),
            Some(frame) if frame.open == Open::Interp => {
                Err(unterminated_template(frame.template, bytes.len()))
            }
            Some(frame) => Err(ParseError::UnclosedDelimiter {
                open: frame.open.text().to_string(),
                close: frame.open.close(),
                span: Span::new(frame.at, frame.at + frame.open.text().len()),
            }),
        }
    }

    fn push(
        &mut self,
        open: Open,
        at: usize,
        len: usize,
        template: usize,
    ) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_NESTING {
            return Err(ParseError::NestingTooDeep {
                max: MAX_NESTING,
                span: Span::new(at, at + len),
            });
        }
        self.stack.push(Frame { open, at, template });
        Ok(())
    }

    /// Scan the text of the template opened at `start` from `from` until its
    /// closing backtick or a `${`; returns where scanning resumes.
    fn template_body(&mut self, start: usize, from: usize) -> Result<usize, ParseError> {
        let bytes = self.bytes;
        let mut i = from;
        while i < bytes.len() {
            match bytes[i] {
                b'`' if bytes.get(i + 1) == Some(&b'`') => i += 2,
                b'`' => return Ok(i + 1),
                b'\\' if bytes.get(i + 1) == Some(&b'$') => i += 2,
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    self.push(Open::Interp, i, 2, start)?;
                    return Ok(i + 2);
                }
                _ => i += 1,
            }
        }
        Err(unterminated_template(start, bytes.len()))
    }
}

fn unterminated_template(start: usize, len: usize) -> ParseError {
    ParseError::UnterminatedString {
        what: "template",
        close: "a `",
        span: Span::new(start, (start + 1).min(len)),
    }
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(bytes.len(), |p| from + p)
}

fn block_comment_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from + 2;
    while i + 1 < bytes.len() {
        if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            return i + 2;
        }
        i += 1;
    }
    // Unterminated: the grammar reads `/*` as two punctuation pieces and Rhai
    // reports it, so carry on scanning right after it.
    from + 2
}

/// Index just past the closing quote of the `"…"` string starting at `from`;
/// `multiline` inside expression brackets, where a string may span lines.
fn string_end(bytes: &[u8], from: usize, multiline: bool) -> Result<usize, ParseError> {
    let mut i = from + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Ok(i + 1),
            b'\\' => i += 2,
            b'\n' | b'\r' if !multiline => break,
            _ => i += 1,
        }
    }
    Err(ParseError::UnterminatedString {
        what: "string",
        close: "a \"",
        span: Span::new(from, line_end(bytes, from)),
    })
}

/// A `'c'` character literal (as the grammar's `x_char` reads it); a lone
/// `'` is just a character.
fn char_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from + 1;
    match bytes.get(i) {
        Some(b'\\') => {
            i += 2;
            while i < bytes.len() && !matches!(bytes[i], b'\'' | b'\n' | b'\r') {
                i += 1;
            }
        }
        Some(b'\'' | b'\n' | b'\r') | None => return from + 1,
        Some(&b) => i += utf8_len(b),
    }
    if bytes.get(i) == Some(&b'\'') {
        i + 1
    } else {
        from + 1
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}
