"""Figures from the workspace's own Rust benchmarks, run rather than re-implemented.

- `dsl/benches/lint.rs` (`cargo bench -p runbook-dsl --bench lint`): lint
  throughput in process, run here pinned to one core with `taskset -c 0`;
- `interpreter/benches/checkpoints.rs`: fsync cost, per-step checkpoint
  overhead, resume after 10,000 steps and peak RSS, in process.

Each bench prints figures (no assertions); this module builds it, runs the
executable and picks the figures out of its output. A figure a bench no
longer prints is reported as missing, not guessed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BenchResult:
    """What one Rust bench printed, and the figures found in it (SI units)."""

    name: str
    output: str = ""
    error: str | None = None
    figures: dict[str, float] = field(default_factory=dict)


def _executable(root: Path, package: str, bench: str) -> Path:
    """Build the bench (release profile) and return its executable."""
    done = subprocess.run(
        ["cargo", "bench", "-p", package, "--bench", bench, "--no-run", "--message-format=json"],
        cwd=root, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cargo bench --no-run failed:\n{done.stderr[-2000:]}")
    for line in done.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        target = msg.get("target") or {}
        if msg.get("reason") == "compiler-artifact" and target.get("name") == bench and "bench" in target.get("kind", []):
            if msg.get("executable"):
                return Path(msg["executable"])
    raise RuntimeError(f"cargo did not report an executable for bench {bench}")


def _run(root: Path, package: str, bench: str, pin_core: bool, env: dict[str, str] | None = None) -> BenchResult:
    result = BenchResult(name=f"{package} --bench {bench}")
    try:
        exe = _executable(root, package, bench)
    except RuntimeError as e:
        result.error = str(e)
        return result
    argv = [str(exe), "--bench"]
    if pin_core and shutil.which("taskset"):
        argv = ["taskset", "-c", "0", *argv]
    full_env = dict(os.environ)
    full_env.update(env or {})
    done = subprocess.run(
        argv, cwd=root / package_dir(package), env=full_env, capture_output=True, text=True, check=False
    )
    result.output = done.stdout
    if done.returncode != 0:
        result.error = f"exited {done.returncode}:\n{done.stderr[-2000:]}"
    return result


def package_dir(package: str) -> str:
    # Benches run from their crate's directory, as `cargo bench` does.
    return {"runbook-dsl": "dsl", "runbook-interpreter": "interpreter"}[package]


def _unit(value: str, unit: str) -> float:
    scale = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9, "MiB": 1.0, "MB/s": 1.0}
    return float(value) * scale[unit]


def _find(result: BenchResult, key: str, pattern: str) -> None:
    found = re.search(pattern, result.output, re.MULTILINE)
    if found:
        result.figures[key] = _unit(found.group(1), found.group(2))


def dsl_lint(root: Path) -> BenchResult:
    """Lint throughput in process, on core 0 only."""
    return parse_dsl_lint(_run(root, "runbook-dsl", "lint", pin_core=True))


def parse_dsl_lint(result: BenchResult) -> BenchResult:
    _find(result, "lint_mb_s", r"one core:\s+([\d.]+)\s+(MB/s)")
    return result


def interpreter_checkpoints(root: Path) -> BenchResult:
    """Checkpoint overhead, resume and peak RSS, in process."""
    return parse_interpreter(_run(root, "runbook-interpreter", "checkpoints", pin_core=False))


def parse_interpreter(result: BenchResult) -> BenchResult:
    # The bench's wording has changed as it grew; both forms are understood.
    _find(result, "fsync_s", r"^f(?:data)?sync[^:]*:\s+(?:in place\s+)?([\d.]+)\s+(µs|ms|us)")
    _find(result, "step_stored_s", r"^per step, [\d,]+ no-op steps, checkpointed:\s+([\d.]+)\s+(µs|ms|us)")
    _find(result, "step_dry_s", r"^per step, same steps, dry run[^:]*:\s+([\d.]+)\s+(µs|ms|us)")
    _find(result, "checkpoint_overhead_s", r"^checkpoint overhead per step:\s+([\d.]+)\s+(µs|ms|us)")
    _find(result, "parse_10k_s", r"^\s*parse of its [\d,]+-step file:\s+([\d.]+)\s+(ms|s|µs)")
    _find(result, "resume_s", r"^resume of [\d,]+ succeeded steps[^:]*:\s+([\d.]+)\s+(ms|s|µs)")
    _find(result, "resume_parsed_s", r"^resume of [\d,]+ succeeded steps.*,\s+([\d.]+)\s+(ms|s|µs) from a parsed file")
    _find(result, "peak_rss_mib", r"^peak RSS of the [\d,]+-step run:\s+([\d.]+)\s+(MiB)")
    return result
