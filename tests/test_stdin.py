"""`portcheck check -` reads one source from standard input, as editors send it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

CUDA_SOURCE = "import torch\ntorch.cuda.synchronize()\n"


def _report(*args: str, stdin: str, cwd: Path) -> tuple[int, dict]:
    result = run_cli("check", "--format", "json", *args, cwd=cwd, stdin=stdin)
    return result.exit_code, json.loads(result.stdout)


def test_stdin_is_checked_under_the_given_file_name(tmp_path: Path) -> None:
    code, report = _report("-", "--stdin-filename", "pkg/train.py", stdin=CUDA_SOURCE, cwd=tmp_path)

    assert code == 1
    assert [(f["path"], f["line"], f["api"]) for f in report["findings"]] == [
        ("pkg/train.py", 2, "torch.cuda.synchronize")
    ]


def test_stdin_without_a_file_name_is_python_named_dash(tmp_path: Path) -> None:
    result = run_cli("check", "-", cwd=tmp_path, stdin=CUDA_SOURCE)

    assert result.exit_code == 1
    assert result.stdout.startswith("-:2:1: PC001 [auto]")


def test_stdin_file_name_chooses_the_kind_of_file(tmp_path: Path) -> None:
    _, manifest = _report(
        "-", "--stdin-filename", "requirements.txt", stdin="cupy-cuda12x==13.0\n", cwd=tmp_path
    )
    notebook = (FIXTURES / "notebooks" / "train_probe.ipynb").read_text(encoding="utf-8")
    _, from_stdin = _report("-", "--stdin-filename", "nb.ipynb", stdin=notebook, cwd=tmp_path)

    assert [f["rule"] for f in manifest["findings"]] == ["PC009"]
    assert from_stdin["findings"] and all("cell" in f for f in from_stdin["findings"])


def test_stdin_findings_match_the_same_file_on_disk() -> None:
    path = "fixtures/notebooks/train_probe.py"
    source = (FIXTURES / "notebooks" / "train_probe.py").read_text(encoding="utf-8")
    repo = FIXTURES.parent
    _, on_disk = _report(path, stdin="", cwd=repo)
    _, from_stdin = _report("-", "--stdin-filename", path, stdin=source, cwd=repo)

    assert from_stdin["findings"] == on_disk["findings"]


def test_empty_stdin_is_an_informational_diagnostic(tmp_path: Path) -> None:
    code, report = _report("-", "--stdin-filename", "a.py", stdin="", cwd=tmp_path)

    assert code == 0
    assert [d["code"] for d in report["diagnostics"]] == ["empty-file"]


def test_stdin_cannot_be_combined_with_paths(tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text("x = 1\n", encoding="utf-8")
    result = run_cli("check", "-", "other.py", cwd=tmp_path, stdin=CUDA_SOURCE)

    assert result.exit_code == 2
    assert "standard input" in result.stderr


def test_fix_prints_the_fixed_source_and_reports_on_stderr(tmp_path: Path) -> None:
    source = CUDA_SOURCE + "x = 1\n"
    result = run_cli("check", "-", "--fix", "--stdin-filename", "a.py", cwd=tmp_path, stdin=source)

    assert result.stdout == (
        "import torch\nimport torch_npu  # noqa: F401\ntorch.npu.synchronize()\nx = 1\n"
    )
    assert "1 fixed, 0 remaining" in result.stderr
    assert result.exit_code == 0
    assert not (tmp_path / "a.py").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("blocker.py", "import cupy\ncupy.zeros(3)\n"),
        ("broken.py", "import torch\ntorch.cuda.synchronize(\n"),
        ("requirements.txt", "cupy-cuda12x==13.0\n"),
    ],
)
def test_fix_hands_back_what_it_cannot_fix_unchanged(
    tmp_path: Path, name: str, content: str
) -> None:
    result = run_cli("check", "-", "--fix", "--stdin-filename", name, cwd=tmp_path, stdin=content)

    assert result.stdout == content
    assert "0 fixed" in result.stderr


def test_fix_of_a_notebook_on_stdin_prints_the_fixed_notebook(tmp_path: Path) -> None:
    notebook = (FIXTURES / "notebooks" / "train_probe.ipynb").read_text(encoding="utf-8")
    result = run_cli(
        "check", "-", "--fix", "--stdin-filename", "nb.ipynb", cwd=tmp_path, stdin=notebook
    )

    cells = json.loads(result.stdout)["cells"]
    assert "torch.npu.synchronize()" in cells[5]["source"]
    assert cells[6] == json.loads(notebook)["cells"][6]


def test_diff_prints_the_change_and_fails(tmp_path: Path) -> None:
    args = ("check", "-", "--diff", "--stdin-filename", "a.py")
    result = run_cli(*args, cwd=tmp_path, stdin=CUDA_SOURCE)

    assert result.exit_code == 1
    removed_and_added = (
        "-torch.cuda.synchronize()\n+import torch_npu  # noqa: F401\n+torch.npu.synchronize()\n"
    )
    assert removed_and_added in result.stdout
    assert result.stdout.startswith("--- a/a.py\n+++ b/a.py\n")
