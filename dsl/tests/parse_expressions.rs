//! How Rhai expressions are cut out of the DSL: where they end, where they
//! run over several lines, and that the captured text is exact.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod common;

use common::text;
use runbook_dsl::*;

/// The expressions of the first step's statements, by statement.
fn first_step(src: &str) -> Vec<StmtKind> {
    let rb = parse(src).unwrap_or_else(|e| panic!("{e:?}\n{src}"));
    let s = rb.steps().next().unwrap().clone();
    for stmt in &s.body.stmts {
        assert!(!text(src, stmt.span).is_empty());
    }
    s.body.stmts.into_iter().map(|s| s.kind).collect()
}

fn body(stmts: &str) -> String {
    format!("step s \"t\" {{\n{stmts}\n}}\n")
}

fn run_text(kind: &StmtKind) -> &str {
    match kind {
        StmtKind::Run(e) | StmtKind::Note(e) | StmtKind::Sh(e) => &e.text,
        StmtKind::Let(l) => &l.value.text,
        other => panic!("not a simple statement: {other:?}"),
    }
}

#[test]
fn open_brackets_continue_over_lines() {
    let src = body("  run f(1,\n        [2,\n         3],\n        #{ a: 4 })\n  run g()");
    let kinds = first_step(&src);
    assert_eq!(
        run_text(&kinds[0]),
        "f(1,\n        [2,\n         3],\n        #{ a: 4 })"
    );
    assert_eq!(run_text(&kinds[1]), "g()");
}

#[test]
fn open_strings_inside_brackets_continue_over_lines() {
    let src =
        body("  let q = db.query_one(\"SELECT 1,\n      2 -- it's ( fine\n   FROM t\")\n  note q");
    let kinds = first_step(&src);
    assert_eq!(
        run_text(&kinds[0]),
        "db.query_one(\"SELECT 1,\n      2 -- it's ( fine\n   FROM t\")"
    );
    assert!(matches!(&kinds[1], StmtKind::Note(e) if e.text == "q"));
}

#[test]
fn templates_continue_over_lines_and_nest() {
    let src = body("  note `a ${x.map(|v| `<${v}>`)}\n  b } ) ]`\n  run y()");
    let kinds = first_step(&src);
    assert_eq!(run_text(&kinds[0]), "`a ${x.map(|v| `<${v}>`)}\n  b } ) ]`");
    assert_eq!(run_text(&kinds[1]), "y()");
}

#[test]
fn map_literal_is_not_a_comment_but_hash_space_is() {
    let src = body("  let m = #{ a: 1, b: #{ c: 2 } } # trailing # comment\n  let n = m.a#{x: 1}");
    let rb = parse(&src).unwrap();
    let s = rb.steps().next().unwrap();
    let StmtKind::Let(m) = &s.body.stmts[0].kind else {
        panic!("not a let")
    };
    assert_eq!(m.value.text, "#{ a: 1, b: #{ c: 2 } }");
    let StmtKind::Let(n) = &s.body.stmts[1].kind else {
        panic!("not a let")
    };
    assert_eq!(n.value.text, "m.a#{x: 1}");
    assert_eq!(rb.comments.len(), 1);
    assert_eq!(rb.comments[0].text, "# trailing # comment");
}

#[test]
fn hash_inside_strings_is_text() {
    let src = body("  run f(\"#not a comment\", '#') # real");
    let rb = parse(&src).unwrap();
    let s = rb.steps().next().unwrap();
    assert!(
        matches!(&s.body.stmts[0].kind, StmtKind::Run(e) if e.text == "f(\"#not a comment\", '#')")
    );
    assert_eq!(rb.comments.len(), 1);
    assert_eq!(rb.comments[0].text, "# real");
}

#[test]
fn rhai_comments_stay_in_the_expression() {
    let src = body("  run f(1, // one (\n        2) /* ) */ + 1");
    let kinds = first_step(&src);
    assert_eq!(run_text(&kinds[0]), "f(1, // one (\n        2) /* ) */ + 1");
}

