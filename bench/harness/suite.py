"""What is measured, how, and against which target: the rows of the table."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import cargo_benches, pg_store
from .measure import Command, MeasureError, Timer, SYNC_CALLS, fsync_seconds, peak_rss_mib, run_once, syscall_counts
from .report import Row, at_least, at_most, seconds, speedup
from .workloads import Pair, Sizes

EXIT_WAITING = 3  # `runbook run`/`resume` paused at a confirmation


@dataclass
class Config:
    """Everything a benchmark run needs to know."""

    root: Path
    out: Path
    runbook: Path
    venv_bin: Path | None  # None: Ansible is not measured
    sizes: Sizes
    runs: int
    ansible_runs: int
    cargo_benches: bool
    timer: Timer
    # Ansible workloads to measure (by label); None: all. Smoke mode keeps the
    # cheap ones: one ansible-lint start costs 10-15 s on this machine.
    ansible_only: frozenset[str] | None
    log: Callable[[str], None]


@dataclass
class Results:
    """The table, plus raw figures and findings for the README."""

    rows: list[Row] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    bench_output: dict[str, str] = field(default_factory=dict)


class Suite:
    def __init__(self, cfg: Config, pairs: dict[str, Pair]) -> None:
        self.cfg = cfg
        self.pairs = pairs
        self.res = Results()
        self.state = cfg.out / "state"

    # --- commands -------------------------------------------------------

    def rb(self, *args: str, ok: tuple[int, ...] = (0,), fresh_state: bool = False, pin: bool = False) -> Command:
        argv = [str(self.cfg.runbook), *args]
        if pin and shutil.which("taskset"):
            argv = ["taskset", "-c", "0", *argv]
        prepare = ["rm", "-rf", str(self.state)] if fresh_state else None
        return Command(argv, cwd=self.cfg.out, ok_codes=ok, prepare=prepare)

    def rb_run(self, name: str, dry: bool = False) -> Command:
        args = ["run", str(self.pairs[name].runbook), "--yes", "--state", str(self.state)]
        if dry:
            args.append("--dry-run")
        return self.rb(*args, fresh_state=True)

    def ansible(self, tool: str, *args: str) -> Command:
        assert self.cfg.venv_bin is not None
        env = {
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "PATH": f"{self.cfg.venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        return Command([str(self.cfg.venv_bin / tool), *args], cwd=self.cfg.out / "ansible", env=env)

    def playbook(self, name: str) -> Command:
        assert self.cfg.venv_bin is not None
        path = self.pairs[name].ansible
        assert path is not None
        return self.ansible(
            "ansible-playbook", "-i", "localhost,", "-c", "local",
            "-e", f"ansible_python_interpreter={self.cfg.venv_bin / 'python'}", str(path),
        )

    def ansible_lint(self, path: Path) -> Command:
        return self.ansible("ansible-lint", "--offline", "--nocolor", "--project-dir", ".", str(path))

    # --- timing helpers -------------------------------------------------

    def t_rb(self, label: str, cmd: Command, runs: int | None = None) -> float:
        self.cfg.log(f"runbook: {label}")
        s = self.cfg.timer.median(cmd, runs or self.cfg.runs, warmup=1)
        self.res.figures[f"runbook {label}"] = s
        return s

    def t_ans(self, label: str, cmd_fn: Callable[[], Command], runs: int | None = None) -> float | None:
        if self.cfg.venv_bin is None:
            return None
        if self.cfg.ansible_only is not None and label not in self.cfg.ansible_only:
            self.cfg.log(f"ansible: {label}: skipped (smoke mode)")
            return None
        self.cfg.log(f"ansible: {label}")
        try:
            s = self.cfg.timer.median(cmd_fn(), runs or self.cfg.ansible_runs, warmup=0)
        except MeasureError as e:
            self.res.findings.append(f"Ansible workload '{label}' failed, not compared: {e}")
            return None
        self.res.figures[f"ansible {label}"] = s
        return s

    def side_by_side(self, workload: str, rb_s: float, ans_s: float | None, target: float | None, note: str = "") -> None:
        text, ratio = speedup(rb_s, ans_s)
        self.res.rows.append(
            Row(
                workload=workload,
                runbook=seconds(rb_s),
                ansible=seconds(ans_s) if ans_s is not None else "not run",
                ratio=text,
                target=f"≥ {target:.0f}x" if target else "—",
                met=at_least(ratio, target) if target else None,
                note=note,
            )
        )

    # --- the workloads --------------------------------------------------

    def steps(self) -> None:
        z = self.cfg.sizes
        noop = self.t_rb("noop", self.rb_run("noop"))
        noop1 = self.t_rb("noop1", self.rb_run("noop1"))
        self.side_by_side(
            f"{z.noop_steps:,} no-op steps (`run 1` / debug)",
            noop,
            self.t_ans("noop", lambda: self.playbook("noop")),
            None,
        )
        asserts = self.t_rb("assertions", self.rb_run("assertions"))
        self.side_by_side(
            f"{z.assertions:,} assertions",
            asserts,
            self.t_ans("assertions", lambda: self.playbook("assertions")),
            50,
        )
        shell = self.t_rb("shell", self.rb_run("shell"))
        shell1 = self.t_rb("shell1", self.rb_run("shell1"))
        self.side_by_side(
            f'{z.shell_steps:,} shell steps (`sh "true"` / command)',
            shell,
            self.t_ans("shell", lambda: self.playbook("shell")),
            100,
        )
        per_sh = (shell - shell1) / max(z.shell_steps - 1, 1)
        self.res.figures["sh step marginal"] = per_sh
        self.res.rows.append(
            Row(
                workload='one `sh "true"` step (marginal)',
                runbook=seconds(per_sh),
                target="≤ 3 ms",
                met=at_most(per_sh, 3e-3),
                note=f"(T({z.shell_steps} steps) − T(1 step)) / {z.shell_steps - 1}: process start-up excluded",
            )
        )

        # Durable checkpoints against one fsync on the same disk.
        dry = self.t_rb("noop dry", self.rb_run("noop", dry=True))
        dry1 = self.t_rb("noop1 dry", self.rb_run("noop1", dry=True))
        per_step = (noop - noop1) / max(z.noop_steps - 1, 1)
        per_dry = (dry - dry1) / max(z.noop_steps - 1, 1)
        self.state.mkdir(parents=True, exist_ok=True)
        fsync = fsync_seconds(self.state)
        self.res.figures.update({"step stored": per_step, "step dry": per_dry, "fsync": fsync})
        self.res.rows.append(Row("one fsync on the state store's disk", seconds(fsync)))
        self.res.rows.append(
            Row(
                workload="no-op step, durable checkpoint (CLI)",
                runbook=f"{seconds(per_step)} = {per_step / fsync:.2f} fsync",
                target="≤ 2 fsync",
                met=at_most(per_step / fsync, 2.0),
                note=(
                    f"marginal per step of the {z.noop_steps:,}-step run; the same steps as a dry run "
                    f"(no store) cost {seconds(per_dry)}, so the store's share is "
                    f"{seconds(per_step - per_dry)} = {(per_step - per_dry) / fsync:.2f} fsync"
                ),
            )
        )
        all_calls = syscall_counts(self.rb_run("noop"))
        all_calls1 = syscall_counts(self.rb_run("noop1"))
        if all_calls is not None and all_calls1 is not None:
            n = max(z.noop_steps - 1, 1)
            per = {k: (v - all_calls1.get(k, 0)) / n for k, v in all_calls.items()}
            sync = {k: v for k, v in per.items() if k in SYNC_CALLS and v > 0}
            self.res.figures.update({f"syscalls per step: {k}": v for k, v in per.items()})
            busiest = sorted(per.items(), key=lambda kv: -kv[1])[:8]
            self.res.findings.append(
                "system calls per no-op step (strace -f -c, marginal): "
                + ", ".join(f"{k} {v:.1f}" for k, v in busiest)
            )
            detail = ", ".join(f"{v:.2f} {k}" for k, v in sorted(sync.items())) or "none"
            self.res.rows.append(
                Row(
                    workload="sync system calls per no-op step",
                    runbook=f"{sum(sync.values()):.2f}",
                    # Context for the checkpoint row: which syscalls make a flush.
                    note=f"strace -f -c, ({z.noop_steps:,}-step run − 1-step run) / {n}: {detail}",
                )
            )

    def resume(self) -> None:
        z = self.cfg.sizes
        self.cfg.log(f"runbook: {z.resume_steps:,}-step run paused at a confirmation (peak RSS)")
        start = self.rb(
            "run", str(self.pairs["resume"].runbook), "--state", str(self.state),
            ok=(EXIT_WAITING,), fresh_state=True,
        )
        rss = peak_rss_mib(start)
        self.res.figures["peak rss MiB"] = rss
        self.res.rows.append(
            Row(
                workload=f"peak RSS, {z.resume_steps:,}-step run (CLI)",
                runbook=f"{rss:.1f} MiB",
                target="< 50 MB",
                met=rss * 1.048576 < 50,
                note="/usr/bin/time -v, Maximum resident set size, of `runbook run` over all steps",
            )
        )
        done = run_once(start)
        found = re.search(r"run (\S+) is waiting", done.stdout)
        if not found:
            raise MeasureError(f"no run id in the output of the paused run:\n{done.stdout[-1000:]}")
        run_id = found.group(1)
        resume = self.t_rb("resume", self.rb("resume", run_id, "--state", str(self.state), ok=(EXIT_WAITING,)))
        self.res.rows.append(
            Row(
                workload=f"resume after {z.resume_steps:,} succeeded steps (CLI)",
                runbook=seconds(resume),
                target="< 100 ms",
                met=resume < 0.1,
                note="whole `runbook resume` process to the next step (a confirm: exit 3), "
                "including start-up, store open, reading and parsing the file",
            )
        )

    def lint(self) -> None:
        z = self.cfg.sizes
        f = self.t_rb("lint file", self.rb("lint", str(self.pairs["lint_file"].runbook)))
        self.side_by_side(
            f"lint one {z.lint_file_steps:,}-step file",
            f,
            self.t_ans("lint file", lambda: self.ansible_lint(self.pairs["lint_file"].ansible)),
            100,
        )
        d = self.t_rb("lint dir", self.rb("lint", str(self.pairs["lint_dir"].runbook)))
        self.side_by_side(
            f"lint {z.lint_dir_files} files × {z.lint_dir_steps} steps",
            d,
            self.t_ans("lint dir", lambda: self.ansible_lint(self.pairs["lint_dir"].ansible)),
            100,
        )
        small = self.t_rb("lint small", self.rb("lint", str(self.pairs["lint_small"].runbook)))
        self.side_by_side(
            "start-up: lint a ~10-line file",
            small,
            self.t_ans("lint small", lambda: self.ansible_lint(self.pairs["lint_small"].ansible)),
            None,
        )
        version = self.t_rb("--version", self.rb("--version"), runs=max(self.cfg.runs, 20))
        ans_version = self.t_ans("--version", lambda: self.ansible("ansible", "--version"), runs=3)
        text, _ = speedup(version, ans_version)
        self.res.rows.append(
            Row(
                workload="start-up: `--version`",
                runbook=seconds(version),
                ansible=seconds(ans_version) if ans_version is not None else "not run",
                ratio=text,
                target="< 10 ms",
                met=version < 0.010,
            )
        )
        big = self.pairs["throughput"].runbook
        mb = big.stat().st_size / 1e6
        t = self.t_rb("lint throughput", self.rb("lint", str(big), pin=True))
        self.res.figures["lint MB/s cli"] = mb / t
        self.res.rows.append(
            Row(
                workload=f"lint throughput, one core (CLI, {mb:.1f} MB file)",
                runbook=f"{mb / t:.1f} MB/s",
                target="≥ 10 MB/s",
                met=mb / t >= 10,
                note="taskset -c 0 runbook lint FILE, whole process",
            )
        )

    def rust_benches(self) -> None:
        """Rows from the workspace's own benches (in process, no CLI start-up)."""
        if not self.cfg.cargo_benches:
            return
        self.cfg.log("cargo bench -p runbook-dsl --bench lint (taskset -c 0)")
        dsl = cargo_benches.dsl_lint(self.cfg.root)
        self._keep(dsl)
        mbs = dsl.figures.get("lint_mb_s")
        self.res.rows.append(
            Row(
                workload="lint throughput, one core (dsl bench, in process)",
                runbook=f"{mbs:.1f} MB/s" if mbs is not None else "not reported",
                target="≥ 10 MB/s",
                met=at_least(mbs, 10),
                note="dsl/benches/lint.rs: parse + check + lint of a 10,000-step file",
            )
        )
        self.cfg.log("cargo bench -p runbook-interpreter --bench checkpoints")
        it = self._interpreter_bench()
        fs = it.figures.get("fsync_s")
        stored = it.figures.get("step_stored_s")
        if fs and stored:
            self.res.rows.append(
                Row(
                    workload="no-op step, durable checkpoint (interpreter bench)",
                    runbook=f"{seconds(stored)} = {stored / fs:.2f} fsync",
                    target="≤ 2 fsync",
                    met=stored / fs <= 2,
                    note=f"interpreter/benches/checkpoints.rs, in process; its fsync: {seconds(fs)}; "
                    f"dry-run step {seconds(it.figures.get('step_dry_s'))}",
                )
            )
        r = it.figures.get("resume_s")
        parsed, parse = it.figures.get("resume_parsed_s"), it.figures.get("parse_10k_s")
        detail = []
        if parsed is not None:
            detail.append(f"{seconds(parsed)} of it from an already parsed file")
        if parse is not None:
            detail.append(f"parsing the 10,001-step file alone takes {seconds(parse)}")
        self.res.rows.append(
            Row(
                workload="resume after 10,000 steps (interpreter bench)",
                runbook=seconds(r) if r is not None else "not reported",
                target="< 100 ms",
                met=None if r is None else r < 0.1,
                note="in process; " + "; ".join(detail) if detail else "",
            )
        )
        rss = it.figures.get("peak_rss_mib")
        self.res.rows.append(
            Row(
                workload="peak RSS, 10,000-step run (interpreter bench)",
                runbook=f"{rss:.1f} MiB" if rss is not None else "not reported",
                target="< 50 MB",
                met=None if rss is None else rss * 1.048576 < 50,
            )
        )

    def _interpreter_bench(self) -> cargo_benches.BenchResult:
        it = cargo_benches.interpreter_checkpoints(self.cfg.root)
        self._keep(it)
        return it

    def _keep(self, r: cargo_benches.BenchResult) -> None:
        self.res.bench_output[r.name] = r.output
        if r.error:
            self.res.findings.append(f"`cargo bench {r.name}` did not finish: {r.error.strip()[:500]}")

    def all(self) -> Results:
        self.steps()
        pg_store.measure(self)  # after steps(): it compares with sled's figures
        self.resume()
        self.lint()
        self.rust_benches()
        return self.res
