//! Property: for any text the parser accepts, the formatter returns a
//! same-meaning, idempotent layout and lint returns (never panics). Inputs are
//! the repository's runbooks mutated line by line and token by token.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod support;

use proptest::prelude::*;
use runbook_dsl::fmt::format_source;

const SEEDS: &[&str] = &[
    include_str!("../../runbooks/capacity-scaling.runbook"),
    include_str!("../../tests/fixtures/accept/every-statement.runbook"),
    include_str!("golden/fmt/comments.in.runbook"),
    include_str!("golden/fmt/layout.in.runbook"),
];

const TOKENS: &[&str] = &[
    "\n",
    " ",
    "  ",
    "\t",
    "# note\n",
    " # trailing",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "`",
    "${",
    "#{",
    "step x \"T\" {\n",
    "note 1\n",
    "undo {\n",
    "}\n",
    "else",
    "within 5s",
    "every 1s",
    "timeout 1m",
    "once",
    "retry 2",
    "backoff 1s",
    "when true",
    "let y = 1\n",
    "sh `a ${b}`\n",
    "\r\n",
    "é",
];

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Insert(usize, usize),
    Reindent(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Mutation::Insert(at, t)),
        (any::<usize>(), 0usize..6).prop_map(|(l, n)| Mutation::Reindent(l, n)),
    ]
}

fn apply(source: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    for m in mutations {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match *m {
            Mutation::DeleteLine(i) => {
                lines.remove(i % n);
            }
            Mutation::DuplicateLine(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
            Mutation::Insert(at, token) => {
                let line = &mut lines[at % n];
                let mut cut = (at / n) % (line.len() + 1);
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                line.insert_str(cut, TOKENS[token]);
            }
            Mutation::Reindent(i, width) => {
                let line = &mut lines[i % n];
                *line = format!("{}{}", " ".repeat(width), line.trim_start());
            }
        }
    }
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn formatting_any_accepted_text_keeps_meaning_and_is_idempotent(
        seed in 0..SEEDS.len(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let source = apply(SEEDS[seed], &mutations);
        if let Ok(rb) = runbook_dsl::parse(&source) {
            let _ = runbook_dsl::lint::lint(&rb, &support::table());
            // `format_source` itself verifies shape and comments; an error is a bug.
            let formatted = format_source(&source).map_err(|e| TestCaseError::fail(format!("{e}\n{source}")))?;
            let again = format_source(&formatted).map_err(|e| TestCaseError::fail(format!("{e}\n{formatted}")))?;
            prop_assert_eq!(again, formatted);
        }
    }
}
