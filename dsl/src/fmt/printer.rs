//! The formatter's output buffer: lines at an indent, blank-line decisions
//! and comment placement by source position.

use crate::ast::{Comment, Expr};

const INDENT: &str = "  ";

/// How a node is separated from what was printed before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sep {
    /// Exactly one blank line (unless at the start of a block or file).
    Blank,
    /// One blank line if the source had at least one there, else none.
    Keep,
}

enum Out {
    Blank,
    Text {
        indent: usize,
        text: String,
        comment: Option<String>,
    },
}

pub struct Printer<'a> {
    src: &'a str,
    comments: Vec<&'a Comment>,
    next_comment: usize,
    out: Vec<Out>,
    indent: usize,
    /// The source offset up to which everything has been printed.
    consumed: usize,
    /// Right after `{` or at the top of the file: no blank line may follow.
    at_start: bool,
}

impl<'a> Printer<'a> {
    /// Comments that sit inside an expression belong to its verbatim text.
    pub fn new(src: &'a str, comments: &'a [Comment], exprs: &[&Expr]) -> Self {
        let mut spans: Vec<_> = exprs.iter().map(|e| (e.span.start, e.span.end)).collect();
        spans.sort_unstable();
        let comments = comments
            .iter()
            .filter(|c| {
                let i = spans.partition_point(|&(start, _)| start <= c.span.start);
                i == 0 || spans[i - 1].1 <= c.span.start
            })
            .collect();
        Printer {
            src,
            comments,
            next_comment: 0,
            out: Vec::new(),
            indent: 0,
            consumed: 0,
            at_start: true,
        }
    }

    /// The source text of a span, as written.
    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or("")
    }

    pub fn source_len(&self) -> usize {
        self.src.len()
    }

    pub fn indent(&mut self) {
        self.indent += 1;
        self.at_start = true;
    }

    pub fn dedent(&mut self) {
        self.indent = self.indent.saturating_sub(1);
    }

    /// Print a line of code for the source range `start..end`: first the
    /// comments before `end` (own-line, above it), then the line, then a
    /// comment that follows `end` on the same source line.
    pub fn line(&mut self, sep: Sep, start: usize, end: usize, text: String) {
        self.comments_before(sep, end, Some(start));
        self.push_text(text, end);
    }

    /// A closing line (`}`, `} else {`) for the bracket at `close`: comments
    /// before it stay inside the block, one level deeper.
    pub fn close(&mut self, close: usize, end: usize, text: String) {
        self.indent += 1;
        self.comments_before(Sep::Keep, close, None);
        self.indent -= 1;
        self.at_start = false;
        self.push_text(text, end);
    }

    /// Print the remaining comments at the end of the file.
    pub fn finish(mut self) -> String {
        self.indent = 0;
        self.comments_before(Sep::Keep, usize::MAX, None);
        render(&self.out)
    }

    /// Own-line comments starting before `until`; then the blank line the
    /// node at `node` (if any) wants.
    fn comments_before(&mut self, sep: Sep, until: usize, node: Option<usize>) {
        let mut first = true;
        while let Some(comment) = self.comments.get(self.next_comment).copied() {
            if comment.span.start >= until {
                break;
            }
            let wants_blank =
                (first && sep == Sep::Blank) || self.blank_in_source(comment.span.start);
            self.blank_if(wants_blank);
            first = false;
            self.out.push(Out::Text {
                indent: self.indent,
                text: comment.text.trim_end().to_string(),
                comment: None,
            });
            self.consumed = comment.span.end;
            self.next_comment += 1;
            self.at_start = false;
        }
        if let Some(node) = node {
            let wants_blank = if first {
                sep == Sep::Blank || self.blank_in_source(node)
            } else {
                self.blank_in_source(node)
            };
            self.blank_if(wants_blank);
        }
    }

    fn push_text(&mut self, text: String, end: usize) {
        self.consumed = self.consumed.max(end);
        let mut comment = None;
        if let Some(c) = self.comments.get(self.next_comment) {
            let between = self.slice(end.min(c.span.start), c.span.start);
            if c.span.start >= end && !between.contains(['\n', '\r']) {
                comment = Some(c.text.trim_end().to_string());
                self.consumed = c.span.end;
                self.next_comment += 1;
            }
        }
        self.out.push(Out::Text {
            indent: self.indent,
            text,
            comment,
        });
        self.at_start = false;
    }

    fn blank_if(&mut self, wanted: bool) {
        if wanted && !self.at_start && !matches!(self.out.last(), Some(Out::Blank) | None) {
            self.out.push(Out::Blank);
        }
    }

    /// Whether the source has an empty line between what was printed last
    /// and `pos`.
    fn blank_in_source(&self, pos: usize) -> bool {
        if pos <= self.consumed {
            return false;
        }
        let between = self.slice(self.consumed, pos);
        let mut lines = between.split('\n');
        lines.next();
        let rest: Vec<&str> = lines.collect();
        // Lines strictly between two newlines.
        rest.len() >= 2 && rest[..rest.len() - 1].iter().any(|l| l.trim().is_empty())
    }
}

fn render(out: &[Out]) -> String {
    let columns = comment_columns(out);
    let mut s = String::new();
    for (line, column) in out.iter().zip(columns) {
        match line {
            Out::Blank => s.push('\n'),
            Out::Text {
                indent,
                text,
                comment,
            } => {
                let start = s.len();
                for _ in 0..*indent {
                    s.push_str(INDENT);
                }
                s.push_str(text);
                if let Some(comment) = comment {
                    let width = s[start..].chars().count();
                    let pad = column.unwrap_or(width + 2).saturating_sub(width).max(1);
                    s.extend(std::iter::repeat_n(' ', pad));
                    s.push_str(comment);
                }
                s.push('\n');
            }
        }
    }
    s
}

/// Trailing comments on consecutive single-line code lines of the same
/// indent line up, two spaces after the longest code.
fn comment_columns(out: &[Out]) -> Vec<Option<usize>> {
    let mut columns = vec![None; out.len()];
    let mut i = 0;
    while i < out.len() {
        let Some(indent) = aligned_indent(&out[i]) else {
            i += 1;
            continue;
        };
        let mut j = i;
        let mut width = 0;
        while j < out.len() && aligned_indent(&out[j]) == Some(indent) {
            if let Out::Text { text, .. } = &out[j] {
                width = width.max(indent * INDENT.len() + text.chars().count());
            }
            j += 1;
        }
        for column in &mut columns[i..j] {
            *column = Some(width + 2);
        }
        i = j;
    }
    columns
}

fn aligned_indent(line: &Out) -> Option<usize> {
    match line {
        Out::Text {
            indent,
            text,
            comment: Some(_),
        } if !text.contains('\n') => Some(*indent),
        _ => None,
    }
}
