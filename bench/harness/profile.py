"""Instruction-count profiles of the hot paths with callgrind.

Wall time on this shared, loaded machine moves by tens of percent between
runs; instruction counts do not. Each hot path is profiled at two sizes so
the fixed cost (process start, runtime, store open) cancels out:
instructions per step = (Ir(N steps) − Ir(1 step)) / (N − 1).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .measure import Command, check_exit

OWN = re.compile(r"^(runbook|<runbook)|sled::|serde_json::de::from|rhai::parser::.*parse_global_expr")
ROW = re.compile(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.+?)\s*$")


@dataclass
class Profile:
    """Total instructions of one run and its costliest functions."""

    name: str
    total_ir: int
    self_top: list[tuple[float, str]] = field(default_factory=list)
    inclusive_top: list[tuple[float, str]] = field(default_factory=list)


def available() -> bool:
    return shutil.which("valgrind") is not None and shutil.which("callgrind_annotate") is not None


def _annotate(out: Path, inclusive: bool, n: int) -> list[tuple[float, str]]:
    done = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", str(out)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        return [(0.0, f"callgrind_annotate failed: {done.stderr.strip()[:200]}")]
    top: list[tuple[float, str]] = []
    for line in done.stdout.splitlines():
        m = ROW.match(line)
        if not m or "PROGRAM TOTALS" in m.group(3):
            continue
        name = _short(m.group(3))
        # Inclusive costs: only the project's own frames and the libraries
        # its hot paths live in; runtime frames (main, thread starts, tokio
        # polls) are ~100% everywhere and say nothing.
        if inclusive and (not OWN.search(name) or name in (t[1] for t in top) or "{{closure}}" in name):
            continue
        top.append((float(m.group(2)), name))
        if len(top) >= n:
            break
    if not top:
        return [(0.0, f"callgrind_annotate printed no functions for {out.name}")]
    return top


def _short(symbol: str) -> str:
    # "file:function [object]" → "function", without hash suffixes.
    symbol = re.sub(r"\s*\[[^\]]*\]$", "", symbol)
    if ":" in symbol and not symbol.startswith("<"):
        head, _, tail = symbol.partition(":")
        if "/" in head or head.endswith(".rs") or head == "???":
            symbol = tail
    symbol = re.sub(r"::h[0-9a-f]{16}$", "", symbol)
    return symbol if len(symbol) <= 110 else symbol[:107] + "..."


def run(name: str, cmd: Command, out_dir: Path, top: int = 12) -> Profile:
    """Run `cmd` under callgrind; keep the raw profile as out_dir/NAME.callgrind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{name}.callgrind"
    if cmd.prepare:
        subprocess.run(cmd.prepare, check=True, cwd=cmd.cwd)
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--fair-sched=yes", f"--callgrind-out-file={out}", *cmd.argv],
        stdin=subprocess.DEVNULL, cwd=cmd.cwd, capture_output=True, text=True, check=False,
    )
    check_exit(cmd, done.returncode, done.stdout + done.stderr)
    total = 0
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            total = int(line.split()[1])
    return Profile(name, total, _annotate(out, False, top), _annotate(out, True, top))


def render(p: Profile) -> str:
    lines = [f"{p.name}: {p.total_ir:,} instructions", "  self cost:"]
    lines += [f"    {pct:5.1f}%  {fn}" for pct, fn in p.self_top]
    lines.append("  inclusive:")
    lines += [f"    {pct:5.1f}%  {fn}" for pct, fn in p.inclusive_top]
    return "\n".join(lines)
