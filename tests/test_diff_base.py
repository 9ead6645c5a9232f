"""``check --diff-base REF``: only findings on lines changed since REF, in a real git repo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import check_json, run_cli, write

PORTCHECK = [sys.executable, "-c", "from portcheck.cli import main; main()"]
OLD = "import torch\ntorch.cuda.synchronize()\n\n\ndef f():\n    return torch.cuda.device_count()\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, "train.py", OLD)
    write(tmp_path, "moved.py", "import torch\nx = torch.zeros(1).cuda()\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "start")
    return tmp_path


def _lines(report: dict) -> list[tuple[str, int]]:
    return [(finding["path"], finding["line"]) for finding in report["findings"]]


def test_only_changed_lines_are_reported(repo: Path) -> None:
    write(repo, "train.py", OLD.replace("device_count()", "device_count() + 1"))
    code, report = check_json("--diff-base", "HEAD", ".", cwd=repo)
    assert _lines(report) == [("train.py", 6)]
    assert report["summary"]["outside_diff"] == 2
    assert code == 1


def test_staged_and_committed_changes_since_ref_count(repo: Path) -> None:
    write(repo, "train.py", OLD + "torch.cuda.empty_cache()\n")
    git(repo, "commit", "-q", "-am", "more")
    write(repo, "train.py", OLD + "torch.cuda.empty_cache()\ntorch.cuda.synchronize()\n")
    git(repo, "add", "train.py")
    _, report = check_json("--diff-base", "HEAD~1", ".", cwd=repo)
    assert _lines(report) == [("train.py", 7), ("train.py", 8)]


def test_new_and_untracked_files_count_whole(repo: Path) -> None:
    write(repo, "added.py", "import torch\ntorch.cuda.synchronize()\n")
    git(repo, "add", "added.py")
    write(repo, "untracked.py", "import torch\ntorch.cuda.synchronize()\n")
    write(repo, "ignored/x.py", "import torch\ntorch.cuda.synchronize()\n")
    write(repo, ".gitignore", "ignored/\n")
    _, report = check_json("--diff-base", "HEAD", ".", cwd=repo)
    assert _lines(report) == [("added.py", 2), ("untracked.py", 2)]


def test_renamed_file_reports_only_its_changed_lines(repo: Path) -> None:
    git(repo, "mv", "moved.py", "renamed.py")
    write(
        repo,
        "renamed.py",
        "import torch\nx = torch.zeros(1).cuda()\ny = torch.cuda.is_available()\n",
    )
    _, report = check_json("--diff-base", "HEAD", ".", cwd=repo)
    assert _lines(report) == [("renamed.py", 3)]


def test_unchanged_tree_passes_the_gate(repo: Path) -> None:
    result = run_cli("check", "--diff-base", "HEAD", ".", cwd=repo)
    assert result.exit_code == 0
    assert "3 on lines unchanged since --diff-base" in result.stdout


def test_works_from_a_subdirectory_and_with_odd_file_names(repo: Path) -> None:
    write(repo, "sub dir/ünï code.py", "import torch\ntorch.cuda.synchronize()\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "odd")
    write(repo, "sub dir/ünï code.py", "import torch\ntorch.cuda.synchronize()\nimport cupy\n")
    _, report = check_json("--diff-base", "HEAD", ".", cwd=repo / "sub dir")
    assert _lines(report) == [("ünï code.py", 3)]


def test_unknown_revision_is_a_usage_error(repo: Path) -> None:
    result = run_cli("check", "--diff-base", "no-such-branch", ".", cwd=repo)
    assert result.exit_code == 2
    assert "--diff-base: unknown revision 'no-such-branch'" in result.stderr


def test_outside_a_git_repository_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "x = 1\n")
    result = run_cli("check", "--diff-base", "HEAD", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "--diff-base:" in result.stderr


def test_latin1_sources_and_names_that_are_not_utf8_are_diffed(repo: Path) -> None:
    """git prints changed lines and names as bytes: a latin-1 edit and untracked or tracked
    names such as ``bad\\xff.py`` are read, not a UnicodeDecodeError (exit 2) in every format."""
    cookie = b"# -*- coding: latin-1 -*-\n# caf\xe9\nimport torch\n"
    (repo / "latin.py").write_bytes(cookie)
    (repo / "tracked\udcfe.py").write_bytes(b"import torch\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "odd bytes")
    (repo / "latin.py").write_bytes(cookie + b"torch.cuda.synchronize()  # \xe9\n")
    (repo / "tracked\udcfe.py").write_bytes(b"import torch\nx = 1\ntorch.cuda.synchronize()\n")
    (repo / "bad\udcff.py").write_bytes(b"import torch\ntorch.cuda.synchronize()\n")
    _, report = check_json("--diff-base", "HEAD", ".", cwd=repo)
    assert sorted(_lines(report)) == [
        ("bad\udcff.py", 2),
        ("latin.py", 4),
        ("tracked\udcfe.py", 3),
    ]
    for output_format in ("text", "html", "sarif", "github", "markdown"):
        command = [*PORTCHECK, "check", "--no-cache", "--diff-base", "HEAD", "--format"]
        completed = subprocess.run(
            [*command, output_format, "."], cwd=repo, capture_output=True, timeout=120
        )
        assert completed.returncode == 1, (output_format, completed.stderr)
        assert output_format == "markdown" or b"latin.py" in completed.stdout
