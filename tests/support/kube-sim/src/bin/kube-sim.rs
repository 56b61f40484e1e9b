//! `kube-sim --kubeconfig PATH [--seed FILE.yaml]… [--rollout-delay-ms N]`:
//! serves the simulator until killed, for demos and end-to-end tests.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use kube_sim::KubeSim;

struct Args {
    kubeconfig: PathBuf,
    seeds: Vec<PathBuf>,
    rollout_delay: Option<Duration>,
}

const USAGE: &str =
    "usage: kube-sim --kubeconfig PATH [--seed FILE.yaml]... [--rollout-delay-ms N]";

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut kubeconfig = None;
    let mut seeds = Vec::new();
    let mut rollout_delay = None;
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--kubeconfig" => kubeconfig = Some(PathBuf::from(value()?)),
            "--seed" => seeds.push(PathBuf::from(value()?)),
            "--rollout-delay-ms" => {
                let ms: u64 = value()?
                    .parse()
                    .map_err(|e| format!("--rollout-delay-ms: {e}"))?;
                rollout_delay = Some(Duration::from_millis(ms));
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Args {
        kubeconfig: kubeconfig.ok_or_else(|| format!("--kubeconfig is required\n{USAGE}"))?,
        seeds,
        rollout_delay,
    })
}

fn run(args: Args) -> Result<(), String> {
    let mut builder = KubeSim::builder();
    if let Some(delay) = args.rollout_delay {
        builder = builder.rollout_delay(delay);
    }
    let sim = builder
        .start()
        .map_err(|e| format!("cannot start the simulator: {e}"))?;
    for seed in &args.seeds {
        let yaml = std::fs::read_to_string(seed)
            .map_err(|e| format!("cannot read {}: {e}", seed.display()))?;
        sim.apply_yaml(&yaml)
            .map_err(|e| format!("cannot apply {}: {e}", seed.display()))?;
    }
    sim.write_kubeconfig(&args.kubeconfig)
        .map_err(|e| format!("cannot write {}: {e}", args.kubeconfig.display()))?;
    println!(
        "kube-sim serving {} (kubeconfig {})",
        sim.url(),
        args.kubeconfig.display()
    );
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kube-sim: {message}");
            ExitCode::FAILURE
        }
    }
}
