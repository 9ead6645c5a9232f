"""The real pre-commit, installing the hook of this checkout, on a throw-away repository.

pre-commit clones this repository at its current commit (so it sees committed code
only) and pip-installs it into the hook's environment; the environment is cached for
the test session. It is marked ``slow`` (deselect with ``-m "not slow"``) and runs in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli, write

pytestmark = pytest.mark.slow

GIT_IDENTITY = ("-c", "user.name=portcheck-test", "-c", "user.email=test@example.com")
TRAIN = (
    "import torch\n"
    "torch.backends.cudnn.benchmark = True\n"  # caution: does not fail this gate
    "device = torch.device('cuda:0')\n"  # auto, fixable
    "torch.cuda.synchronize()\n"  # auto, fixable
)
KERNEL = "__global__ void k(float* x) { x[0] = 1; }\n"


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path: Path, pre_commit_home: Path) -> tuple[Path, dict[str, str]]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout of portcheck")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "PRE_COMMIT_COLOR": "never"}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    write(tmp_path, "train.py", TRAIN)
    write(tmp_path, "pyproject.toml", '[tool.portcheck]\nfail-on = ["auto", "blocker"]\n')
    write(tmp_path, "README.md", "not checked\n")
    hook = f"  - repo: {REPO.as_posix()}\n    rev: {head}\n    hooks:\n      - id: portcheck\n"
    write(tmp_path, ".pre-commit-config.yaml", f"repos:\n{hook}")
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    subprocess.run(["git", *GIT_IDENTITY, "commit", "-qm", "start"], cwd=tmp_path, check=True)
    return tmp_path, env


def pre_commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "pre_commit", "run", "--all-files"], repo, env)


def test_hook_fails_then_passes_after_fix_as_the_gate_is_configured(
    project: tuple[Path, dict[str, str]],
) -> None:
    repo, env = project
    first = pre_commit(repo, env)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "portcheck (CUDA → Ascend readiness)" in first.stdout
    assert "train.py:4:1: PC001 [auto]" in first.stdout
    assert "gate failed" in first.stdout

    if "--fix" not in run_cli("check", "--help").stdout:
        pytest.skip("`portcheck check --fix` is not there yet")
    fixed = run_cli("check", "--fix", ".", cwd=repo)
    assert "fixed" in fixed.stdout

    second = pre_commit(repo, env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout

    write(repo, "kernels/k.cu", KERNEL)
    subprocess.run(["git", "add", "kernels/k.cu"], cwd=repo, check=True)
    third = pre_commit(repo, env)
    assert third.returncode == 1
    assert "kernels/k.cu:1:1: PC007 [blocker]" in third.stdout
