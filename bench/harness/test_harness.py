"""Unit tests of the benchmark harness: generators and output parsers.

    python3 -m unittest discover -s bench/harness -t bench   (bench/run --smoke runs them too)
"""

from __future__ import annotations

import re
import tempfile
import unittest
from pathlib import Path

from . import workloads
from .cargo_benches import BenchResult, parse_dsl_lint, parse_interpreter
import sys

from .measure import Command, MeasureError, peak_rss_mib_getrusage, parse_strace_summary
from .report import Row, markdown, speedup

STRACE = """\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 85.95    0.809028         334      2417       134 futex
  0.63    0.005940          58       102           sync_file_range
  0.41    0.003836          37       103           fdatasync
------ ----------- ----------- --------- --------- ----------------
100.00    0.941264         230      4085       288 total
"""

INTERPRETER_OLD = """\
fsync (128 B write + fdatasync) on this disk:   812.5 µs
per step, 1,000 no-op steps, checkpointed:     1404.2 µs
per step, same steps, dry run (no store):      27.0 µs
resume of 10,000 succeeded steps to the next:  95.3 ms (incl. reading and parsing the file)
peak RSS of the 10,000-step run:               41.0 MiB (process baseline before it 5.0 MiB)
"""

INTERPRETER_NEW = """\
fdatasync of a 128 B write on this disk:        in place 3859.9 µs / appending 3856.9 µs (before the runs: 4700.7 µs / 4294.1 µs)
per step, 1,000 no-op steps, checkpointed:     3956.9 µs
per step, same steps, dry run (no store):      27.2 µs
  parse of its 10,001-step file:                143.7 ms
resume of 10,000 succeeded steps to the next:  422.1 ms incl. reading and parsing the file, 243.8 ms from a parsed file
peak RSS of the 10,000-step run:               63.5 MiB (before it 5.4 MiB; after parsing its file 24.3 MiB)
"""


class Workloads(unittest.TestCase):
    def test_both_tools_get_the_same_number_of_steps(self) -> None:
        sizes = workloads.Sizes.smoke()
        with tempfile.TemporaryDirectory() as tmp:
            pairs = workloads.write_all(Path(tmp) / "out", sizes)
            for name, steps in [("noop", sizes.noop_steps), ("shell", sizes.shell_steps)]:
                rb = pairs[name].runbook.read_text()
                play = pairs[name].ansible.read_text()  # type: ignore[union-attr]
                self.assertEqual(len(re.findall(r"^step ", rb, re.M)), steps, name)
                self.assertEqual(len(re.findall(r"^    - name: ", play, re.M)), steps, name)
            asserts = pairs["assertions"].runbook.read_text()
            self.assertEqual(asserts.count("\n  assert "), sizes.assertions)
            self.assertEqual(
                pairs["assertions"].ansible.read_text().count("ansible.builtin.assert"),  # type: ignore[union-attr]
                sizes.assertions,
            )
            self.assertEqual(len(list(pairs["lint_dir"].runbook.glob("*.runbook"))), sizes.lint_dir_files)
            self.assertEqual(len(list(pairs["lint_dir"].ansible.glob("*.yml"))), sizes.lint_dir_files)  # type: ignore[union-attr]

    def test_the_resume_runbook_stops_at_a_confirmation_after_its_steps(self) -> None:
        text = workloads.resume_runbook(5)
        self.assertEqual(len(re.findall(r"^step ", text, re.M)), 6)
        self.assertTrue(text.rstrip().endswith('confirm "Go on?"\n}'))

    def test_lint_steps_are_three_ansible_tasks_each(self) -> None:
        play = workloads.lint_playbook(4)
        self.assertEqual(len(re.findall(r"^    - name: ", play, re.M)), 12)


class Parsers(unittest.TestCase):
    def test_strace_summary_with_and_without_an_errors_column(self) -> None:
        counts = parse_strace_summary(STRACE)
        self.assertEqual(counts, {"futex": 2417, "sync_file_range": 102, "fdatasync": 103})

    def test_interpreter_bench_output_in_both_wordings(self) -> None:
        old = parse_interpreter(BenchResult("x", output=INTERPRETER_OLD)).figures
        self.assertAlmostEqual(old["fsync_s"], 812.5e-6)
        self.assertAlmostEqual(old["step_stored_s"], 1404.2e-6)
        self.assertAlmostEqual(old["resume_s"], 0.0953)
        self.assertAlmostEqual(old["peak_rss_mib"], 41.0)
        self.assertNotIn("resume_parsed_s", old)
        new = parse_interpreter(BenchResult("x", output=INTERPRETER_NEW)).figures
        self.assertAlmostEqual(new["fsync_s"], 3859.9e-6)
        self.assertAlmostEqual(new["resume_s"], 0.4221)
        self.assertAlmostEqual(new["resume_parsed_s"], 0.2438)
        self.assertAlmostEqual(new["parse_10k_s"], 0.1437)

    def test_a_figure_the_bench_no_longer_prints_is_missing_not_guessed(self) -> None:
        r = parse_dsl_lint(BenchResult("x", output="10,000-step runbook: 4.64 MB\n"))
        self.assertNotIn("lint_mb_s", r.figures)
        r = parse_dsl_lint(BenchResult("x", output="  one core: 2.5 MB/s (1866 ms per pass)\n"))
        self.assertAlmostEqual(r.figures["lint_mb_s"], 2.5)


class PeakRss(unittest.TestCase):
    def test_the_getrusage_fallback_sees_a_child_that_holds_40_mib(self) -> None:
        hold = Command([sys.executable, "-c", "b = bytearray(40 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"])
        self.assertGreaterEqual(peak_rss_mib_getrusage(hold), 40)

    def test_an_unexpected_exit_code_is_an_error(self) -> None:
        with self.assertRaises(MeasureError):
            peak_rss_mib_getrusage(Command([sys.executable, "-c", "raise SystemExit(3)"]))


class Table(unittest.TestCase):
    def test_ratio_is_how_many_times_faster_runbook_is(self) -> None:
        self.assertEqual(speedup(0.5, 50.0), ("100x", 100.0))
        self.assertEqual(speedup(1.0, 2.5), ("2.5x", 2.5))
        self.assertEqual(speedup(1.0, None), ("—", None))

    def test_notes_are_numbered_and_unmet_targets_stand_out(self) -> None:
        text = markdown([
            Row("a", "1 ms", target="< 10 ms", met=True, note="first"),
            Row("b", "2 s", target="< 1 s", met=False),
            Row("c", "3", note="second"),
        ])
        lines = text.splitlines()
        self.assertIn("a [1]", lines[2])
        self.assertTrue(lines[2].rstrip().endswith("| yes  |"))
        self.assertIn("| NO ", lines[3])
        self.assertIn("c [2]", lines[4])
        self.assertIn("[1] first", text)
        self.assertIn("[2] second", text)


if __name__ == "__main__":
    unittest.main()
