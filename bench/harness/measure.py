"""Wall time, peak memory, fsync cost and syscall counts of commands."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class MeasureError(RuntimeError):
    """A measured command did not do what the workload expects."""


@dataclass(frozen=True)
class Command:
    """A command line with what it needs to run and the exit codes it may end with."""

    argv: list[str]
    cwd: Path | None = None
    env: dict[str, str] | None = None
    ok_codes: tuple[int, ...] = (0,)
    # Run before every timed run (not timed), e.g. to empty a state store.
    prepare: list[str] | None = None


def _env(cmd: Command) -> dict[str, str]:
    env = dict(os.environ)
    env.update(cmd.env or {})
    return env


def check_exit(cmd: Command, code: int, output: str = "") -> None:
    if code not in cmd.ok_codes:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise MeasureError(
            f"`{' '.join(cmd.argv)}` exited {code}, expected one of {cmd.ok_codes}\n{tail}"
        )


def run_once(cmd: Command) -> subprocess.CompletedProcess[str]:
    """Run the command untimed (e.g. to set up a run to resume); check its exit code."""
    if cmd.prepare:
        subprocess.run(cmd.prepare, check=True, cwd=cmd.cwd)
    done = subprocess.run(
        cmd.argv, stdin=subprocess.DEVNULL, cwd=cmd.cwd, env=_env(cmd), capture_output=True, text=True, check=False
    )
    check_exit(cmd, done.returncode, done.stdout + done.stderr)
    return done


class Timer:
    """Median wall time of repeated runs: hyperfine when installed, else Python."""

    def __init__(self, use_hyperfine: bool = True) -> None:
        self.hyperfine = shutil.which("hyperfine") if use_hyperfine else None

    @property
    def name(self) -> str:
        return "hyperfine" if self.hyperfine else "python (median of runs)"

    def median(self, cmd: Command, runs: int, warmup: int = 0) -> float:
        """Median seconds over `runs` runs after `warmup` untimed ones."""
        if self.hyperfine:
            return self._hyperfine(cmd, runs, warmup)
        return self._python(cmd, runs, warmup)

    def _python(self, cmd: Command, runs: int, warmup: int) -> float:
        env = _env(cmd)
        times = []
        for i in range(warmup + runs):
            if cmd.prepare:
                subprocess.run(cmd.prepare, check=True, cwd=cmd.cwd)
            start = time.perf_counter()
            done = subprocess.run(
                cmd.argv, stdin=subprocess.DEVNULL, cwd=cmd.cwd, env=env, capture_output=True, text=True, check=False
            )
            elapsed = time.perf_counter() - start
            check_exit(cmd, done.returncode, done.stdout + done.stderr)
            if i >= warmup:
                times.append(elapsed)
        return statistics.median(times)

    def _hyperfine(self, cmd: Command, runs: int, warmup: int) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            export = Path(tmp) / "result.json"
            argv = [
                str(self.hyperfine),
                "-N",  # no intermediate shell: its start-up would blur small figures
                "--style", "none",
                "--ignore-failure",  # exit codes are checked below, per workload
                "--runs", str(runs),
                "--warmup", str(warmup),
                "--export-json", str(export),
            ]
            if cmd.prepare:
                argv += ["--prepare", " ".join(cmd.prepare)]
            argv.append(" ".join(_quote(a) for a in cmd.argv))
            done = subprocess.run(
                argv, stdin=subprocess.DEVNULL, cwd=cmd.cwd, env=_env(cmd), capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise MeasureError(f"hyperfine failed: {done.stderr.strip()}")
            result = json.loads(export.read_text())["results"][0]
        for code in result.get("exit_codes") or []:
            if code is not None:
                # hyperfine does not keep the output; run once more to show it.
                if code not in cmd.ok_codes:
                    run_once(cmd)
                check_exit(cmd, code)
        return float(result["median"])


def _quote(arg: str) -> str:
    # hyperfine -N splits the command line shell-style.
    if re.fullmatch(r"[\w@%+=:,./-]+", arg):
        return arg
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def peak_rss_mib(cmd: Command) -> float:
    """Peak resident set size of one run, from `/usr/bin/time -v` (or getrusage)."""
    if cmd.prepare:
        subprocess.run(cmd.prepare, check=True, cwd=cmd.cwd)
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        done = subprocess.run(
            [str(gnu_time), "-v", *cmd.argv],
            stdin=subprocess.DEVNULL, cwd=cmd.cwd, env=_env(cmd), capture_output=True, text=True, check=False,
        )
        check_exit(cmd, done.returncode, done.stdout + done.stderr)
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        if not found:
            raise MeasureError("/usr/bin/time -v printed no maximum resident set size")
        return int(found.group(1)) / 1024
    return peak_rss_mib_getrusage(cmd)


def peak_rss_mib_getrusage(cmd: Command) -> float:
    """Peak RSS without GNU time: a fresh Python whose only child is the command."""
    probe = (
        "import resource, subprocess, sys\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL).returncode\n"
        "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        ["python3", "-c", probe, *cmd.argv],
        stdin=subprocess.DEVNULL, cwd=cmd.cwd, env=_env(cmd), capture_output=True, text=True, check=True,
    )
    code, kib = done.stdout.split()
    check_exit(cmd, int(code))
    return int(kib) / 1024


def fsync_seconds(directory: Path, batches: int = 7, per_batch: int = 40) -> float:
    """Cost of one small write + fsync on the disk holding `directory`.

    The median of several batches: one slow batch (another engineer's build
    writing to the same disk) does not move it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, b"x" * 128)
        os.fsync(fd)  # the first one also allocates the file's blocks
        means = []
        for _ in range(batches):
            start = time.perf_counter()
            for _ in range(per_batch):
                os.write(fd, b"x" * 128)
                os.fsync(fd)
            means.append((time.perf_counter() - start) / per_batch)
        return statistics.median(means)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


SYNC_CALLS = ("fsync", "fdatasync", "sync_file_range", "msync", "syncfs")


def syscall_counts(cmd: Command) -> dict[str, int] | None:
    """System calls of one run (all threads) by name, via strace -f -c; None without strace."""
    strace = shutil.which("strace")
    if not strace:
        return None
    if cmd.prepare:
        subprocess.run(cmd.prepare, check=True, cwd=cmd.cwd)
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "strace.txt"
        done = subprocess.run(
            [strace, "-f", "-c", "-o", str(summary), *cmd.argv],
            stdin=subprocess.DEVNULL, cwd=cmd.cwd, env=_env(cmd), capture_output=True, text=True, check=False,
        )
        check_exit(cmd, done.returncode, done.stdout + done.stderr)
        return parse_strace_summary(summary.read_text())


def parse_strace_summary(text: str) -> dict[str, int]:
    """Calls by syscall name from `strace -c` output."""
    counts = {}
    for line in text.splitlines():
        parts = line.split()
        # "% time  seconds  usecs/call  calls  [errors]  syscall"
        if len(parts) >= 5 and parts[3].isdigit() and parts[-1] != "total":
            counts[parts[-1]] = int(parts[3])
    return counts
