//! Where a Rhai expression ends: the `x_*` and `expr_*` rules of
//! `grammar.pest`, one function per rule, over bytes.
//!
//! Every function takes the position to start at and returns the position
//! just past what it matched, or `None` where the rule fails. PEG semantics
//! are kept exactly: ordered choice, greedy repetition, and a failed
//! repetition step leaves the position where the step began. Matching bytes
//! instead of chars is equivalent here because every byte the rules single
//! out is ASCII, and the bytes of a multi-byte char are never ASCII.

/// A recursion budget well above the delimiter pre-pass's nesting cap, so a
/// disagreement with it can only send the input to the pest grammar, never
/// overflow the stack.
const MAX_DEPTH: usize = 4 * crate::parse::MAX_NESTING;

/// Which stop words end an expression at top level (after whitespace).
#[derive(Clone, Copy)]
pub(super) enum Stops {
    /// `expr_poll`: `within`, `every`.
    Poll,
    /// `expr_assert`: `else`.
    Assert,
}

/// Scans expressions of one source. `too_deep` is set when the recursion
/// budget ran out: the result is then unknown and the caller must give up.
pub(super) struct Extent<'s> {
    b: &'s [u8],
    depth: usize,
    pub(super) too_deep: bool,
}

/// `x_plain_char`: anything but whitespace, brackets, quotes, `#` and `/`.
fn is_plain(c: u8) -> bool {
    !matches!(
        c,
        b'\t'
            | b'\n'
            | b'\r'
            | b' '
            | b'"'
            | b'#'
            | b'\''
            | b'('
            | b')'
            | b'/'
            | b'['
            | b']'
            | b'`'
            | b'{'
            | b'}'
    )
}

fn is_ws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn is_nl(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}

pub(super) fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Length of the UTF-8 char whose first byte is `first`.
fn char_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

