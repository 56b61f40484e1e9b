"""Getting the tools a benchmark run needs: the runbook binary, Ansible, hyperfine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ANSIBLE_PACKAGES = ["ansible-core", "ansible-lint"]


class SetupError(RuntimeError):
    """A tool could not be built or installed."""


def venv_bin(venv: Path) -> Path | None:
    """The venv's bin directory when Ansible is installed there, else None."""
    bin_dir = venv / "bin"
    if all((bin_dir / t).exists() for t in ("ansible-playbook", "ansible-lint", "python")):
        return bin_dir
    return None


def ensure_ansible(venv: Path, log) -> Path:
    """Create `venv` and install Ansible into it from PyPI, unless it is already there."""
    found = venv_bin(venv)
    if found:
        return found
    log(f"creating {venv} and installing {' '.join(ANSIBLE_PACKAGES)} from PyPI")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, *ANSIBLE_PACKAGES], check=True)
    except subprocess.CalledProcessError as e:
        raise SetupError(f"installing Ansible failed: {e}") from e
    found = venv_bin(venv)
    if not found:
        raise SetupError(f"{venv} has no ansible-playbook/ansible-lint after pip install")
    return found


def build_runbook(root: Path, release: bool, log) -> Path:
    """`cargo build -p runbook` (release unless told otherwise); the binary's path."""
    argv = ["cargo", "build", "-p", "runbook"]
    if release:
        argv.append("--release")
    log(" ".join(argv))
    done = subprocess.run(argv, cwd=root, check=False)
    if done.returncode != 0:
        raise SetupError(f"`{' '.join(argv)}` failed (exit {done.returncode})")
    target = Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
    if not target.is_absolute():
        target = root / target
    binary = target / ("release" if release else "debug") / "runbook"
    if not binary.exists():
        raise SetupError(f"no binary at {binary} after the build")
    return binary


def ensure_hyperfine(log) -> bool:
    """Install hyperfine from Debian when missing and we may (root, apt-get); True when present."""
    if shutil.which("hyperfine"):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    log("installing hyperfine from Debian")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "hyperfine"]):
        if subprocess.run(argv, env=env, check=False, stdout=subprocess.DEVNULL).returncode != 0:
            log("could not install hyperfine; timing with Python instead")
            return False
    return shutil.which("hyperfine") is not None
