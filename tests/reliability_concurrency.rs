//! One runner per run, under contention: eight `resume` processes of the same
//! run started together — exactly one proceeds, the seven others exit 2
//! naming the holder (on both state stores); and a lock whose holder was
//! `kill -9`ed is taken over by the next resume (sled; PostgreSQL's lease
//! takeover is in store_pg_takeover.rs).

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::{Runner, Workspace};

const RESUMERS: usize = 8;

/// gated.runbook, failed in step `two` (no `go` file yet).
fn failed_run(ws: &Workspace) -> String {
    ws.reliability_fixture("gated.runbook");
    let (out, id) = ws.run("gated.runbook", &[]);
    out.assert_code(1);
    assert_eq!(ws.lines("out.txt"), ["one", "two-start"]);
    ws.touch("go");
    id
}

run_support::both_stores!(eight_resumes_at_once_exactly_one_proceeds);

fn eight_resumes_at_once_exactly_one_proceeds(ws: &Workspace) {
    let id = failed_run(ws);
    let barrier = std::sync::Barrier::new(RESUMERS);
    let mut runners: Vec<Runner> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RESUMERS)
            .map(|n| {
                let (id, barrier) = (&id, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    ws.spawn(&format!("resume{n}"), &["resume", id])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    // Seven are refused; the one left is the holder, blocked in step two.
    let mut refused = Vec::new();
    ws.wait_until("seven resumes are refused", || {
        refused = runners
            .iter_mut()
            .enumerate()
            .filter_map(|(n, r)| r.child.try_wait().unwrap().map(|s| (n, s.code())))
            .collect();
        refused.len() >= RESUMERS - 1
    });
    assert_eq!(refused.len(), RESUMERS - 1, "{refused:?}");
    let holder = (0..RESUMERS)
        .find(|n| !refused.iter().any(|(r, _)| r == n))
        .unwrap();
    let holder_pid = runners[holder].child.id().to_string();
    for (n, code) in &refused {
        let said = runners[*n].output();
        assert_eq!(*code, Some(2), "resume {n}: {said}");
        assert!(
            said.contains(&holder_pid),
            "resume {n} names the holder (pid {holder_pid}): {said}"
        );
    }
    ws.wait_until("the holder runs step two", || {
        ws.lines("out.txt").len() == 3
    });
    ws.touch("release");
    assert_eq!(
        runners[holder].wait(),
        Some(0),
        "{}",
        runners[holder].output()
    );
    // Exactly one runner ran the rest: two once more, then three.
    assert_eq!(
        ws.lines("out.txt"),
        ["one", "two-start", "two-start", "two", "three"]
    );
}

// sled only: the kernel releases a dead holder's flock at once. With
// PostgreSQL the lease outlives its holder until it expires: see
// store_pg_takeover.rs.
#[test]
fn the_lock_of_a_killed_holder_is_taken_over() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    let mut holder = ws.spawn("holder", &["resume", &id]);
    ws.wait_until("the holder runs step two", || {
        ws.lines("out.txt").len() == 3
    });
    // While it lives, it is named and others are refused.
    let refused = ws.cmd(["resume", &id]).output();
    refused.assert_code(2);
    assert!(
        refused.all().contains(&holder.child.id().to_string()),
        "{}",
        refused.all()
    );
    holder.kill9();
    ws.touch("release");
    let out = ws.cmd(["resume", &id]).output();
    out.assert_code(0);
    assert_eq!(
        ws.lines("out.txt"),
        ["one", "two-start", "two-start", "two-start", "two", "three"]
    );
}
