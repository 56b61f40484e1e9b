//! `sh` against real processes.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod recording;

use std::time::{Duration, Instant};

use proc_probe::{alive, children_of, group_members, group_of, stat, wait_dead};
use recording::{action_error, field, wait_file, Event, Harness};
use runbook_stdlib::OutputStream;
use tokio_util::sync::CancellationToken;

const LONG: Duration = Duration::from_secs(30);

#[test]
fn returns_code_stdout_and_stderr() {
    let h = Harness::new();
    let r = h.eval(r#"sh("echo out; echo err >&2; exit 3")"#).unwrap();
    assert_eq!(field(&r, "code").as_int().unwrap(), 3);
    assert_eq!(field(&r, "stdout").to_string(), "out\n");
    assert_eq!(field(&r, "stderr").to_string(), "err\n");
    assert!(h
        .sink
        .events()
        .contains(&Event::Output(OutputStream::Stderr, "err".into())));
    assert!(h.sink.events().contains(&Event::Effect(
        "sh".into(),
        "echo out; echo err >&2; exit 3".into()
    )));
}

#[test]
fn a_command_killed_by_a_signal_reports_128_plus_the_signal() {
    let h = Harness::new();
    let r = h.eval(r#"sh("kill -TERM $$")"#).unwrap();
    assert_eq!(field(&r, "code").as_int().unwrap(), 128 + 15);
}

#[test]
fn lines_are_streamed_before_the_command_exits() {
    let h = Harness::new();
    let call = h.eval_in_thread(
        r#"sh("echo first; echo warn >&2; while [ ! -e go ]; do sleep 0.05; done; echo second")"#,
    );
    let seen_first = h.sink.wait_for(LONG, |ev| {
        ev.contains(&Event::Output(OutputStream::Stdout, "first".into()))
            && ev.contains(&Event::Output(OutputStream::Stderr, "warn".into()))
    });
    assert!(
        seen_first,
        "no streamed line; events: {:?}",
        h.sink.events()
    );
    // The command is still waiting for `go`: it cannot have returned.
    assert!(!call.is_finished());
    assert_eq!(h.sink.stdout_lines(), vec!["first"]);

    std::fs::write(h.path("go"), "").unwrap();
    let r = call.join().unwrap().unwrap();
    assert_eq!(field(&r, "stdout").to_string(), "first\nsecond\n");
    assert_eq!(h.sink.stdout_lines(), vec!["first", "second"]);
}

#[test]
fn runs_in_the_runbook_directory() {
    let h = Harness::new();
    let r = h.eval(r#"sh("pwd -P")"#).unwrap();
    let expected = h.dir.path().canonicalize().unwrap();
    assert_eq!(
        field(&r, "stdout").to_string().trim_end(),
        expected.to_str().unwrap()
    );
}

#[test]
fn env_and_stdin_reach_the_command() {
    let h = Harness::new();
    let r = h
        .eval(r#"sh("printf '%s/%s/' \"$GREETING\" \"$COUNT\"; cat", #{ env: #{ GREETING: "hi there", COUNT: 5 }, stdin: "from stdin" })"#)
        .unwrap();
    assert_eq!(field(&r, "stdout").to_string(), "hi there/5/from stdin");
}

#[test]
fn without_stdin_the_command_reads_nothing() {
    let h = Harness::new();
    let r = h.eval(r#"sh("cat; echo done")"#).unwrap();
    assert_eq!(field(&r, "stdout").to_string(), "done\n");
}

#[test]
fn check_turns_a_non_zero_exit_into_an_error_with_the_error_output() {
    let h = Harness::new();
    let err = h
        .eval(r#"sh("echo 'disk full' >&2; exit 4", #{ check: true })"#)
        .unwrap_err();
    let e = action_error(&err);
    assert_eq!(e.code, "runbook::run::sh::failed");
    assert!(e.message.contains("exited with code 4"), "{}", e.message);
    assert!(e.help.unwrap_or_default().contains("disk full"));

    let ok = h.eval(r#"sh("true", #{ check: true })"#).unwrap();
    assert_eq!(field(&ok, "code").as_int().unwrap(), 0);
}

#[test]
fn statement_failure_reads_the_returned_map() {
    let h = Harness::new();
    let failed = h.eval(r#"sh("exit 2")"#).unwrap();
    let map = failed.read_lock::<rhai::Map>().unwrap().clone();
    let e = runbook_stdlib::sh::statement_failure("exit 2", &map).unwrap();
    assert_eq!(e.code, "runbook::run::sh::failed");
    assert_eq!(e.message, "`exit 2` exited with code 2");

    let ok = h.eval(r#"sh("exit 0")"#).unwrap();
    let map = ok.read_lock::<rhai::Map>().unwrap().clone();
    assert!(runbook_stdlib::sh::statement_failure("exit 0", &map).is_none());
}

#[test]
fn an_unknown_option_is_an_error_naming_it() {
    let h = Harness::new();
    let e = action_error(&h.eval(r#"sh("true", #{ chek: true })"#).unwrap_err());
    assert_eq!(e.code, "runbook::run::sh::options");
    assert!(e.message.contains("`chek`"));
    let e = action_error(&h.eval(r#"sh("true", #{ env: "A=1" })"#).unwrap_err());
    assert!(
        e.message.contains("option `env` must be a map"),
        "{}",
        e.message
    );
}

#[test]
fn a_missing_directory_is_a_spawn_error_naming_it() {
    let gone = std::env::temp_dir().join("runbook-sh-test-no-such-dir");
    let h = Harness::with_base_dir(gone.clone());
    let e = action_error(&h.eval(r#"sh("true")"#).unwrap_err());
    assert_eq!(e.code, "runbook::run::sh::spawn");
    assert!(e.message.contains(gone.to_str().unwrap()), "{}", e.message);
}

#[test]
fn the_step_timeout_kills_the_whole_process_group() {
    let h = Harness::new();
    h.ctx.enter_step(
        CancellationToken::new(),
        Some(Instant::now() + Duration::from_secs(3)),
    );
    let err = h
        .eval(r#"sh("sleep 1000 & echo $! > bg.pid; echo ready; sleep 1000")"#)
        .unwrap_err();
    let e = action_error(&err);
    assert_eq!(e.code, "runbook::run::sh::timeout");
    assert!(h.sink.stdout_lines().contains(&"ready".to_string()));
    let pid: i32 = wait_file(&h.path("bg.pid"), LONG)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        wait_dead(pid, LONG),
        "background child {pid} survived the timeout"
    );
}

#[test]
fn cancellation_kills_the_whole_process_group() {
    let h = Harness::new();
    let cancel = CancellationToken::new();
    h.ctx.enter_step(cancel.clone(), None);
    let call = h.eval_in_thread(
        r#"sh("sleep 1000 & echo $! > bg.pid; echo $$ > sh.pid; echo ready; wait")"#,
    );
    assert!(h.sink.wait_for(LONG, |ev| ev
        .contains(&Event::Output(OutputStream::Stdout, "ready".into()))));
    let bg: i32 = wait_file(&h.path("bg.pid"), LONG)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let shell: i32 = wait_file(&h.path("sh.pid"), LONG)
        .unwrap()
        .trim()
        .parse()
        .unwrap();

    cancel.cancel();
    let e = action_error(&call.join().unwrap().unwrap_err());
    assert_eq!(e.code, "runbook::run::sh::cancelled");
    assert!(wait_dead(bg, LONG), "background child {bg} survived");
    assert!(wait_dead(shell, LONG), "shell {shell} survived");
}

#[test]
fn an_interrupted_step_does_not_start_the_command() {
    let h = Harness::new();
    let cancel = CancellationToken::new();
    cancel.cancel();
    h.ctx.enter_step(cancel, None);
    let e = action_error(&h.eval(r#"sh("touch started")"#).unwrap_err());
    assert_eq!(e.code, "runbook::run::sh::cancelled");
    assert!(!h.path("started").exists());
}

#[test]
fn a_background_process_holding_the_pipes_does_not_hold_the_call() {
    let h = Harness::new();
    // `sleep` inherits stdout and stderr: the pipes stay open after the shell exits.
    let r = h
        .eval(r#"sh("sleep 1000 & echo $! > bg.pid; echo started")"#)
        .unwrap();
    assert_eq!(field(&r, "code").as_int().unwrap(), 0);
    assert_eq!(field(&r, "stdout").to_string(), "started\n");
    let pid: i32 = std::fs::read_to_string(h.path("bg.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // It was left running, as in a terminal.
    assert!(!wait_dead(pid, Duration::from_millis(100)));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
}

#[test]
fn dry_run_reports_the_command_and_runs_nothing() {
    let h = Harness::dry_run();
    let r = h.eval(r#"sh("touch created; echo hi")"#).unwrap();
    assert_eq!(field(&r, "code").as_int().unwrap(), 0);
    assert_eq!(field(&r, "stdout").to_string(), "");
    assert!(!h.path("created").exists());
    assert_eq!(
        h.sink.events(),
        vec![Event::DryRun("sh".into(), "touch created; echo hi".into())]
    );
}

#[test]
fn the_returned_output_is_capped_but_every_byte_is_streamed() {
    let h = Harness::new();
    // 2 MB without a newline, then one short line.
    let r = h
        .eval(r#"sh("head -c 2000000 /dev/zero | tr '\\0' a; echo; echo tail")"#)
        .unwrap();
    let stdout = field(&r, "stdout").to_string();
    assert_eq!(stdout.len(), runbook_stdlib::sh::CAPTURE_LIMIT);
    let lines = h.sink.stdout_lines();
    let streamed: usize = lines
        .iter()
        .filter(|l| l.starts_with('a'))
        .map(String::len)
        .sum();
    assert_eq!(streamed, 2_000_000);
    assert!(lines.len() > 2, "a long line is streamed in pieces");
    assert_eq!(lines.last().unwrap(), "tail");
}

#[test]
fn the_signature_is_an_effect_with_optional_options() {
    let sigs = runbook_stdlib::sh::signatures();
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].class, runbook_stdlib::Class::Effect);
    assert!(sigs[0].accepts(1) && sigs[0].accepts(2) && !sigs[0].accepts(3));
}

/// Kills what is left of a failed test's command group.
struct KillGroup(i32);

impl Drop for KillGroup {
    fn drop(&mut self) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(self.0),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

#[test]
fn the_group_is_led_by_a_watcher_that_leaves_when_the_command_ends() {
    let h = Harness::new();
    let r = h
        .eval(r#"sh("echo $$; cut -d' ' -f5 /proc/$$/stat")"#)
        .unwrap();
    let out = field(&r, "stdout").to_string();
    let ids: Vec<i32> = out.lines().map(|l| l.trim().parse().unwrap()).collect();
    let (shell, group) = (ids[0], ids[1]);
    assert_ne!(shell, group, "the shell runs in a group it does not lead");
    assert!(
        wait_dead(group, LONG),
        "the group's leader {group} stayed after the command ended"
    );
}

#[test]
fn each_command_has_a_group_of_its_own_and_its_watcher_is_reaped() {
    let h = Harness::new();
    let mut groups = Vec::new();
    for _ in 0..10 {
        let r = h.eval(r#"sh("cut -d' ' -f5 /proc/$$/stat")"#).unwrap();
        groups.push(
            field(&r, "stdout")
                .to_string()
                .trim()
                .parse::<i32>()
                .unwrap(),
        );
    }
    let mut distinct = groups.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        groups.len(),
        "a group was used twice: {groups:?}"
    );
    // Watchers that stood down are reaped by later calls: zombies do not
    // pile up with the number of commands.
    let me = i32::try_from(std::process::id()).unwrap();
    let zombies = || {
        children_of(me)
            .into_iter()
            .filter(|pid| stat(*pid).is_some_and(|s| !s.runs()))
            .count()
    };
    let deadline = Instant::now() + LONG;
    while zombies() > 1 && Instant::now() < deadline {
        let _ = h.eval(r#"sh("true")"#).unwrap();
    }
    assert!(zombies() <= 1, "{} unreaped watchers", zombies());
}

/// The watchers (armed or spare) among `runner`'s children.
fn watchers_of(runner: i32) -> Vec<i32> {
    children_of(runner)
        .into_iter()
        .filter(|pid| {
            alive(*pid)
                && std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains("runbook-sh-watcher"))
        })
        .collect()
}

#[test]
fn the_spare_watcher_of_a_killed_runner_leaves_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = helper_runner(
        dir.path(),
        r#"sh("cut -d' ' -f5 /proc/$$/stat > group")"#,
        true,
    );
    let runner_pid = i32::try_from(runner.id()).unwrap();
    assert!(wait_file(&dir.path().join("idle"), LONG).is_some());
    let used: i32 = wait_file(&dir.path().join("group"), LONG)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The next command's watcher is started after the command: wait for it.
    let spares = || -> Vec<i32> {
        let mut w = watchers_of(runner_pid);
        w.retain(|pid| *pid != used);
        w
    };
    let deadline = Instant::now() + LONG;
    while spares().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let spares = spares();
    assert_eq!(
        spares.len(),
        1,
        "one spare watcher waits for the next command"
    );
    runner.kill().unwrap(); // SIGKILL: no chance to clean up
    runner.wait().unwrap();
    assert!(
        wait_dead(spares[0], LONG),
        "the spare watcher {} outlived its runner",
        spares[0]
    );
}

#[test]
fn a_killed_runner_takes_the_group_down_when_its_watcher_was_the_spare() {
    // The first command leaves a spare watcher behind, which the second
    // command's group is led by.
    killed_runner_takes_the_group_down(
        r#"sh("true"); sh("sleep 1000 & echo $$ > sh.pid; sleep 1000; touch after")"#,
    );
}

/// Run by [`a_killed_runner_takes_the_whole_group_down`] in a child
/// process: runs `RUNBOOK_SH_TEST_SCRIPT` from Rhai, as a runner would.
#[test]
#[ignore = "helper process for a_killed_runner_takes_the_whole_group_down"]
fn helper_runner_blocked_in_sh() {
    let (Ok(dir), Ok(script)) = (
        std::env::var("RUNBOOK_SH_TEST_DIR"),
        std::env::var("RUNBOOK_SH_TEST_SCRIPT"),
    ) else {
        return;
    };
    let h = Harness::with_base_dir(std::path::PathBuf::from(&dir));
    let _ = h.eval(&script);
    if std::env::var_os("RUNBOOK_SH_TEST_IDLE").is_some() {
        // A runner between steps: stay until killed.
        let _ = std::fs::write(std::path::Path::new(&dir).join("idle"), "idle\n");
        loop {
            std::thread::park();
        }
    }
}

/// Start [`helper_runner_blocked_in_sh`] in a child process running
/// `script` in `dir`; `idle`: it stays (between steps) once done.
fn helper_runner(dir: &std::path::Path, script: &str, idle: bool) -> std::process::Child {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "helper_runner_blocked_in_sh",
        "--ignored",
        "--nocapture",
    ])
    .env("RUNBOOK_SH_TEST_DIR", dir)
    .env("RUNBOOK_SH_TEST_SCRIPT", script)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    if idle {
        cmd.env("RUNBOOK_SH_TEST_IDLE", "1");
    }
    cmd.spawn().unwrap()
}

/// `kill -9` a runner blocked in `script` (which writes its shell's pid to
/// `sh.pid` once everything it starts runs) and check that every process of
/// the command's group dies: the shell, what it waits for, what it put in
/// the background, and the watcher.
fn killed_runner_takes_the_group_down(script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = helper_runner(dir.path(), script, false);
    let shell: i32 = wait_file(&dir.path().join("sh.pid"), LONG)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let group = group_of(shell).unwrap();
    let _cleanup = KillGroup(group);
    let members = group_members(group);
    assert!(
        members.len() >= 4,
        "watcher, shell, background and foreground sleeps: {members:?}"
    );
    runner.kill().unwrap(); // SIGKILL: no chance to clean up
    runner.wait().unwrap();
    for pid in &members {
        assert!(
            wait_dead(*pid, LONG),
            "{pid} of the command's group {members:?} outlived its runner"
        );
    }
    assert!(!dir.path().join("after").exists(), "the command went on");
}

#[test]
fn a_killed_runner_takes_the_whole_group_down() {
    killed_runner_takes_the_group_down(
        r#"sh("sleep 1000 & echo $$ > sh.pid; sleep 1000; touch after")"#,
    );
}

#[test]
fn a_killed_runner_takes_the_whole_group_down_when_the_command_reads_input() {
    // Input the command has not read yet: the watcher must not depend on it.
    killed_runner_takes_the_group_down(
        r#"sh("sleep 1000 & echo $$ > sh.pid; sleep 1000; cat > got; touch after", #{ stdin: "line\n" })"#,
    );
}