impl<'s> Extent<'s> {
    pub(super) fn new(b: &'s [u8]) -> Self {
        Extent {
            b,
            depth: 0,
            too_deep: false,
        }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn starts(&self, i: usize, s: &[u8]) -> bool {
        self.b.get(i..).is_some_and(|rest| rest.starts_with(s))
    }

    /// `word ~ !ident_char` at `i`.
    pub(super) fn keyword(&self, i: usize, word: &[u8]) -> bool {
        self.starts(i, word) && !self.at(i + word.len()).is_some_and(is_ident_char)
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(is_ws) {
            i += 1;
        }
        i
    }

    /// `expr_line`: pieces separated by spaces, up to the end of the line.
    pub(super) fn line(&mut self, i: usize) -> Option<usize> {
        let mut end = self.piece(i, false)?;
        loop {
            let j = self.skip_ws(end);
            if self.at(j).is_some_and(is_nl) {
                return Some(end);
            }
            match self.piece(j, false) {
                Some(k) => end = k,
                None => return Some(end),
            }
        }
    }

    /// `expr_poll` and `expr_assert`: like a line, but a stop word after
    /// whitespace ends it.
    pub(super) fn until_stop(&mut self, i: usize, stops: Stops) -> Option<usize> {
        let mut end = self.piece(i, false)?;
        loop {
            match self.at(end) {
                Some(c) if is_nl(c) => return Some(end),
                Some(c) if is_ws(c) => {
                    let j = self.skip_ws(end);
                    let stop = match stops {
                        Stops::Poll => self.keyword(j, b"within") || self.keyword(j, b"every"),
                        Stops::Assert => self.keyword(j, b"else"),
                    };
                    if stop {
                        return Some(end);
                    }
                    match self.piece(j, false) {
                        Some(k) => end = k,
                        None => return Some(end),
                    }
                }
                _ => match self.piece(end, false) {
                    Some(k) => end = k,
                    None => return Some(end),
                },
            }
        }
    }

    /// `expr_head`: pieces up to a `{` (that opens the block after it).
    pub(super) fn head(&mut self, i: usize) -> Option<usize> {
        if self.at(i) == Some(b'{') {
            return None;
        }
        let mut end = self.piece(i, false)?;
        loop {
            let j = self.skip_ws(end);
            if self.at(j) == Some(b'{') {
                return Some(end);
            }
            match self.piece(j, false) {
                Some(k) => end = k,
                None => return Some(end),
            }
        }
    }

    /// `expr_step_when`: a head that also ends before `timeout`, `retry` and
    /// `once` after whitespace.
    pub(super) fn step_when(&mut self, i: usize) -> Option<usize> {
        if self.at(i) == Some(b'{') {
            return None;
        }
        let mut end = self.piece(i, false)?;
        loop {
            match self.at(end) {
                Some(c) if is_ws(c) => {
                    let j = self.skip_ws(end);
                    let stop = self.keyword(j, b"timeout")
                        || self.keyword(j, b"retry")
                        || self.keyword(j, b"once")
                        || self.at(j) == Some(b'{');
                    if stop {
                        return Some(end);
                    }
                    match self.piece(j, false) {
                        Some(k) => end = k,
                        None => return Some(end),
                    }
                }
                Some(b'{') => return Some(end),
                _ => match self.piece(end, false) {
                    Some(k) => end = k,
                    None => return Some(end),
                },
            }
        }
    }

    /// `x_piece` (`inner`: `x_piece_in`, whose strings may span lines).
    fn piece(&mut self, i: usize, inner: bool) -> Option<usize> {
        let c = self.at(i)?;
        if is_plain(c) {
            let mut j = i + 1;
            while self.at(j).is_some_and(is_plain) {
                j += 1;
            }
            return Some(j);
        }
        match c {
            b'(' => self.group(i + 1, b')'),
            b'[' => self.group(i + 1, b']'),
            b'{' => self.group(i + 1, b'}'),
            b'#' if self.at(i + 1) == Some(b'{') => self.group(i + 2, b'}'),
            b'"' => self.string(i, inner),
            b'`' => self.template(i),
            b'/' => Some(self.comment(i).unwrap_or(i + 1)),
            b'\'' => Some(self.char_literal(i).unwrap_or(i + 1)),
            _ => None,
        }
    }

    /// `x_group` from just after its opening bracket.
    fn group(&mut self, i: usize, close: u8) -> Option<usize> {
        let j = self.inner(i)?;
        (self.at(j) == Some(close)).then_some(j + 1)
    }

    /// `x_inner`: pieces, spaces and line breaks up to a closing bracket.
    /// `None` only when the recursion budget ran out.
    fn inner(&mut self, mut i: usize) -> Option<usize> {
        if self.depth >= MAX_DEPTH {
            self.too_deep = true;
            return None;
        }
        self.depth += 1;
        loop {
            match self.at(i) {
                Some(c) if is_ws(c) || is_nl(c) => i += 1,
                None | Some(b')' | b']' | b'}') => break,
                Some(_) => match self.piece(i, true) {
                    Some(j) => i = j,
                    None => break,
                },
            }
        }
        self.depth -= 1;
        (!self.too_deep).then_some(i)
    }

    /// `x_string` (`multiline`: `x_string_ml`).
    fn string(&self, i: usize, multiline: bool) -> Option<usize> {
        let mut j = i + 1;
        loop {
            match self.at(j)? {
                b'"' => return Some(j + 1),
                b'\\' => {
                    self.at(j + 1)?;
                    j += 2;
                }
                c if is_nl(c) && !multiline => return None,
                _ => j += 1,
            }
        }
    }

    /// `x_char`: `'c'` or `'\…'`.
    fn char_literal(&self, i: usize) -> Option<usize> {
        let j = i + 1;
        let end = match self.at(j)? {
            b'\\' => {
                self.at(j + 1)?;
                let mut k = j + 2;
                while self.at(k).is_some_and(|c| c != b'\'' && !is_nl(c)) {
                    k += 1;
                }
                k
            }
            b'\'' => return None,
            c if is_nl(c) => return None,
            c => j + char_len(c),
        };
        (self.at(end) == Some(b'\'')).then_some(end + 1)
    }

    /// `x_template`: a backtick string with `${…}` interpolations.
    fn template(&mut self, i: usize) -> Option<usize> {
        let mut j = i + 1;
        loop {
            while self
                .at(j)
                .is_some_and(|c| !matches!(c, b'`' | b'$' | b'\\'))
            {
                j += 1;
            }
            if self.starts(j, b"``") {
                j += 2;
            } else if self.starts(j, b"\\${") {
                j += 3;
            } else if self.starts(j, b"${") {
                let k = self.inner(j + 2);
                if self.too_deep {
                    return None;
                }
                match k {
                    Some(k) if self.at(k) == Some(b'}') => j = k + 1,
                    _ => j += 1, // the `$` alternative
                }
            } else if matches!(self.at(j), Some(b'$' | b'\\')) {
                j += 1;
            } else {
                break;
            }
        }
        (self.at(j) == Some(b'`')).then_some(j + 1)
    }

    /// `x_comment`: `// …` to the end of the line, or `/* … */`.
    fn comment(&self, i: usize) -> Option<usize> {
        match self.at(i + 1)? {
            b'/' => {
                let mut j = i + 2;
                while self.at(j).is_some_and(|c| !is_nl(c)) {
                    j += 1;
                }
                Some(j)
            }
            b'*' => {
                let rest = self.b.get(i + 2..)?;
                let at = rest.windows(2).position(|w| w == b"*/")?;
                Some(i + 2 + at + 2)
            }
            _ => None,
        }
    }
}
