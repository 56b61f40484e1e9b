//! Nasty inputs, kept as regression cases: the files in `tests/corpus/`
//! (unterminated strings and interpolations, CR-only and CRLF line ends, a
//! byte-order mark, bidi controls, overflowing numbers) and, generated here
//! rather than checked in, deep nesting, a 1 MiB string, NUL bytes and a
//! 100 000-line file. For each: parse, check and format end in a value or a
//! diagnostic with a span inside the source — never a panic, a stack
//! overflow or a hang — and whatever formats re-parses and formats the same.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod common;

use common::table;
use runbook_dsl::fmt::format_source;
use runbook_dsl::{parse, Checker};

/// Parse, check and format `src`; the round-trip must be stable.
fn survive(name: &str, src: &str) {
    let table = table();
    let checker = Checker::new(&table);
    match parse(src) {
        Ok(rb) => {
            for e in checker.check(&rb).errors {
                let span = e.span();
                assert!(
                    span.start <= span.end && span.end <= src.len(),
                    "{name}: {e:?}"
                );
            }
        }
        Err(e) => {
            let span = e.span();
            assert!(
                span.start <= span.end && span.end <= src.len(),
                "{name}: {e:?}"
            );
        }
    }
    if let Ok(formatted) = format_source(src) {
        assert!(
            parse(&formatted).is_ok(),
            "{name}: the formatted text does not parse"
        );
        let again = format_source(&formatted)
            .unwrap_or_else(|e| panic!("{name}: formatting the formatted text fails: {e:?}"));
        assert_eq!(again, formatted, "{name}: formatting is not idempotent");
    }
}

const HEADER: &str = "runbook \"T\" {\n  id    \"T-1\"\n  owner \"o\"\n}\n\n";

#[test]
fn the_checked_in_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        // The CLI rejects invalid UTF-8 before parsing; the library takes &str.
        let bytes = std::fs::read(&path).unwrap();
        let src = String::from_utf8_lossy(&bytes);
        survive(&path.display().to_string(), &src);
        seen += 1;
    }
    assert!(seen >= 10, "the corpus is in {}", dir.display());
}

#[test]
fn deeply_nested_parentheses_braces_and_maps() {
    for depth in [65, 1_000, 100_000] {
        survive(
            "parens",
            &format!(
                "{HEADER}step s \"S\" {{\n  let x = {}1{}\n}}\n",
                "(".repeat(depth),
                ")".repeat(depth)
            ),
        );
        survive(
            "ifs",
            &format!(
                "{HEADER}step s \"S\" {{\n{}{}}}\n",
                "if true {\n".repeat(depth),
                "}\n".repeat(depth)
            ),
        );
        survive(
            "maps",
            &format!(
                "{HEADER}let m = {}1{}\n",
                "#{ a: ".repeat(depth),
                " }".repeat(depth)
            ),
        );
        survive(
            "unclosed",
            &format!("{HEADER}step s \"S\" {{\n{}", "{".repeat(depth)),
        );
        survive(
            "interpolations",
            &format!(
                "{HEADER}step s \"S\" {{\n  note {}x{}\n}}\n",
                "`${".repeat(depth),
                "}`".repeat(depth)
            ),
        );
    }
}

#[test]
fn deep_nesting_is_a_parse_error_with_a_span() {
    let src = format!(
        "{HEADER}step s \"S\" {{\n  let x = {}1{}\n}}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let err = parse(&src).expect_err("10 000 levels are refused");
    assert!(err.span().end <= src.len());
}

#[test]
fn a_huge_string_literal() {
    let big = "x".repeat(1024 * 1024);
    survive(
        "string",
        &format!("{HEADER}step s \"S\" {{\n  note \"{big}\"\n}}\n"),
    );
    survive(
        "unterminated",
        &format!("{HEADER}step s \"S\" {{\n  note \"{big}\n}}\n"),
    );
    survive("title", &format!("runbook \"{big}\" {{\n  id \"x\"\n}}\n"));
}

#[test]
fn nul_bytes_anywhere() {
    for src in [
        format!("{HEADER}step s \"S\" {{\n  note \"a\0b\"\n}}\n"),
        format!("{HEADER}step s\0 \"S\" {{\n  note \"x\"\n}}\n"),
        format!("\0{HEADER}"),
        format!("{HEADER}step s \"S\" {{\n  let x = 1 \0+ 2\n}}\n"),
        "\0".repeat(10_000),
    ] {
        survive("nul", &src);
    }
}

#[test]
fn a_100k_line_file() {
    let src = numbered_steps(100_000);
    let rb = parse(&src).expect("a long valid file parses");
    let table = table();
    let checked = Checker::new(&table).check(&rb);
    assert!(checked.errors.is_empty(), "{:?}", checked.errors.first());
    assert_eq!(rb.steps().count(), 100_000 / 5 - 1);
    // The format round-trip on a tenth of it (debug builds are slow).
    survive("10k lines", &numbered_steps(10_000));
    survive("blank lines", &format!("{HEADER}{}", "\n".repeat(100_000)));
    survive("comment", &format!("{HEADER}# {}\n", "c".repeat(1_000_000)));
}

/// A valid runbook of about `lines` lines: five per step.
fn numbered_steps(lines: usize) -> String {
    let mut src = String::from(HEADER);
    for n in 0..lines / 5 - 1 {
        src.push_str(&format!(
            "step s{n} \"Step {n}\" {{\n  let v{n} = {n} + 1\n  note `${{v{n}}}`\n}}\n\n"
        ));
    }
    src
}
