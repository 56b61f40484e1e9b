//! Every construct of the language parses into the AST with exact spans.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod common;

use common::text;
use runbook_dsl::*;

const FULL: &str = include_str!("fixtures/full.runbook");

fn step<'a>(rb: &'a Runbook, id: &str) -> &'a Step {
    rb.steps()
        .chain(rb.rollback.iter().flat_map(|r| r.steps.iter()))
        .find(|s| s.id.name == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

#[test]
fn metadata_block() {
    let rb = parse(FULL).unwrap();
    let meta = rb.meta.as_ref().unwrap();
    assert_eq!(meta.title.value, "Capacity scaling");
    assert_eq!(text(FULL, meta.title.span), "\"Capacity scaling\"");
    let keys: Vec<&str> = meta.entries.iter().map(|e| e.key.name.as_str()).collect();
    assert_eq!(
        keys,
        ["id", "version", "owner", "severity", "summary", "tags"]
    );
    assert!(
        matches!(&meta.entries[2].value, MetaValue::Str(s) if s.value == "SRE + Engineering TL")
    );
    assert!(matches!(&meta.entries[3].value, MetaValue::Word(w) if w.name == "medium"));
    match &meta.entries[5].value {
        MetaValue::List(tags) => {
            let tags: Vec<&str> = tags.iter().map(|t| t.value.as_str()).collect();
            assert_eq!(tags, ["scaling", "postgres"]);
        }
        other => panic!("tags parsed as {other:?}"),
    }
    assert_eq!(
        text(FULL, meta.entries[0].span),
        "id       \"RB-LAUNCH-003\""
    );
    assert!(text(FULL, meta.span).starts_with("runbook \"Capacity scaling\" {"));
    assert!(text(FULL, meta.span).ends_with('}'));
}

#[test]
fn params_of_every_type_with_and_without_default() {
    let rb = parse(FULL).unwrap();
    let params: Vec<&Param> = rb.params().collect();
    let shapes: Vec<(&str, ParamType, Option<&str>)> = params
        .iter()
        .map(|p| {
            (
                p.name.name.as_str(),
                p.ty,
                p.default.as_ref().map(|d| d.text.as_str()),
            )
        })
        .collect();
    assert_eq!(
        shapes,
        [
            ("namespace", ParamType::String, Some("\"production\"")),
            ("phase", ParamType::String, Some("\"phase6\"")),
            ("replicas", ParamType::Int, Some("5")),
            ("pool_size", ParamType::Int, Some("200")),
            ("ratio", ParamType::Float, Some("0.67")),
            ("dry", ParamType::Bool, Some("false")),
            ("settle", ParamType::Duration, Some("\"5m\"")),
            (
                "db_url",
                ParamType::Secret,
                Some("env(\"FLOWENGINE_DATABASE_URL\")")
            ),
            ("hosts", ParamType::List, Some("[\"a\", \"b\"]")),
            ("labels", ParamType::Map, Some("#{ app: \"flowengine\" }")),
            ("ticket", ParamType::String, None),
        ]
    );
    for p in &params {
        assert_eq!(text(FULL, p.name.span), p.name.name);
        assert_eq!(text(FULL, p.ty_span), p.ty.name());
        if let Some(d) = &p.default {
            assert_eq!(text(FULL, d.span), d.text);
        }
    }
    // The trailing comment is not part of the default.
    assert_eq!(
        text(FULL, params[1].span),
        "param phase: string = \"phase6\""
    );
}

#[test]
fn top_level_lets_sections_steps_and_rollback() {
    let rb = parse(FULL).unwrap();
    let lets: Vec<(&str, &str)> = rb
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Let(l) => Some((l.name.name.as_str(), l.value.text.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        lets,
        [
            ("app", "kube::deployment(namespace, \"flowengine\")"),
            ("db", "pg::connect(db_url)")
        ]
    );
    let sections: Vec<&Section> = rb
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Section(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0].title.value, "Pre-Phase 6 scaling");
    assert!(sections[0].when.is_none());
    let when = sections[1].when.as_ref().unwrap();
    assert_eq!(when.text, "phase == \"phase7\"");
    assert_eq!(text(FULL, when.span), when.text);
    let ids: Vec<&str> = rb.steps().map(|s| s.id.name.as_str()).collect();
    assert_eq!(ids, ["scale", "db-capacity", "load-test", "backup"]);
    let rollback = rb.rollback.as_ref().unwrap();
    assert_eq!(rollback.title.value, "Restore capacity");
    assert_eq!(rollback.steps[0].id.name, "restore");
    assert!(text(FULL, rollback.span).starts_with("rollback \"Restore capacity\" {"));
}

#[test]
fn step_options() {
    let rb = parse(FULL).unwrap();
    let scale = step(&rb, "scale");
    assert_eq!(scale.title.value, "Scale FlowEngine replicas");
    let timeout = scale.timeout.as_ref().unwrap();
    assert_eq!((timeout.text.as_str(), timeout.millis), ("10m", 600_000));
    assert_eq!(text(FULL, timeout.span), "10m");
    assert!(scale.retry.is_none() && scale.when.is_none() && scale.once.is_none());

    let load = step(&rb, "load-test");
    assert_eq!(text(FULL, load.id.span), "load-test");
    let retry = load.retry.as_ref().unwrap();
    assert_eq!(retry.count, 1);
    assert_eq!(text(FULL, retry.count_span), "1");
    assert_eq!(retry.backoff.as_ref().unwrap().millis, 30_000);
    assert_eq!(text(FULL, retry.span), "retry 1 backoff 30s");

    let backup = step(&rb, "backup");
    assert_eq!(text(FULL, backup.once.unwrap()), "once");
    assert_eq!(backup.when.as_ref().unwrap().text, "!dry");
    assert!(text(FULL, backup.span).starts_with("step backup"));
    assert!(text(FULL, backup.body.span).starts_with('{'));
    assert!(text(FULL, backup.body.span).ends_with('}'));
}

#[test]
fn options_in_any_order_and_over_several_lines() {
    let src = "step s \"t\" once when ready\n    retry 3 timeout 1h30m {\n  run go()\n}\n";
    let rb = parse(src).unwrap();
    let s = rb.steps().next().unwrap();
    assert_eq!(s.when.as_ref().unwrap().text, "ready");
    assert_eq!(s.retry.as_ref().unwrap().count, 3);
    assert!(s.retry.as_ref().unwrap().backoff.is_none());
    assert_eq!(s.timeout.as_ref().unwrap().millis, 5_400_000);
    assert!(s.once.is_some());
}

#[test]
fn statements_of_a_step() {
    let rb = parse(FULL).unwrap();
    let scale = step(&rb, "scale");
    let stmts = &scale.body.stmts;
    assert!(
        matches!(&stmts[0].kind, StmtKind::Let(l) if l.name.name == "before" && l.value.text == "app.replicas()")
    );
    assert!(
        matches!(&stmts[1].kind, StmtKind::Undo(UndoBody::Expr(e)) if e.text == "app.scale(before)")
    );
    assert!(matches!(&stmts[2].kind, StmtKind::Run(e) if e.text == "app.scale(replicas)"));
    match &stmts[3].kind {
        StmtKind::Expect {
            cond,
            within,
            every,
        } => {
            assert_eq!(cond.text, "app.rollout_complete()");
            assert_eq!(within.as_ref().unwrap().millis, 300_000);
            assert_eq!(every.as_ref().unwrap().millis, 5_000);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        text(FULL, stmts[3].span),
        "expect app.rollout_complete() within 300s every 5s"
    );
    for s in stmts {
        assert!(!text(FULL, s.span).ends_with([' ', '\n']));
    }

    let backup = step(&rb, "backup");
    let kinds = &backup.body.stmts;
    assert!(
        matches!(&kinds[1].kind, StmtKind::Sh(e) if e.text == "`pg_dump ${db_url} > /backups/before-phase7.sql`")
    );
    match &kinds[2].kind {
        StmtKind::Assert { cond, message } => {
            assert_eq!(cond.text, "m.started != ()");
            assert_eq!(message.as_ref().unwrap().text, "\"no start time\"");
        }
        other => panic!("{other:?}"),
    }
    match &kinds[3].kind {
        StmtKind::WaitUntil {
            cond,
            within,
            every,
        } => {
            assert_eq!(cond.text, "db.scalar(\"SELECT 1\") == 1");
            assert_eq!(within.text, "2m");
            assert_eq!(every.as_ref().unwrap().text, "10s");
        }
        other => panic!("{other:?}"),
    }
    match &kinds[4].kind {
        StmtKind::For { var, iter, body } => {
            assert_eq!(var.name, "host");
            assert_eq!(iter.text, "hosts");
            assert!(
                matches!(&body.stmts[0].kind, StmtKind::Note(e) if e.text == "`checked ${host}`")
            );
        }
        other => panic!("{other:?}"),
    }
    match &kinds[5].kind {
        StmtKind::Undo(UndoBody::Block(b)) => {
            assert!(
                matches!(&b.stmts[0].kind, StmtKind::Note(e) if e.text == "\"nothing to undo for a backup\"")
            );
        }
        other => panic!("{other:?}"),
    }
    let confirm_src = "step s \"t\" {\n  confirm \"Go?\"\n}\n";
    let rb = parse(confirm_src).unwrap();
    let s = rb.steps().next().unwrap();
    assert!(matches!(&s.body.stmts[0].kind, StmtKind::Confirm(e) if e.text == "\"Go?\""));
}

#[test]
fn if_else_if_else_chain() {
    let rb = parse(FULL).unwrap();
    let s = step(&rb, "db-capacity");
    let StmtKind::If {
        cond,
        then,
        otherwise,
    } = &s.body.stmts[2].kind
    else {
        panic!("not an if");
    };
    assert_eq!(cond.text, "conns.active > conns.max * 67 / 100");
    assert_eq!(then.stmts.len(), 3);
    let Some(Else::If(nested)) = otherwise else {
        panic!("no else if");
    };
    assert!(text(FULL, nested.span).starts_with("if conns.active > conns.max / 2 {"));
    let StmtKind::If {
        cond, otherwise, ..
    } = &nested.kind
    else {
        panic!("nested is not an if");
    };
    assert_eq!(cond.text, "conns.active > conns.max / 2");
    assert!(matches!(otherwise, Some(Else::Block(b)) if b.stmts.len() == 1));
    assert!(text(FULL, s.body.stmts[2].span).ends_with("}"));
}

#[test]
fn else_may_start_the_next_line() {
    let src = "step s \"t\" {\n  if a {\n    run x()\n  }\n  else {\n    run y()\n  }\n}\n";
    let rb = parse(src).unwrap();
    let s = rb.steps().next().unwrap();
    assert_eq!(s.body.stmts.len(), 1);
    assert!(matches!(
        &s.body.stmts[0].kind,
        StmtKind::If {
            otherwise: Some(Else::Block(_)),
            ..
        }
    ));
}

#[test]
fn every_comment_is_kept_with_its_span() {
    let rb = parse(FULL).unwrap();
    let comments: Vec<&str> = rb.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        comments,
        [
            "# Capacity scaling, the example of DESIGN.md with every construct.",
            "# phase6 | phase7",
            "# a map, then a comment",
        ]
    );
    for c in &rb.comments {
        assert_eq!(text(FULL, c.span), c.text);
    }
}

#[test]
fn comments_everywhere_trivia_may_be() {
    let src = "# head\nrunbook \"t\" { # after brace\n  owner \"o\" # after entry\n} # after block\nstep s \"t\" # in header\n  timeout 5m { # in body\n  run a() # after run\n  # alone\n} # end\n";
    let rb = parse(src).unwrap();
    assert_eq!(rb.comments.len(), 9);
    let s = rb.steps().next().unwrap();
    assert!(matches!(&s.body.stmts[0].kind, StmtKind::Run(e) if e.text == "a()"));
}

#[test]
fn titles_unescape() {
    let rb = parse("step s \"say \\\"hi\\\"\\tnow\" {\n}\n").unwrap();
    assert_eq!(rb.steps().next().unwrap().title.value, "say \"hi\"\tnow");
}

#[test]
fn one_line_step_and_empty_file() {
    let rb = parse("step s \"t\" { run a() }").unwrap();
    assert!(
        matches!(&rb.steps().next().unwrap().body.stmts[0].kind, StmtKind::Run(e) if e.text == "a()")
    );
    let empty = parse("").unwrap();
    assert!(empty.items.is_empty() && empty.meta.is_none() && empty.rollback.is_none());
    let only_comments = parse("# nothing here\n\n# still nothing\n").unwrap();
    assert_eq!(only_comments.comments.len(), 2);
}

#[test]
fn durations_of_every_unit() {
    let src = "step s \"t\" timeout 1d2h3m4s5ms retry 2 backoff 250ms {\n}\n";
    let rb = parse(src).unwrap();
    let s = rb.steps().next().unwrap();
    assert_eq!(s.timeout.as_ref().unwrap().millis, 93_784_005);
    assert_eq!(
        s.retry.as_ref().unwrap().backoff.as_ref().unwrap().millis,
        250
    );
}

#[test]
fn crlf_line_endings() {
    let src = "param a: int = 1\r\nstep s \"t\" {\r\n  run f(a)\r\n  note \"x\" # c\r\n}\r\n";
    let rb = parse(src).unwrap();
    let s = rb.steps().next().unwrap();
    assert!(matches!(&s.body.stmts[0].kind, StmtKind::Run(e) if e.text == "f(a)"));
    assert_eq!(rb.comments[0].text, "# c");
}

#[test]
fn source_hash_and_fingerprints() {
    let rb = parse(FULL).unwrap();
    assert_eq!(rb.source_hash, source_hash(FULL));
    assert_eq!(rb.source_hash.len(), 64);
    // Reformatting does not change a step's fingerprint; editing it does.
    let a = parse("step s \"t\" timeout 5m {\n  run f(1)\n}\n").unwrap();
    let b =
        parse("# moved\n\nstep   s   \"t\"   timeout 5m   {\n\n      run f(1)   # c\n}").unwrap();
    let c = parse("step s \"t\" timeout 5m {\n  run f(2)\n}\n").unwrap();
    let fp = |rb: &Runbook| step_fingerprint(rb.steps().next().unwrap());
    assert_eq!(fp(&a), fp(&b));
    assert_ne!(fp(&a), fp(&c));
    assert_ne!(a.source_hash, b.source_hash);
    assert_eq!(a.shape(), b.shape());
}
