//! Expressions that need no Rhai compile: names and literals joined by
//! binary operators, with no call, index or property anywhere.
//!
//! `replicas + 1`, `wanted >= replicas`, `` `part ${n}: ${wanted} wanted` ``:
//! such expressions make up much of a runbook, and a Rhai compile of one
//! costs about 2,000 instructions per token (callgrind), where this look
//! costs tens per byte. Rhai compiles every expression this module accepts, and the
//! call check finds nothing in it (it has no call): the proptest below holds
//! the two to that. Anything else, including every error, goes to Rhai,
//! which reports it as before. The recognizer is strict on purpose: one
//! space too many in the wrong place only costs a compile.

/// Operands taken at most: far below Rhai's expression depth limit.
const MAX_OPERANDS: usize = 16;
/// Longest literal taken; far below the compile engine's string limit.
const MAX_LITERAL: usize = 4096;
/// Longest decimal integer taken: 18 digits always fit Rhai's `i64`.
const MAX_DIGITS: usize = 18;

/// The binary operators taken, each exactly as written between spaces or
/// operands (a longer run of symbol characters, `<-` or `===`, is not one).
const OPERATORS: [&str; 13] = [
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
];

/// Whether `text` is `operand (operator operand)*` with spaces or tabs
/// between tokens, where an operand is a name `name_ok` accepts, a decimal
/// integer, a `"…"` literal without escapes, or a `` `…` `` template without
/// escapes whose interpolations are `${name}` of such names. `name_ok` must
/// accept only names that are visible here and usable as Rhai variables.
pub(super) fn needs_no_compile(text: &str, name_ok: &mut dyn FnMut(&str) -> bool) -> bool {
    let mut scan = Scan {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    let mut operands = 0;
    // Rhai rejects a lone literal as an operand of `&&` or `||` (`0 && x`,
    // not `0 == x && y`): a literal with logic on one side and logic or
    // nothing on the other.
    let mut logic_before: Option<bool> = None; // None: at the start
    loop {
        scan.blanks();
        let start = scan.at;
        if operands == MAX_OPERANDS || !scan.operand(name_ok) {
            return false;
        }
        let literal = !scan.bytes.get(start).copied().is_some_and(is_name_start);
        operands += 1;
        scan.blanks();
        let logic_after = if scan.at == scan.bytes.len() {
            None
        } else {
            match scan.operator() {
                Some(op) => Some(op == "&&" || op == "||"),
                None => return false,
            }
        };
        let lone_logic_operand = matches!(
            (logic_before, logic_after),
            (Some(true), None | Some(true)) | (None, Some(true))
        );
        if literal && lone_logic_operand {
            return false;
        }
        match logic_after {
            None => return true,
            after => logic_before = after,
        }
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    /// One operand, which must end at a blank, a symbol or the end.
    fn operand(&mut self, name_ok: &mut dyn FnMut(&str) -> bool) -> bool {
        let taken = match self.peek() {
            Some(b'"') => self.string(),
            Some(b'`') => self.template(name_ok),
            Some(b) if b.is_ascii_digit() => self.integer(),
            Some(b) if is_name_start(b) => {
                let name = self.word();
                name_ok(name)
            }
            _ => false,
        };
        // `1x`, `a"b"`, `f(…)`, `a.b`, `a[0]`, `m::f`: not flat.
        taken
            && self
                .peek()
                .is_none_or(|b| matches!(b, b' ' | b'\t') || is_symbol(b))
            && !matches!(self.peek(), Some(b'(' | b'.' | b'[' | b':' | b'?'))
    }

    fn word(&mut self) -> &str {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.at += 1;
        }
        &self.text[start..self.at]
    }

    fn integer(&mut self) -> bool {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start <= MAX_DIGITS
    }

    /// `"…"` without `"`, `\` or line breaks inside.
    fn string(&mut self) -> bool {
        let start = self.at;
        self.at += 1;
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return self.at - start <= MAX_LITERAL;
                }
                Some(b'\\' | b'\n' | b'\r') | None => return false,
                Some(_) => self.at += 1,
            }
        }
    }

    /// `` `…` `` without `` ` ``, `\`, line breaks, or a `$` other than the
    /// start of `${name}`.
    fn template(&mut self, name_ok: &mut dyn FnMut(&str) -> bool) -> bool {
        let start = self.at;
        self.at += 1;
        loop {
            match self.peek() {
                Some(b'`') => {
                    self.at += 1;
                    return self.at - start <= MAX_LITERAL;
                }
                Some(b'$') => {
                    if self.bytes.get(self.at + 1) != Some(&b'{') {
                        return false;
                    }
                    self.at += 2;
                    if !self.peek().is_some_and(is_name_start) {
                        return false;
                    }
                    let name = self.word();
                    if !name_ok(name) || self.peek() != Some(b'}') {
                        return false;
                    }
                    self.at += 1;
                }
                Some(b'\\' | b'\n' | b'\r') | None => return false,
                Some(_) => self.at += 1,
            }
        }
    }

    /// The whole run of symbol characters here, if it is one of
    /// [`OPERATORS`].
    fn operator(&mut self) -> Option<&'static str> {
        let start = self.at;
        while self.peek().is_some_and(is_symbol) {
            self.at += 1;
        }
        let run = &self.text[start..self.at];
        OPERATORS.iter().find(|op| **op == run).copied()
    }
}

