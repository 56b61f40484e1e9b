"""A PostgreSQL server for the benchmark's state-store workloads.

`RUNBOOK_BENCH_DATABASE_URL` names an existing database to use as is.
Otherwise a throwaway server is started from the local binaries, the way the
tests' pg-harness does (`initdb` + `postgres` on a free loopback port in a
temp dir, as `nobody` when running as root), and stopped at the end. Unlike
the tests' server it keeps PostgreSQL's durable defaults (`fsync`,
`synchronous_commit`, `full_page_writes` on): a commit costs a WAL flush, as
on a real server, so its per-step figure compares fairly with sled's fsyncs.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

URL_ENV = "RUNBOOK_BENCH_DATABASE_URL"
USER = "runbook"
READY_DEADLINE_S = 60


class Unavailable(RuntimeError):
    """No server can be had here (the reason is the message)."""


@dataclass
class Binaries:
    initdb: Path
    postgres: Path
    version: str


def find_binaries() -> Binaries | None:
    """initdb and postgres: on PATH, in `pg_config --bindir`, or in /usr/lib/postgresql/*/bin."""
    dirs: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        dirs.append(Path(on_path).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            dirs.append(Path(done.stdout.strip()))
    dirs += [Path(d) for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for d in dirs:
        initdb, postgres = d / "initdb", d / "postgres"
        if initdb.exists() and postgres.exists():
            done = subprocess.run([str(postgres), "--version"], capture_output=True, text=True, check=False)
            return Binaries(initdb, postgres, done.stdout.strip() or "postgres (version unknown)")
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """Context manager: `with PgServer(log) as pg: pg.url` (a database of its own)."""

    def __init__(self, log) -> None:
        self.log = log
        self.url = ""
        self.description = ""
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "PgServer":
        external = os.environ.get(URL_ENV, "").strip()
        if external:
            self.url = external
            self.description = f"the server named by {URL_ENV}"
            return self
        bins = find_binaries()
        if bins is None:
            raise Unavailable(
                "no PostgreSQL server binaries (initdb, postgres) found; install postgresql "
                f"or set {URL_ENV}"
            )
        try:
            self._start(bins)
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _start(self, bins: Binaries) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="runbook-bench-pg-"))
        run_as: dict[str, object] = {}
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            nobody = pwd.getpwnam("nobody")
            os.chown(self._dir, nobody.pw_uid, nobody.pw_gid)
            run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        password = secrets.token_hex(12)
        pwfile = self._dir / "password"
        pwfile.write_text(password)
        if run_as:
            os.chown(pwfile, int(run_as["user"]), int(run_as["group"]))  # type: ignore[arg-type]
        data = self._dir / "data"
        self.log(f"PostgreSQL: initdb in {self._dir} ({bins.version})")
        done = subprocess.run(
            [str(bins.initdb), "-D", str(data), "-U", USER, "--auth-local=trust",
             "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C",
             "--no-instructions"],
            cwd=self._dir, capture_output=True, text=True, check=False, **run_as,  # type: ignore[arg-type]
        )
        if done.returncode != 0:
            raise Unavailable(f"initdb failed: {(done.stdout + done.stderr).strip()[-800:]}")
        port = _free_port()
        log_path = self._dir / "postgres.log"
        with open(log_path, "wb") as log_file:
            self._proc = subprocess.Popen(
                [str(bins.postgres), "-D", str(data), "-p", str(port), "-k", str(self._dir),
                 "-c", "listen_addresses=127.0.0.1"],
                cwd=self._dir, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True, **run_as,  # type: ignore[arg-type]
            )
        self.url = (
            f"postgres://{USER}:{urllib.parse.quote(password, safe='')}@127.0.0.1:{port}/postgres"
            "?sslmode=disable"
        )
        self._wait_ready(port, log_path)
        self.description = (
            f"a throwaway local {bins.version} over TCP on 127.0.0.1, durable defaults "
            "(fsync, synchronous_commit on)"
        )

    def _wait_ready(self, port: int, log_path: Path) -> None:
        deadline = time.monotonic() + READY_DEADLINE_S
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise Unavailable(f"postgres exited ({self._proc.returncode}): {log_path.read_text()[-800:]}")
            if "database system is ready to accept connections" in log_path.read_text(errors="replace"):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise Unavailable(f"postgres did not accept connections within {READY_DEADLINE_S} s")

    def _stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            # SIGINT: PostgreSQL's fast shutdown.
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
