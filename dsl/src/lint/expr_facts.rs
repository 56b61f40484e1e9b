//! What lint needs to know about one Rhai expression, found by a small
//! scanner over its text: variable references, calls and backtick templates.
//!
//! Lint runs on every file in CI, so it must be fast and must never fail:
//! the scanner is a single pass over the bytes, knows Rhai's strings,
//! characters, comments and `${…}` interpolations, and treats anything it
//! does not understand as punctuation. Compile errors are the check pass's
//! job, not this one's.

use std::ops::Range;

/// How a function is called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallKind<'a> {
    /// `kube::deployment(…)`
    Module(&'a str),
    /// `env(…)`
    Free,
    /// `app.scale(…)`
    Method,
}

/// One call in an expression. Ranges are byte offsets into the expression text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call<'a> {
    pub kind: CallKind<'a>,
    pub name: &'a str,
    /// From the module (or the name) to the closing parenthesis.
    pub range: Range<usize>,
    /// Inside the parentheses.
    pub args: Range<usize>,
}

/// A `${…}` inside a backtick template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpolation {
    /// `${` to `}` inclusive.
    pub range: Range<usize>,
    /// The expression between the braces.
    pub inner: Range<usize>,
}

/// A backtick template string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub range: Range<usize>,
    pub interpolations: Vec<Interpolation>,
    /// The template is the first argument of a `sh(…)` call.
    pub sh_argument: bool,
}

/// Everything lint reads from one expression.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExprFacts<'a> {
    /// Names used as variables (not properties, methods, modules or map keys).
    pub refs: Vec<(&'a str, Range<usize>)>,
    pub calls: Vec<Call<'a>>,
    pub templates: Vec<Template>,
}

impl<'a> ExprFacts<'a> {
    /// Scan an expression's text.
    pub fn scan(text: &'a str) -> ExprFacts<'a> {
        let mut scanner = Scanner {
            text,
            src: text.as_bytes(),
            pos: 0,
            facts: ExprFacts::default(),
            open: Vec::new(),
            prev: Prev::Start,
        };
        scanner.run(text.len(), false);
        // Calls whose parenthesis never closed still count, up to the end.
        for i in scanner.open.drain(..).flatten() {
            let call = &mut scanner.facts.calls[i];
            call.args.end = text.len();
            call.range.end = text.len();
        }
        scanner.facts
    }

    /// Whether `name` is used as a variable anywhere in the expression.
    pub fn references(&self, name: &str) -> bool {
        self.refs.iter().any(|(n, _)| *n == name)
    }
}

/// What came just before the current token, to tell `a.b` from `b`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    Start,
    Dot,
    PathSep,
    Other,
}

struct Scanner<'a> {
    text: &'a str,
    src: &'a [u8],
    pos: usize,
    facts: ExprFacts<'a>,
    /// One entry per open bracket: the call it belongs to, if any.
    open: Vec<Option<usize>>,
    prev: Prev,
}

/// Rhai keywords and keyword functions: never variables or calls to check.
fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "true"
            | "false"
            | "if"
            | "else"
            | "switch"
            | "do"
            | "while"
            | "loop"
            | "until"
            | "for"
            | "in"
            | "let"
            | "const"
            | "continue"
            | "break"
            | "return"
            | "throw"
            | "try"
            | "catch"
            | "fn"
            | "private"
            | "import"
            | "export"
            | "as"
            | "global"
            | "Fn"
            | "call"
            | "curry"
            | "this"
            | "is_def_var"
            | "is_def_fn"
    )
}