/// Characters of Rhai operators and punctuation, brackets and quotes included
/// (so that `a+(b)` ends the run at `(`, which no operator contains).
fn is_symbol(b: u8) -> bool {
    b.is_ascii_punctuation() && b != b'_' && b != b'"' && b != b'`'
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ast::{Expr, Span};
    use crate::check::{calls, compile_engine};
    use crate::signature::SignatureTable;

    /// Visible names in these tests; `print`, `true` and `this` are bound
    /// too, to show that only what Rhai takes as a plain variable passes.
    const VISIBLE: [&str; 6] = ["replicas", "wanted_0", "service", "n", "true", "this"];

    /// The check's own rule for names: visible, and usable from Rhai.
    fn name_ok(name: &str) -> bool {
        VISIBLE.contains(&name) && rhai_accepts(name)
    }

    /// Whether Rhai compiles `text` with every visible name in scope, and the
    /// call check then finds nothing.
    fn rhai_accepts(text: &str) -> bool {
        let table = SignatureTable::default();
        let engine = compile_engine(&table);
        let mut scope = rhai::Scope::new();
        for name in VISIBLE {
            scope.push_dynamic(name, rhai::Dynamic::UNIT);
        }
        let Ok(ast) = engine.compile_expression_with_scope(&scope, text) else {
            return false;
        };
        let expr = Expr {
            text: text.to_string(),
            span: Span::new(0, text.len()),
        };
        let mut errors = Vec::new();
        calls::check(&ast, &expr, &table, &|n| VISIBLE.contains(&n), &mut errors);
        errors.is_empty()
    }

    fn flat(text: &str) -> bool {
        needs_no_compile(text, &mut name_ok)
    }

    #[test]
    fn names_literals_and_operators_pass() {
        for yes in [
            "replicas",
            "replicas + 0",
            "wanted_0 >= replicas",
            "wanted_0>=replicas",
            "\"a\" + n",
            "`checking ${service} part 0: ${wanted_0} wanted`",
            "``",
            "n % 7 == n && 3 != n || true",
            "\tn - 1\t",
            "n * 12 / 3 < 100",
            "000123",
        ] {
            assert!(flat(yes), "{yes}");
            assert!(rhai_accepts(yes), "{yes}");
        }
    }

    #[test]
    fn calls_unknown_names_and_odd_tokens_go_to_rhai() {
        for no in [
            "",
            " ",
            "missing + 1",
            "this",
            "replicas +",
            "+ replicas",
            "-1",
            "!n",
            "n.len()",
            "f(n)",
            "kube::pods",
            "n[0]",
            "n ?? 1",
            "n === 1",
            "n <- 1",
            "n = 1",
            "1x",
            "0x1f",
            "1.5",
            "1_000",
            "1234567890123456789",
            "n\n+ 1",
            "\"a\\n\"",
            "`a\\n`",
            "`${ n }`",
            "`${n.len()}`",
            "`$n`",
            "`${missing}`",
            "(n)",
            "n // c",
            "n /* c */",
            "'a'",
            "n n",
            "0 && n",
            "n || \"a\"",
            "n == 0 && `a`",
            "n && 0 || n",
            "\"a\"\"b\"",
        ] {
            assert!(!flat(no), "{no}");
        }
        let long = vec!["n"; MAX_OPERANDS + 1].join(" + ");
        assert!(!flat(&long));
    }

    /// Operands that pass when their name is visible and usable.
    fn good_operand() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec!["replicas", "wanted_0", "n", "true"])
                .prop_map(str::to_string),
            "[0-9]{1,18}",
            "[a-zA-Z0-9 {}:=!<>+#'.,é→]{0,12}".prop_map(|s| format!("\"{s}\"")),
            "[a-zA-Z0-9 {}:=!<>+#'.,é→]{0,12}".prop_map(|s| format!("`{s}`")),
            ("[a-z {}:]{0,6}", "(n|wanted_0|true|replicas)")
                .prop_map(|(s, n)| format!("`{s}${{{n}}}{s}${{n}}`")),
        ]
    }

    /// Operands that nearly pass: Rhai decides these.
    fn near_operand() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "this",
                "missing",
                "if",
                "fn",
                "print",
                "007",
                "99999999999999999999",
                "1e5",
                "0x1f",
                "1_000",
                "n.len()",
                "f(n)",
                "(n)",
                "n[0]",
                "${n}",
                "`",
                "\"",
                "'a'",
                "-1",
                "!n",
                "Fn",
                "is_def_var",
                "_",
            ])
            .prop_map(str::to_string),
            "[a-z0-9 ${}:=!<>+'\\\\]{0,12}".prop_map(|s| format!("\"{s}\"")),
            "[a-z0-9 ${}:=!<>+'\\\\`]{0,12}".prop_map(|s| format!("`{s}`")),
            (
                "[a-z {}:]{0,6}",
                "[ ]{0,1}",
                "(n|missing|true|this|if|n.len\\(\\))"
            )
                .prop_map(|(s, b, n)| format!("`{s}${{{b}{n}{b}}}{s}`")),
            "[0-9]{19,21}",
        ]
    }

    fn operand() -> impl Strategy<Value = String> {
        prop_oneof![6 => good_operand(), 1 => near_operand()]
    }

    /// Operators: mostly ones that pass, and Rhai's other symbols.
    fn operator() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            12 => prop::sample::select(OPERATORS.to_vec()),
            1 => prop::sample::select(vec![
                "**", "===", "!==", "!", "=", "+=", "<-", "->", "|>", "??", ".", "::", "..",
                "(", ")", "[", "]", "{", "}", ",", ";", "#", "$", "//", "/*", "~", "^", "&",
                "|", "<<", ">>", "@", "?", ":", "=>", "!in", "in", "\n",
            ]),
        ]
    }

    fn blank() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            12 => prop::sample::select(vec!["", " ", " ", "  ", "\t"]),
            1 => Just("\n"),
        ]
    }

    /// `operand (operator operand)*` with random blanks, operands and
    /// operators drawn from the above.
    fn expression() -> impl Strategy<Value = String> {
        (
            blank(),
            operand(),
            prop::collection::vec(
                (blank(), operator(), blank(), operand()),
                0..MAX_OPERANDS + 1,
            ),
            blank(),
        )
            .prop_map(|(lead, first, rest, trail)| {
                let mut text = format!("{lead}{first}");
                for (b1, op, b2, next) in rest {
                    text.push_str(b1);
                    text.push_str(op);
                    text.push_str(b2);
                    text.push_str(&next);
                }
                text.push_str(trail);
                text
            })
    }

    /// The property below is only as good as the share of generated
    /// expressions the recognizer takes.
    #[test]
    fn the_generator_makes_flat_expressions_often() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = expression();
        let total = 1000;
        let flat_ones = (0..total)
            .filter(|_| {
                let tree = strategy.new_tree(&mut runner);
                tree.is_ok_and(|t| flat(&t.current()))
            })
            .count();
        assert!(flat_ones * 10 >= total, "{flat_ones} of {total}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn rhai_accepts_every_flat_expression(text in expression()) {
            if flat(&text) {
                prop_assert!(rhai_accepts(&text), "{text:?}");
            }
        }
    }
}
