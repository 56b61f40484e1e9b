"""The results table: workload | runbook | ansible | ratio | target | met?"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    """One line of the table. `met` is None where a row has no target or a side is missing."""

    workload: str
    runbook: str
    ansible: str = "—"
    ratio: str = "—"
    target: str = "—"
    met: bool | None = None
    note: str = ""


def seconds(s: float | None) -> str:
    """A duration in the unit that reads best."""
    if s is None:
        return "n/a"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def speedup(runbook_s: float | None, ansible_s: float | None) -> tuple[str, float | None]:
    """How many times faster runbook is, as text and as a number."""
    if runbook_s is None or ansible_s is None or runbook_s <= 0:
        return "—", None
    r = ansible_s / runbook_s
    return f"{r:.0f}x" if r >= 10 else f"{r:.1f}x", r


def at_least(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


def at_most(value: float | None, target: float) -> bool | None:
    return None if value is None else value <= target


def met_text(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "—"}[met]


def markdown(rows: list[Row]) -> str:
    """The table as Markdown (also readable as plain text), notes as footnotes."""
    head = ["workload", "runbook", "ansible", "ratio", "target", "met?"]
    body = []
    notes = []
    for r in rows:
        name = r.workload
        if r.note:
            notes.append(r.note)
            name += f" [{len(notes)}]"
        body.append([name, r.runbook, r.ansible, r.ratio, r.target, met_text(r.met)])
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    out = [line(head), "| " + " | ".join("-" * w for w in widths) + " |"]
    out += [line(b) for b in body]
    out.append("")
    out += [f"[{i}] {n}" for i, n in enumerate(notes, 1)]
    return "\n".join(out) + "\n"
