#!/usr/bin/env python3
"""Random SIGKILL soak for `runbook` (not run in CI; see docs/reliability.md).

Each seeded iteration starts a run of a generated runbook whose steps append
"<step> <attempt>" to an fsynced witness file and sleep a little in `sh`,
kills the runner with SIGKILL at a random moment (often inside an `sh`
step), resumes it (killing some resumes too) until it succeeds, then rolls it
back, killing some rollbacks too. It checks:

  * every step ran, in order; a step a killed runner had finished never ran
    again (only the step running at a kill may repeat);
  * every undo ran, in reverse order, and a finished undo never ran again;
  * the run ends `succeeded`, then `rolled-back`;
  * no command a killed runner started survives it (each `sh` writes its pid);
  * no resume is refused: a checkpoint database sled cannot reopen after a
    kill is rebuilt from the commit log (counted and reported, not a
    violation), never left behind as "unreadable state".

    bench/soak.py [--iterations 200] [--seed 1] [--bin target/debug/runbook]

Exit status 1 if any violation was seen; every violation is printed with the
iteration's seed so it can be replayed with --seed N --iterations 1.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

STEPS = 6


def runbook_text():
    lines = ['runbook "Soak" {', '  id    "T-SOAK"', '  owner "bench"', "}", ""]
    for n in range(1, STEPS + 1):
        lines += [
            f'step s{n} "Step {n}" {{',
            f'  undo {{ sh "echo $$ >> pids; sleep 0.05; echo u{n} $ATTEMPT >> undone; sync undone" }}',
            f'  sh "echo $$ >> pids; sleep 0.0{n % 4 + 1}; echo s{n} $ATTEMPT >> witness; sync witness; sleep 0.02"',
            "}",
            "",
        ]
    return "\n".join(lines)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def read_pairs(path):
    try:
        with open(path) as f:
            return [tuple(l.split()) for l in f if l.strip()]
    except FileNotFoundError:
        return []


def check_sequence(pairs, order, killed_attempts, what):
    """`pairs` in file order; each attempt's steps must continue the sequence,
    repeating at most the last step of a killed attempt."""
    problems = []
    expected_next = 0
    last_attempt = None
    for step, attempt in pairs:
        if step not in order:
            problems.append(f"{what}: unknown line {step}")
            continue
        i = order.index(step)
        if i == expected_next:
            expected_next += 1
        elif i == expected_next - 1 and attempt != last_attempt and last_attempt in killed_attempts:
            pass  # the step the killed attempt was in, run again
        else:
            problems.append(f"{what}: {step} (attempt {attempt}) out of place in {pairs}")
        last_attempt = attempt
    if expected_next != len(order):
        problems.append(f"{what}: only {order[:expected_next]} ran: {pairs}")
    return problems


def orphans(ws):
    try:
        with open(os.path.join(ws, "pids")) as f:
            pids = [int(l) for l in f if l.strip().isdigit()]
    except FileNotFoundError:
        return []
    deadline = time.time() + 10
    while time.time() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


# What the store prints when it repairs state after a kill (not violations:
# the commit log is there for exactly this).
RECOVERY_MARKS = {
    "database rebuilt from the commit log": "rebuilt it from the commit log",
    "torn commit-log tail cut": "a write cut short by a crash",
    "commit log rewritten from the database": "the log was rewritten from the database",
}
RECOVERIES = {name: 0 for name in RECOVERY_MARKS}
KILLS = [0]


RECOVERY_REASONS = {}


def count_recoveries(text):
    for name, mark in RECOVERY_MARKS.items():
        RECOVERIES[name] += text.count(mark)
    for line in text.splitlines():
        if any(mark in line for mark in RECOVERY_MARKS.values()):
            # "warning: run ID: the checkpoint database cannot be opened (WHY); ..."
            reason = line.split(": ", 2)[-1].split(";")[0]
            RECOVERY_REASONS[reason] = RECOVERY_REASONS.get(reason, 0) + 1


def invoke(binary, ws, args, attempt, kill_after):
    env = dict(os.environ, RUNBOOK_STATE=os.path.join(ws, "state"), ATTEMPT=str(attempt), NO_COLOR="1")
    out = open(os.path.join(ws, f"attempt{attempt}.out"), "w")
    proc = subprocess.Popen([binary] + args, cwd=ws, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    killed = False
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            killed = True
            KILLS[0] += 1
    code = proc.wait(timeout=120)
    out.close()
    with open(os.path.join(ws, f"attempt{attempt}.out")) as f:
        text = f.read()
    count_recoveries(text)
    return (None if killed else code), text


def iteration(binary, seed):
    rng = random.Random(seed)
    problems = []
    with tempfile.TemporaryDirectory(prefix="runbook-soak-") as ws:
        with open(os.path.join(ws, "soak.runbook"), "w") as f:
            f.write(runbook_text())
        attempt = 0
        killed = set()
        run_id = None
        # Run, then resume until it succeeds; the first attempt is always killed.
        while True:
            attempt += 1
            if attempt > 30:
                return problems + [f"seed {seed}: the run never finished"]
            kill = rng.uniform(0.01, 0.6) if attempt == 1 or rng.random() < 0.6 else None
            args = ["run", "soak.runbook"] if run_id is None else ["resume", run_id]
            code, text = invoke(binary, ws, args, attempt, kill)
            if run_id is None:
                for line in text.splitlines():
                    if line.startswith("run ") and " started" in line:
                        run_id = line.split()[1]
                if run_id is None:
                    if code is None:
                        continue  # killed before the run existed: start again
                    return problems + [f"seed {seed}: no run id: {text}"]
            if code is None:
                killed.add(str(attempt))
                problems += [f"seed {seed}: orphan pid {p} after a kill" for p in orphans(ws)]
                continue
            if code != 0:
                return problems + [f"seed {seed}: attempt {attempt} exited {code}: {text}"]
            break
        order = [f"s{n}" for n in range(1, STEPS + 1)]
        problems += [f"seed {seed}: {p}" for p in check_sequence(read_pairs(os.path.join(ws, "witness")), order, killed, "steps")]
        # Roll back, killing some attempts.
        while True:
            attempt += 1
            if attempt > 60:
                return problems + [f"seed {seed}: the rollback never finished"]
            kill = rng.uniform(0.01, 0.5) if rng.random() < 0.5 else None
            code, text = invoke(binary, ws, ["rollback", run_id], attempt, kill)
            if code is None:
                killed.add(str(attempt))
                problems += [f"seed {seed}: orphan pid {p} after a kill during rollback" for p in orphans(ws)]
                continue
            if code != 0:
                return problems + [f"seed {seed}: rollback exited {code}: {text}"]
            break
        undo_order = [f"u{n}" for n in range(STEPS, 0, -1)]
        problems += [f"seed {seed}: {p}" for p in check_sequence(read_pairs(os.path.join(ws, "undone")), undo_order, killed, "undos")]
        env = dict(os.environ, RUNBOOK_STATE=os.path.join(ws, "state"), NO_COLOR="1")
        status = subprocess.run([binary, "status", run_id, "--json"], cwd=ws, env=env, capture_output=True, text=True)
        try:
            final = json.loads(status.stdout).get("status")
        except json.JSONDecodeError:
            final = f"unreadable: {status.stdout}{status.stderr}"
        if final != "rolled-back":
            problems.append(f"seed {seed}: final status {final}")
    return problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "debug", "runbook"))
    a = p.parse_args()
    binary = os.path.abspath(a.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no runbook binary at {binary}: cargo build first, or pass --bin")
    violations = []
    started = time.time()
    for i in range(a.iterations):
        seed = a.seed + i
        found = iteration(binary, seed)
        violations += found
        mark = "FAIL" if found else "ok"
        print(f"[{i + 1}/{a.iterations}] seed {seed}: {mark}", flush=True)
        for v in found:
            print(f"    {v}", flush=True)
    print(f"{a.iterations} iterations in {time.time() - started:.0f}s, {len(violations)} violations")
    print(f"{KILLS[0]} kills; recoveries: " + ", ".join(f"{n} {name}" for name, n in RECOVERIES.items()))
    for reason, n in sorted(RECOVERY_REASONS.items(), key=lambda kv: -kv[1]):
        print(f"    {n}x {reason}")
    sys.exit(1 if violations else 0)


if __name__ == "__main__":
    main()
