//! The fast path agrees with the pest grammar: on every input that passes
//! the delimiter pre-pass, it gives the very tree `convert` builds (spans and
//! comments included) exactly when the grammar accepts and converts the
//! input, and gives up otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::parse::{delimiters, with_grammar};

fn assert_agrees(src: &str) {
    if delimiters::check(src).is_err() {
        return; // the fast path never sees such input
    }
    match (super::parse(src), with_grammar(src)) {
        (Some(fast), Ok(reference)) => {
            assert!(
                fast == reference,
                "trees differ for:\n{src}\nfast: {fast:#?}\nreference: {reference:#?}"
            )
        }
        (Some(_), Err(e)) => panic!("fast path accepted what the grammar rejects ({e:?}):\n{src}"),
        (None, Ok(_)) => panic!("fast path gave up on an accepted input:\n{src}"),
        (None, Err(_)) => {}
    }
}

fn runbook_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            runbook_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "runbook") {
            out.push(path);
        }
    }
}

#[test]
fn every_test_input_and_shipped_runbook_parses_the_same_on_both_paths() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    runbook_files(&root.join("tests"), &mut files);
    runbook_files(&root.join("../runbooks"), &mut files);
    assert!(files.len() > 50, "test inputs not found: {files:?}");
    let mut accepted = 0;
    for file in &files {
        let src = std::fs::read_to_string(file).unwrap();
        assert_agrees(&src);
        accepted += usize::from(super::parse(&src).is_some());
    }
    assert!(accepted > 20, "only {accepted} inputs took the fast path");
}

/// Constructs where the grammar backtracks or where one character decides.
const SNIPPETS: &[&str] = &[
    "",
    "\n\n# only a comment",
    "#{",
    "runbook \"t\" { id \"x\" tags [\"a\", \"b\",] severity high }",
    "runbook\"t\"{tags[]}",
    "runbook \"t\" { tags [ \"a\" , ] }\nrunbook \"u\" {}",
    "runbook \"t\" { tags [\"a\", x] }",
    "runbook \"t\" { owner \"\\q\" }",
    "param ns: string = \"p\" # trailing\nparam n: int\nparam x: float=1.5",
    "param ns: strin = \"p\"",
    "param ns: string =",
    "let a = [1, (2), #{ b: \"}\" }, `t ${x} ``y`` \\${z}`]",
    "let a = 'a' + '\\'' + 'é' + '' + '\n",
    "let a = x // comment ( \nlet b = /* ( */ 1 /* unclosed",
    "let a = \"x\\\ny\"",
    "let a = f(\"multi\nline\")\nlet b = \"single\nline\"",
    "let a = 1 # comment\nlet b = 2",
    "let a = `${`}`",
    "let a = `$ $x \\ ${ {a: 1} }`",
    "let a = x\r\nlet b = y\rlet c = z",
    "section \"s\" when x > 1 {\n step a \"t\" { run 1 } }",
    "section \"s\"\n# c\nwhen x\n# d\n{\n# e\n}",
    "step a-b_c \"t\" timeout 5m retry 3 backoff 1h30m when ready once {\n}",
    "step a \"t\" when x.timeout once {}",
    "step a \"t\" when x {y} timeout 1s {}",
    "step a \"t\" timeout 5m timeout 6m {}",
    "step a \"t\" retry 1001 {}",
    "step a \"t\" retry 3 backoff {}",
    "step a \"t\" retry 3\nbackoff 5s {}",
    "step a \"t\" timeout 5mx {}",
    "step a \"t\" timeout 5ms5 {}",
    "step a \"t\" once once {}",
    "step a \"t\" {\n  expect x within 5s every 1s\n  expect y\n    within 2m # why\n  expect z every 1s every 2s\n}",
    "step a \"t\" { wait until pods.every(|p| p.ok) within 5m }",
    "step a \"t\" { wait until x }",
    "step a \"t\" { assert x else \"m\"\n assert y\n else `m ${y}`\n assert z}",
    "step a \"t\" { assert x else }",
    "step a \"t\" { undo { run x.scale(1) }\n undo { x.scale(1) }\n undo x.scale(2) }",
    "step a \"t\" { undo { wait until x }\n}",
    "step a \"t\" { undo { wait until x\n foo } }",
    "step a \"t\" { undo { # c\n x } }",
    "step a \"t\" { if a { run 1 } else if b { run 2 } else if c {} else { run 3 } }",
    "step a \"t\" { if a { } else iffy { } }",
    "step a \"t\" { if a { }\n# c\nelse\n# d\n{ } }",
    "step a \"t\" { if #{a: 1}.a == 1 { } }",
    "step a \"t\" { for p in pods() { let x = p\n note `${x}` } }",
    "step a \"t\" { for p in { } }",
    "step a \"t\" { run1 }",
    "step a \"t\" { let_x = 1 }",
    "step a \"t\" { sh \"true\" }\nrollback \"r\" { step b \"u\" { run 1 } }\n# end",
    "rollback \"r\" {}\nstep b \"u\" {}",
    "step a \"t\" {}\nrunbook \"late\" {}",
    "\u{feff}step a \"t\" {}",
    "step é \"t\" {}",
    "step a \"t\" { note \"é → ü\" }",
];

