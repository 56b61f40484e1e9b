"""Per-step overhead of the PostgreSQL state store, next to sled's.

The same no-op workloads as the sled rows (`noop`, `noop1`), run with
`--state postgres://…`: the marginal cost of a step is
(T(n steps) − T(1 step)) / (n − 1), start-up and connection excluded, and the
store's share is that minus the same step as a dry run (which stores
nothing). Needs the sled figures of `Suite.steps()`.
"""

from __future__ import annotations

import shutil
import subprocess
import time

from .measure import Command, MeasureError, run_once
from .pg_server import PgServer, Unavailable
from .report import Row, seconds

WORKLOAD = "no-op step, durable checkpoint, PostgreSQL store (CLI)"


def measure(suite) -> None:
    """Add the PostgreSQL row (or a row saying why it was not measured)."""
    cfg, res = suite.cfg, suite.res
    try:
        with PgServer(cfg.log) as pg:
            cfg.log(f"PostgreSQL store: {pg.description}")
            per_step = _per_step(suite, pg.url)
            counts = _server_work_per_step(suite, pg.url)
            description = pg.description
    except Unavailable as e:
        cfg.log(f"PostgreSQL store: SKIPPED: {e}")
        res.rows.append(Row(WORKLOAD, "not measured", note=f"skipped: {e}"))
        res.findings.append(f"PostgreSQL store not measured: {e}")
        return

    sled = res.figures.get("step stored")
    dry = res.figures.get("step dry")
    fsync = res.figures.get("fsync")
    res.figures["step stored postgres"] = per_step
    n = cfg.sizes.noop_steps
    parts = [f"marginal per step of the {n:,}-step run against {description}"]
    if sled:
        ratio = f" (PostgreSQL/sled = {per_step / sled:.2f})" if per_step > 0 and sled > 0 else ""
        parts.append(f"sled on the same steps: {seconds(sled)}{ratio}")
    if dry is not None:
        parts.append(f"the store's share (minus the dry run's {seconds(dry)}): {seconds(per_step - dry)}")
        if sled:
            parts.append(f"sled's share: {seconds(sled - dry)}")
    cell = seconds(per_step)
    if fsync:
        cell += f" = {per_step / fsync:.2f} fsync"
    res.rows.append(Row(WORKLOAD, cell, note="; ".join(parts)))
    if counts is not None:
        fdatasync = res.figures.get("syscalls per step: fdatasync")
        sled_syncs = f" (sled: {fdatasync:.2f} fdatasync per step)" if fdatasync is not None else ""
        res.figures.update({f"postgres {k} per step": v for k, v in counts.items()})
        res.rows.append(
            Row(
                "PostgreSQL store: server work per no-op step",
                f"{counts['WAL syncs']:.2f} WAL syncs",
                note=f"pg_stat_wal.wal_sync, ({n:,}-step run − 1-step run) / {max(n - 1, 1)}{sled_syncs}; "
                f"{counts['WAL records']:.1f} WAL records per step",
            )
        )
    res.findings.append(
        "per-step overhead by state store: "
        + f"PostgreSQL {seconds(per_step)}"
        + (f", sled {seconds(sled)}" if sled else "")
    )


def _per_step(suite, url: str) -> float:
    z = suite.cfg.sizes

    def run(name: str) -> Command:
        return suite.rb("run", str(suite.pairs[name].runbook), "--yes", "--state", url)

    # The warm-up run also creates the schema (the first command migrates it).
    many = suite.t_rb("noop postgres", run("noop"))
    one = suite.t_rb("noop1 postgres", run("noop1"))
    if many <= 0 or one <= 0:
        raise MeasureError("PostgreSQL store: a run took no time")
    return (many - one) / max(z.noop_steps - 1, 1)


# Not xact_commit: these very queries would count in it.
STATS_SQL = "SELECT wal_sync, wal_records FROM pg_stat_wal"
RUNNERS_SQL = "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'runbook%'"


def _psql(url: str, sql: str) -> list[int]:
    done = subprocess.run(["psql", url, "-XAtc", sql], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise MeasureError(f"psql: {done.stderr.strip()}")
    return [int(v) for v in done.stdout.strip().split("|")]


def _stats_after_run(url: str) -> list[int]:
    """The server's counters once the runner's backends are gone and have
    reported (a backend reports its counters as it exits)."""
    deadline = time.monotonic() + 30
    last: list[int] | None = None
    while time.monotonic() < deadline:
        if _psql(url, RUNNERS_SQL)[0] == 0:
            now = _psql(url, STATS_SQL)
            if now == last:
                return now
            last = now
        time.sleep(0.1)
    raise MeasureError("the runner's PostgreSQL backends did not go away within 30 s")


def _server_work_per_step(suite, url: str) -> dict[str, float] | None:
    """WAL syncs and WAL records per step (marginal), from the server's
    statistics (PostgreSQL 14+), or None without `psql`."""
    if not shutil.which("psql"):
        suite.cfg.log("PostgreSQL store: server statistics skipped (no psql)")
        return None

    def delta(name: str) -> list[int]:
        before = _stats_after_run(url)
        run_once(suite.rb("run", str(suite.pairs[name].runbook), "--yes", "--state", url))
        after = _stats_after_run(url)
        return [a - b for a, b in zip(after, before)]

    try:
        many, one = delta("noop"), delta("noop1")
    except MeasureError as e:
        # E.g. a server before 14 (no pg_stat_wal): the timing row stands alone.
        suite.cfg.log(f"PostgreSQL store: server statistics skipped: {e}")
        return None
    n = max(suite.cfg.sizes.noop_steps - 1, 1)
    per = [(m - o) / n for m, o in zip(many, one)]
    return {"WAL syncs": per[0], "WAL records": per[1]}
