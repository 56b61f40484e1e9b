"""Equivalent workloads for `runbook` and Ansible, written as files.

Every workload exists twice: a `.runbook` file and an Ansible playbook that
does the same work on localhost (`-i localhost, -c local`). Sizes are
parameters so the CI smoke run can use tiny ones.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

HEADER = 'runbook "{title}" {{\n  id    "RB-BENCH"\n  owner "bench"\n}}\n'


@dataclass(frozen=True)
class Sizes:
    """How big each generated workload is."""

    noop_steps: int = 1_000
    assertions: int = 1_000
    shell_steps: int = 100
    lint_file_steps: int = 1_000
    lint_dir_files: int = 100
    lint_dir_steps: int = 10
    throughput_steps: int = 20_000
    resume_steps: int = 10_000

    @staticmethod
    def smoke() -> "Sizes":
        return Sizes(
            noop_steps=10,
            assertions=10,
            shell_steps=3,
            lint_file_steps=10,
            lint_dir_files=3,
            lint_dir_steps=2,
            throughput_steps=50,
            resume_steps=20,
        )


@dataclass(frozen=True)
class Pair:
    """One workload for both tools (either side may be absent)."""

    runbook: Path
    ansible: Path | None


def _play(tasks: list[str]) -> str:
    # `gather_facts: false`: fact gathering is a fixed cost unrelated to steps,
    # and runbook has no equivalent.
    return (
        "- name: bench\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
        + "".join(tasks)
    )


def noop_runbook(steps: int, title: str = "no-op steps") -> str:
    out = [HEADER.format(title=title)]
    for i in range(steps):
        out.append(f'\nstep s{i} "no-op {i}" {{\n  run 1\n}}\n')
    return "".join(out)


def noop_playbook(steps: int) -> str:
    return _play(
        [
            f'    - name: no-op {i}\n      ansible.builtin.debug:\n        msg: "{i}"\n'
            for i in range(steps)
        ]
    )


def assertions_runbook(count: int) -> str:
    # One step holding every assertion: the figure is the cost of an
    # assertion, as with Ansible's assert tasks in one play.
    out = [HEADER.format(title="assertions"), '\nstep checks "1,000 assertions" {\n']
    for i in range(count):
        out.append(f'  assert {i} + 1 == {i + 1} else "arithmetic broke at {i}"\n')
    out.append("}\n")
    return "".join(out)


def assertions_playbook(count: int) -> str:
    return _play(
        [
            f"    - name: assert {i}\n      ansible.builtin.assert:\n"
            f'        that: "{i} + 1 == {i + 1}"\n'
            f'        fail_msg: "arithmetic broke at {i}"\n        quiet: true\n'
            for i in range(count)
        ]
    )


def shell_runbook(steps: int) -> str:
    out = [HEADER.format(title="shell steps")]
    for i in range(steps):
        out.append(f'\nstep sh{i} "shell {i}" {{\n  sh "true"\n}}\n')
    return "".join(out)


def shell_playbook(steps: int) -> str:
    return _play(
        [
            f"    - name: shell {i}\n      ansible.builtin.command: /bin/true\n"
            "      changed_when: false\n"
            for i in range(steps)
        ]
    )


def lint_runbook(steps: int, title: str = "lint") -> str:
    """A clean runbook of realistic steps (a check, a note, an assertion)."""
    out = [
        HEADER.format(title=title),
        '\nparam service: string = "flowengine"\nparam replicas: int = 5\n',
    ]
    for i in range(steps):
        out.append(
            f'\nstep check-{i} "Check part {i} of the service" timeout 1m {{\n'
            f"  let wanted_{i} = replicas + {i % 7}\n"
            f"  note `checking ${{service}} part {i}: ${{wanted_{i}}} wanted`\n"
            f'  assert wanted_{i} >= replicas else "part {i} is under-provisioned"\n'
            "}\n"
        )
    return "".join(out)


def lint_playbook(steps: int) -> str:
    """The same steps as Ansible tasks (set_fact, debug, assert)."""
    tasks = []
    for i in range(steps):
        tasks.append(
            f"    - name: Check part {i} of the service (wanted)\n"
            "      ansible.builtin.set_fact:\n"
            f'        wanted_{i}: "{{{{ replicas | int + {i % 7} }}}}"\n'
            f"    - name: Check part {i} of the service (note)\n"
            "      ansible.builtin.debug:\n"
            f'        msg: "checking {{{{ service }}}} part {i}: {{{{ wanted_{i} }}}} wanted"\n'
            f"    - name: Check part {i} of the service (assert)\n"
            "      ansible.builtin.assert:\n"
            f'        that: "wanted_{i} | int >= replicas | int"\n'
            f'        fail_msg: "part {i} is under-provisioned"\n'
        )
    return (
        "---\n- name: Lint\n  hosts: localhost\n  gather_facts: false\n"
        '  vars:\n    service: flowengine\n    replicas: 5\n  tasks:\n' + "".join(tasks)
    )


def resume_runbook(steps: int) -> str:
    """`steps` no-op steps, then one that waits on a confirmation.

    Run without `--yes` and without a terminal, the run pauses at the last
    step (exit 3); `resume` restores the succeeded steps and reaches the
    confirmation again, so its wall time is the time to the next step.
    """
    out = [noop_runbook(steps, "resume")]
    out.append('\nstep gate "Wait for the operator" {\n  confirm "Go on?"\n}\n')
    return "".join(out)


def write_all(out: Path, sizes: Sizes) -> dict[str, Pair]:
    """Write every workload under `out` (emptied first); return them by name."""
    if out.exists():
        shutil.rmtree(out)
    rb, ans = out / "runbook", out / "ansible"
    rb.mkdir(parents=True)
    ans.mkdir(parents=True)

    def pair(name: str, rb_text: str, ans_text: str | None, ext: str = "yml") -> Pair:
        rb_path = rb / f"{name}.runbook"
        rb_path.write_text(rb_text)
        ans_path = None
        if ans_text is not None:
            ans_path = ans / f"{name}.{ext}"
            ans_path.write_text(ans_text)
        return Pair(rb_path, ans_path)

    pairs = {
        "noop": pair("noop", noop_runbook(sizes.noop_steps), noop_playbook(sizes.noop_steps)),
        "noop1": pair("noop1", noop_runbook(1), noop_playbook(1)),
        "assertions": pair(
            "assertions", assertions_runbook(sizes.assertions), assertions_playbook(sizes.assertions)
        ),
        "shell": pair("shell", shell_runbook(sizes.shell_steps), shell_playbook(sizes.shell_steps)),
        "shell1": pair("shell1", shell_runbook(1), shell_playbook(1)),
        "lint_file": pair(
            "lint_file", lint_runbook(sizes.lint_file_steps), lint_playbook(sizes.lint_file_steps)
        ),
        # About ten lines each: the start-up of lint.
        "lint_small": pair("lint_small", lint_runbook(1), lint_playbook(1)),
        "throughput": pair("throughput", lint_runbook(sizes.throughput_steps), None),
        "resume": pair("resume", resume_runbook(sizes.resume_steps), None),
    }

    rb_dir, ans_dir = rb / "lint_dir", ans / "lint_dir"
    rb_dir.mkdir()
    ans_dir.mkdir()
    for i in range(sizes.lint_dir_files):
        (rb_dir / f"rb-{i:03}.runbook").write_text(lint_runbook(sizes.lint_dir_steps, f"part {i}"))
        (ans_dir / f"play-{i:03}.yml").write_text(lint_playbook(sizes.lint_dir_steps))
    pairs["lint_dir"] = Pair(rb_dir, ans_dir)
    return pairs
