//! `runbook status`: the holder is named only while a runner holds the run,
//! and a run that cannot be read is refused with exit 2 by every command.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

fn status_json(ws: &Workspace, id: &str) -> serde_json::Value {
    let out = ws.cmd(["status", id, "--json"]).output();
    out.assert_code(0);
    serde_json::from_str(&out.stdout).unwrap()
}

run_support::both_stores!(the_holder_is_shown_while_the_runner_holds_the_run_and_null_after);

fn the_holder_is_shown_while_the_runner_holds_the_run_and_null_after(ws: &Workspace) {
    ws.fixture("blocking.runbook");
    let mut runner = ws.spawn("runner", &["run", "blocking.runbook"]);
    let id = runner.wait_run_id();
    ws.wait_until("the hold step runs", || {
        ws.lines("out.txt").contains(&"waiting".to_string())
    });
    let pid = runner.child.id();
    let held = status_json(ws, &id);
    assert_eq!(held["holder"]["pid"], serde_json::json!(pid), "{held}");
    let human = ws.cmd(["status", &id]).output();
    human.assert_code(0);
    assert!(
        human.stdout.contains(&format!("(pid {pid} on ")),
        "{}",
        human.stdout
    );

    ws.touch("release");
    assert_eq!(runner.wait(), Some(0), "{}", runner.output());
    if ws.is_sled() {
        // sled's lock file still names the last runner; status must not.
        let lock = ws.state.join("runs").join(&id).join("lock");
        assert!(
            std::fs::read_to_string(&lock)
                .unwrap()
                .contains(&pid.to_string()),
            "the lock file keeps the last holder"
        );
    }
    let done = status_json(ws, &id);
    assert_eq!(done["state"], "succeeded", "{done}");
    assert!(done["holder"].is_null(), "{done}");
    let human = ws.cmd(["status", &id]).output();
    human.assert_code(0);
    assert!(!human.stdout.contains("pid"), "{}", human.stdout);
}

// sled only: it rewrites sled's `summary.json` by hand. A PostgreSQL
// database of a newer schema is refused at connection time (the store's
// migration tests).
#[test]
fn a_run_of_a_newer_format_is_refused_with_exit_2_by_every_command() {
    let ws = Workspace::new();
    ws.fixture("blocking.runbook");
    ws.touch("release");
    let (out, id) = ws.run("blocking.runbook", &[]);
    out.assert_code(0);
    let path = ws.state.join("runs").join(&id).join("summary.json");
    let mut summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    summary["format"] = serde_json::json!(999);
    std::fs::write(&path, serde_json::to_vec(&summary).unwrap()).unwrap();
    let commands: [&[&str]; 4] = [
        &["status", &id],
        &["status", &id, "--json"],
        &["status"],
        &["runs"],
    ];
    for args in commands {
        let out = ws.cmd(args).output();
        out.assert_code(2);
        assert!(
            out.stderr.contains("runbook::store::newer_format") && out.stderr.contains("999"),
            "{args:?}: {}",
            out.stderr
        );
    }
}