#[test]
fn expect_and_wait_stop_before_within_and_every() {
    let src = body(
        "  expect pods.every(|p| p.ready) && within_limit within 5m every 10s\n  wait until done() within 1m\n  expect ok()\n      within 30s",
    );
    let kinds = first_step(&src);
    match &kinds[0] {
        StmtKind::Expect {
            cond,
            within,
            every,
        } => {
            assert_eq!(cond.text, "pods.every(|p| p.ready) && within_limit");
            assert_eq!(within.as_ref().unwrap().text, "5m");
            assert_eq!(every.as_ref().unwrap().text, "10s");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&kinds[1], StmtKind::WaitUntil { cond, within, every: None } if cond.text == "done()" && within.text == "1m")
    );
    assert!(
        matches!(&kinds[2], StmtKind::Expect { cond, within: Some(w), .. } if cond.text == "ok()" && w.text == "30s")
    );
}

#[test]
fn assert_stops_before_else() {
    let src = body("  assert x.else_branch > 0 else `x is ${x}`\n  assert y");
    let kinds = first_step(&src);
    match &kinds[0] {
        StmtKind::Assert { cond, message } => {
            assert_eq!(cond.text, "x.else_branch > 0");
            assert_eq!(message.as_ref().unwrap().text, "`x is ${x}`");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&kinds[1], StmtKind::Assert { cond, message: None } if cond.text == "y"));
}

#[test]
fn headers_stop_before_the_block() {
    let src = body("  if #{ a: 1 }.a == 1 && f({ 2 }) {\n    run a()\n  }\n  for x in [1, 2].filter(|v| v > 1) {\n    run b(x)\n  }");
    let kinds = first_step(&src);
    assert!(
        matches!(&kinds[0], StmtKind::If { cond, .. } if cond.text == "#{ a: 1 }.a == 1 && f({ 2 })")
    );
    assert!(
        matches!(&kinds[1], StmtKind::For { iter, .. } if iter.text == "[1, 2].filter(|v| v > 1)")
    );
}

#[test]
fn step_when_stops_before_options_and_block() {
    let src = "step s \"t\" when a.once_more(timeout) && b timeout 5m once {\n}\nstep u \"t\" when c {\n}\n";
    let rb = parse(src).unwrap();
    let steps: Vec<&Step> = rb.steps().collect();
    assert_eq!(
        steps[0].when.as_ref().unwrap().text,
        "a.once_more(timeout) && b"
    );
    assert!(steps[0].timeout.is_some() && steps[0].once.is_some());
    assert_eq!(steps[1].when.as_ref().unwrap().text, "c");
}

#[test]
fn let_values_may_hold_blocks_and_closures() {
    let src = body("  let f = |x| { x + 1 }\n  let v = if a { 1 } else { 2 }");
    let kinds = first_step(&src);
    assert_eq!(run_text(&kinds[0]), "|x| { x + 1 }");
    assert_eq!(run_text(&kinds[1]), "if a { 1 } else { 2 }");
}

#[test]
fn expression_spans_cover_exactly_the_text() {
    let src = body("  run   f(\"é\", 'ü')   \n  sh `echo ${name}`   # c");
    let rb = parse(&src).unwrap();
    let s = rb.steps().next().unwrap();
    for stmt in &s.body.stmts {
        let e = match &stmt.kind {
            StmtKind::Run(e) | StmtKind::Sh(e) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(text(&src, e.span), e.text);
        assert!(!e.text.ends_with(' '));
    }
}

#[test]
fn rhai_source_lowers_multiline_strings_only() {
    let e = Expr {
        text: "q(\"a\n b\")".into(),
        span: Span::new(0, 9),
    };
    assert_eq!(rhai_source(&e), "q(\"a\\n b\")");
    let t = Expr {
        text: "`a\nb`".into(),
        span: Span::new(0, 5),
    };
    assert_eq!(rhai_source(&t), "`a\nb`");
}