impl<'a> Scanner<'a> {
    /// Scan until `end`, or until the `}` closing an interpolation when
    /// `in_interpolation` (returns just before it).
    fn run(&mut self, end: usize, in_interpolation: bool) {
        let base_depth = self.open.len();
        while self.pos < end {
            let c = self.src[self.pos];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'/' if self.peek(1) == Some(b'/') => self.skip_line_comment(end),
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment(end),
                b'"' => {
                    self.skip_quoted(b'"', end);
                    self.prev = Prev::Other;
                }
                b'\'' => {
                    self.skip_quoted(b'\'', end);
                    self.prev = Prev::Other;
                }
                b'`' => {
                    self.template(end);
                    self.prev = Prev::Other;
                }
                b'0'..=b'9' => {
                    self.skip_number(end);
                    self.prev = Prev::Other;
                }
                b'_' | b'a'..=b'z' | b'A'..=b'Z' => self.ident(end),
                b':' if self.peek(1) == Some(b':') => {
                    self.pos += 2;
                    self.prev = Prev::PathSep;
                }
                b'.' if self.peek(1) != Some(b'.') => {
                    self.pos += 1;
                    self.prev = Prev::Dot;
                }
                b'(' | b'[' => {
                    self.open.push(None);
                    self.pos += 1;
                    self.prev = Prev::Other;
                }
                b'{' => {
                    self.open.push(None);
                    self.pos += 1;
                    self.prev = Prev::Other;
                }
                b'}' if in_interpolation && self.open.len() == base_depth => return,
                b')' | b']' | b'}' => {
                    if self.open.len() > base_depth {
                        if let Some(Some(i)) = self.open.pop() {
                            let call = &mut self.facts.calls[i];
                            call.args.end = self.pos;
                            call.range.end = self.pos + 1;
                        }
                    }
                    self.pos += 1;
                    self.prev = Prev::Other;
                }
                _ => {
                    self.pos += 1;
                    self.prev = Prev::Other;
                }
            }
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn skip_line_comment(&mut self, end: usize) {
        while self.pos < end && self.src[self.pos] != b'\n' {
            self.pos += 1;
        }
    }

    fn skip_block_comment(&mut self, end: usize) {
        // Rhai block comments nest.
        let mut depth = 0usize;
        while self.pos < end {
            if self.src[self.pos] == b'/' && self.peek(1) == Some(b'*') {
                depth += 1;
                self.pos += 2;
            } else if self.src[self.pos] == b'*' && self.peek(1) == Some(b'/') {
                depth -= 1;
                self.pos += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.pos += 1;
            }
        }
    }

    fn skip_quoted(&mut self, quote: u8, end: usize) {
        self.pos += 1;
        while self.pos < end {
            match self.src[self.pos] {
                b'\\' => self.pos += 2,
                c if c == quote => {
                    self.pos += 1;
                    return;
                }
                _ => self.pos += 1,
            }
        }
        self.pos = self.pos.min(end);
    }

    fn skip_number(&mut self, end: usize) {
        while self.pos < end {
            let c = self.src[self.pos];
            let exponent_sign = (c == b'+' || c == b'-')
                && matches!(self.src[self.pos - 1], b'e' | b'E')
                && !self.src_is_hex_prefix();
            let fraction = c == b'.' && self.peek(1).is_some_and(|d| d.is_ascii_digit());
            if c.is_ascii_alphanumeric() || c == b'_' || fraction || exponent_sign {
                self.pos += 1;
            } else {
                return;
            }
        }
    }

    /// `0x1e+1` is not an exponent.
    fn src_is_hex_prefix(&self) -> bool {
        let mut i = self.pos;
        while i > 0 && (self.src[i - 1].is_ascii_alphanumeric() || self.src[i - 1] == b'_') {
            i -= 1;
        }
        self.src
            .get(i..i + 2)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"0x"))
    }

    fn ident(&mut self, end: usize) {
        let start = self.pos;
        while self.pos < end
            && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_')
        {
            self.pos += 1;
        }
        let name = &self.text[start..self.pos];
        let before = self.prev;
        self.prev = Prev::Other;
        let after = self.next_non_space(end);
        let next = after.and_then(|i| self.src.get(i).copied());
        let next2 = after.and_then(|i| self.src.get(i + 1).copied());

        if next == Some(b':') && next2 == Some(b':') {
            // A module name: the path continues; remember where it started.
            self.module_path(start, end);
            return;
        }
        if next == Some(b'(') {
            let kind = match before {
                Prev::Dot => CallKind::Method,
                _ => CallKind::Free,
            };
            if before != Prev::PathSep && !is_keyword(name) {
                self.open_call(kind, name, start, after.unwrap_or(self.pos));
            }
            return;
        }
        let is_map_key = next == Some(b':') && next2 != Some(b':');
        if before != Prev::Dot && before != Prev::PathSep && !is_map_key && !is_keyword(name) {
            self.facts.refs.push((name, start..self.pos));
        }
    }

    /// `a::b::c(…)`: the last segment is the function, the rest the module.
    fn module_path(&mut self, start: usize, end: usize) {
        let mut module_end = self.pos;
        loop {
            // At `::`.
            let Some(sep) = self.next_non_space(end) else {
                return;
            };
            if self.src.get(sep..sep + 2) != Some(b"::".as_slice()) {
                return;
            }
            self.pos = sep + 2;
            let Some(seg_start) = self.next_non_space(end) else {
                return;
            };
            self.pos = seg_start;
            while self.pos < end
                && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_')
            {
                self.pos += 1;
            }
            let segment = &self.text[seg_start..self.pos];
            if segment.is_empty() {
                self.prev = Prev::Other;
                return;
            }
            let after = self.next_non_space(end);
            let next = after.and_then(|i| self.src.get(i).copied());
            let next2 = after.and_then(|i| self.src.get(i + 1).copied());
            if next == Some(b':') && next2 == Some(b':') {
                module_end = self.pos;
                continue;
            }
            self.prev = Prev::Other;
            if next == Some(b'(') {
                let module = &self.text[start..module_end];
                self.open_call(
                    CallKind::Module(module),
                    segment,
                    start,
                    after.unwrap_or(self.pos),
                );
            }
            return;
        }
    }

    fn open_call(&mut self, kind: CallKind<'a>, name: &'a str, start: usize, paren: usize) {
        self.facts.calls.push(Call {
            kind,
            name,
            range: start..paren + 1,
            args: paren + 1..paren + 1,
        });
        self.open.push(Some(self.facts.calls.len() - 1));
        self.pos = paren + 1;
        self.prev = Prev::Other;
    }

    fn next_non_space(&self, end: usize) -> Option<usize> {
        let mut i = self.pos;
        while i < end && matches!(self.src[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        (i < end).then_some(i)
    }

    /// A backtick template: literal text with `${expr}` interpolations,
    /// which are scanned like any expression.
    fn template(&mut self, end: usize) {
        let start = self.pos;
        let sh_argument = self.open.last().copied().flatten().is_some_and(|i| {
            let call = &self.facts.calls[i];
            call.name == "sh"
                && call.kind == CallKind::Free
                && self.src[call.args.start..start]
                    .iter()
                    .all(u8::is_ascii_whitespace)
        });
        self.pos += 1;
        let mut interpolations = Vec::new();
        while self.pos < end {
            match self.src[self.pos] {
                b'\\' => self.pos += 2,
                b'`' => {
                    self.pos += 1;
                    break;
                }
                b'$' if self.peek(1) == Some(b'{') => {
                    let open = self.pos;
                    self.pos += 2;
                    let saved_prev = self.prev;
                    self.prev = Prev::Start;
                    self.run(end, true);
                    self.prev = saved_prev;
                    let inner = open + 2..self.pos.min(end);
                    if self.pos < end {
                        self.pos += 1; // the closing `}`
                    }
                    interpolations.push(Interpolation {
                        range: open..self.pos,
                        inner,
                    });
                }
                _ => self.pos += 1,
            }
        }
        self.pos = self.pos.min(end);
        self.facts.templates.push(Template {
            range: start..self.pos,
            interpolations,
            sh_argument,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(text: &str) -> Vec<&str> {
        ExprFacts::scan(text)
            .refs
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn variables_exclude_properties_methods_modules_and_map_keys() {
        assert_eq!(
            refs(
                r#"kube::pods(namespace, "app=x").running() == replicas && use.active > #{ max: limit }.max"#
            ),
            ["namespace", "replicas", "use", "limit"]
        );
    }

    #[test]
    fn strings_and_comments_hide_names() {
        assert_eq!(
            refs(r#""namespace" + 'n' + /* a /* b */ c */ x // y"#),
            ["x"]
        );
    }

    #[test]
    fn calls_are_classified_with_argument_ranges() {
        let text = "kube::deployment(ns, name).scale(n + 1) + env(\"X\")";
        let facts = ExprFacts::scan(text);
        let calls: Vec<_> = facts
            .calls
            .iter()
            .map(|c| (c.kind.clone(), c.name, &text[c.args.clone()]))
            .collect();
        assert_eq!(
            calls,
            [
                (CallKind::Module("kube"), "deployment", "ns, name"),
                (CallKind::Method, "scale", "n + 1"),
                (CallKind::Free, "env", "\"X\""),
            ]
        );
    }

    #[test]
    fn templates_expose_interpolations_and_their_names() {
        let text = "sh(`pg_dump ${db} > ${shell_quote(dir)}/x ${ #{a: 1}.a }`)";
        let facts = ExprFacts::scan(text);
        assert_eq!(facts.templates.len(), 1);
        let t = &facts.templates[0];
        assert!(t.sh_argument);
        let inner: Vec<_> = t
            .interpolations
            .iter()
            .map(|i| &text[i.inner.clone()])
            .collect();
        assert_eq!(inner, ["db", "shell_quote(dir)", " #{a: 1}.a "]);
        assert_eq!(refs(text), ["db", "dir"]);
        assert!(facts
            .calls
            .iter()
            .any(|c| c.name == "shell_quote" && &text[c.args.clone()] == "dir"));
    }

    #[test]
    fn unterminated_input_never_panics() {
        for text in [
            "`abc ${x", "\"abc", "f(a, (b", "a::", "a::b::", "/* x", "1e+", "0x1e+1", "`${`", "x.",
            "\\",
        ] {
            let _ = ExprFacts::scan(text);
        }
    }
}
