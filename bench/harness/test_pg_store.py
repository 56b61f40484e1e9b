"""Unit tests of the PostgreSQL store rows: a machine without PostgreSQL gets
a row saying why, and the figures sit next to sled's."""

from __future__ import annotations

import unittest
from types import SimpleNamespace
from unittest import mock

from . import pg_server, pg_store
from .suite import Results


def fake_suite(figures: dict[str, float]) -> SimpleNamespace:
    res = Results()
    res.figures.update(figures)
    logged: list[str] = []
    cfg = SimpleNamespace(log=logged.append, sizes=SimpleNamespace(noop_steps=101))
    return SimpleNamespace(cfg=cfg, res=res, logged=logged)


class PgStoreRows(unittest.TestCase):
    def test_without_postgresql_the_row_says_why_it_was_skipped(self) -> None:
        suite = fake_suite({"step stored": 1e-3})
        with mock.patch.dict("os.environ", {pg_server.URL_ENV: ""}), mock.patch.object(
            pg_server, "find_binaries", return_value=None
        ):
            pg_store.measure(suite)
        row = suite.res.rows[-1]
        self.assertEqual(row.runbook, "not measured")
        self.assertIn("no PostgreSQL server binaries", row.note)
        self.assertTrue(any("SKIPPED" in line for line in suite.logged))

    def test_the_postgresql_figure_is_shown_next_to_sleds(self) -> None:
        suite = fake_suite(
            {"step stored": 2e-3, "step dry": 1e-4, "fsync": 1e-3, "syscalls per step: fdatasync": 1.0}
        )
        with mock.patch.dict("os.environ", {pg_server.URL_ENV: "postgres://u@h/db"}), mock.patch.object(
            pg_store, "_per_step", return_value=3e-3
        ), mock.patch.object(
            pg_store, "_server_work_per_step", return_value={"WAL syncs": 1.0, "WAL records": 14.0}
        ):
            pg_store.measure(suite)
        step, wal = suite.res.rows[-2:]
        self.assertEqual(step.runbook, "3.0 ms = 3.00 fsync")
        self.assertIn("sled on the same steps: 2.0 ms (PostgreSQL/sled = 1.50)", step.note)
        self.assertIn("the store's share (minus the dry run's 100 µs): 2.9 ms", step.note)
        self.assertEqual(suite.res.figures["step stored postgres"], 3e-3)
        self.assertEqual(wal.runbook, "1.00 WAL syncs")
        self.assertIn("(sled: 1.00 fdatasync per step)", wal.note)

    def test_negative_smoke_figures_get_no_ratio(self) -> None:
        suite = fake_suite({"step stored": -1e-4})
        with mock.patch.dict("os.environ", {pg_server.URL_ENV: "postgres://u@h/db"}), mock.patch.object(
            pg_store, "_per_step", return_value=-2e-3
        ), mock.patch.object(pg_store, "_server_work_per_step", return_value=None):
            pg_store.measure(suite)
        self.assertNotIn("PostgreSQL/sled", suite.res.rows[-1].note)


if __name__ == "__main__":
    unittest.main()