#[test]
fn tricky_snippets_parse_the_same_on_both_paths() {
    for src in SNIPPETS {
        assert_agrees(src);
    }
}

#[test]
fn else_if_chains_at_the_nesting_cap_parse_the_same_on_both_paths() {
    for n in [1, 10, 62, 63, 64, 65, 100] {
        let chain = "else if c { run 1 } ".repeat(n);
        assert_agrees(&format!(
            "step a \"t\" {{ if c {{ run 1 }} {chain}else {{ }} }}"
        ));
    }
}

fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "runbook",
        "param",
        "let",
        "section",
        "step",
        "rollback",
        "when",
        "timeout",
        "retry",
        "backoff",
        "once",
        "run",
        "sh",
        "assert",
        "else",
        "expect",
        "within",
        "every",
        "wait",
        "until",
        "confirm",
        "note",
        "undo",
        "if",
        "for",
        "in",
        "x",
        "db-cap",
        ":",
        "=",
        "int",
        "string",
        "5m",
        "1h30m",
        "0s",
        "5x",
        "3",
        "\"t\"",
        "\"",
        "`",
        "${",
        "#{",
        "#",
        "# c",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ",",
        ".",
        "::",
        "kube",
        "f(1)",
        "'a'",
        "'",
        "//",
        "/*",
        "*/",
        "\\",
        " ",
        " ",
        " ",
        "\n",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "é",
        "→",
        "{ run 1 }",
    ])
}

/// A statement that is usually valid, so random runbooks reach the whole
/// grammar rather than failing early.
fn statement() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "run app.scale(n + 1)",
        "sh `kubectl -n ${ns} get pods`",
        "let before = app.replicas()",
        "note \"x\"",
        "assert a > 1 else \"too few\"",
        "assert a\n  else 'x'",
        "expect pods.every(|p| p.ready) within 5m every 5s",
        "wait until done() within 1h",
        "undo app.scale(before)",
        "undo { run app.scale(before) }",
        "undo { app.scale(before) }",
        "confirm `go ${x}?`",
        "if a { run 1 } else if b { run 2 } else { run 3 }",
        "for p in pods() { note p }",
        "# a comment",
        "run db.query(\"SELECT 1\n FROM t\")",
    ])
}

fn step_header() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "step s \"t\"",
        "step s-1 \"t\" timeout 5m",
        "step s \"t\" retry 3 backoff 10s once",
        "step s \"t\" when x > 1 timeout 1s",
        "step s \"t\"\n  # options\n  once",
    ])
}

fn generated_runbook() -> impl Strategy<Value = String> {
    let step = (step_header(), prop::collection::vec(statement(), 0..6))
        .prop_map(|(h, stmts)| format!("{h} {{\n  {}\n}}\n", stmts.join("\n  ")));
    prop::collection::vec(step, 0..5).prop_map(|steps| {
        format!(
            "runbook \"g\" {{ owner \"o\" }}\nparam ns: string = \"p\"\n{}",
            steps.concat()
        )
    })
}

fn mutate(base: &str, at: usize, len: usize, insert: &str) -> String {
    let mut start = at.min(base.len());
    while !base.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + len).min(base.len());
    while !base.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{}{}", &base[..start], insert, &base[end..])
}

const FULL: &str = include_str!("../../../tests/fixtures/full.runbook");

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_parses_the_same_on_both_paths(tokens in prop::collection::vec(token(), 0..80)) {
        assert_agrees(&tokens.concat());
    }

    #[test]
    fn generated_runbooks_parse_the_same_on_both_paths(src in generated_runbook()) {
        assert_agrees(&src);
    }

    #[test]
    fn mutated_runbooks_parse_the_same_on_both_paths(
        at in 0..FULL.len(),
        len in 0usize..12,
        insert in "[ -~\\n{}()\\[\\]\"`#$']{0,6}",
        tokens in prop::collection::vec(token(), 0..3),
    ) {
        let once = mutate(FULL, at, len, &insert);
        assert_agrees(&once);
        assert_agrees(&mutate(FULL, at, 0, &tokens.concat()));
    }

    #[test]
    fn arbitrary_text_parses_the_same_on_both_paths(src in "\\PC{0,200}") {
        assert_agrees(&src);
    }
}
