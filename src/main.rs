//! The `runbook` command line. Thin: parse arguments, call the libraries,
//! map the outcome to an exit code (0 done, 1 run failed or lint warnings
//! denied, 2 usage or lint error, 3 paused waiting for a confirmation).

mod cli;
mod cmd;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let code = cmd::dispatch(cli);
    std::process::ExitCode::from(code)
}
