//! A small builder over the real `runbook` binary, shared by the end-to-end
//! tests (one file per subcommand or feature, each `mod common;`).
//!
//! ```ignore
//! let out = common::runbook(["lint", "x.runbook"]).current_dir(dir).output();
//! out.assert_code(2);
//! ```

#![allow(dead_code)] // each test file uses a different part

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The root package's directory, holding `runbooks/` and `tests/fixtures/`.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `runbook` binary built for this test run.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_runbook")
}

/// Start building a `runbook` invocation with `args`.
pub fn runbook<I, S>(args: I) -> Cmd
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(bin());
    command.args(args);
    // A stable, colourless, terminal-free environment: what CI sees.
    command
        .env("NO_COLOR", "1")
        .env_remove("RUNBOOK_STATE")
        .env_remove("RUNBOOK_LEASE_TTL")
        .env("TERM", "dumb");
    Cmd {
        command,
        stdin: None,
    }
}

/// A `runbook` command being built.
pub struct Cmd {
    command: Command,
    stdin: Option<Vec<u8>>,
}

impl Cmd {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Feed `input` on standard input (otherwise it is empty, never a TTY).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Run to the end and capture everything.
    pub fn output(mut self) -> Output {
        self.command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self
            .command
            .spawn()
            .expect("cannot start the runbook binary");
        let mut pipe = child.stdin.take().expect("stdin is piped");
        let input = self.stdin.take().unwrap_or_default();
        // Written from a thread so a command that does not read cannot block us.
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
        let out = child
            .wait_with_output()
            .expect("cannot wait for the runbook binary");
        let _ = writer.join();
        Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            stdout_bytes: out.stdout,
            stderr_bytes: out.stderr,
        }
    }

    /// Start in the background with stdin from /dev/null and output into the
    /// given files (readable while it runs and after it is killed).
    pub fn spawn_logged(mut self, stdout: &Path, stderr: &Path) -> Child {
        let out = std::fs::File::create(stdout).expect("cannot create the stdout file");
        let err = std::fs::File::create(stderr).expect("cannot create the stderr file");
        self.command.stdin(Stdio::null()).stdout(out).stderr(err);
        self.command
            .spawn()
            .expect("cannot start the runbook binary")
    }
}

/// What a finished `runbook` invocation did.
#[derive(Debug)]
pub struct Output {
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub stdout_bytes: Vec<u8>,
    pub stderr_bytes: Vec<u8>,
}

impl Output {
    /// Panic with everything the command printed unless it exited with `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// [`Output::assert_code`], keeping the output for further checks:
    /// `runbook(args).output().code_is(0).stdout`.
    #[track_caller]
    pub fn code_is(self, code: i32) -> Self {
        self.assert_code(code);
        self
    }

    /// Standard output and error together, for "is it mentioned" checks.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}
