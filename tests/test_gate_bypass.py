"""Nothing turns the gate off silently: a setting that would is an error (exit 2), and a
tree of which no file could be analysed fails instead of scoring 100."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, write

CUDA = "import torch\ntorch.cuda.synchronize()\n"


@pytest.mark.parametrize(
    ("args", "config"),
    [
        (("--fail-under", "nan"), ""),
        ((), "fail-under = nan\n"),
        ((), "fail-on = []\n"),
        ((), 'target = ""\n'),
        (("--target", ""), ""),
        (("--diff-base", ""), ""),
        (("--fix", "--diff"), ""),
    ],
    ids=[
        "nan-option",
        "nan-config",
        "empty-fail-on",
        "empty-target",
        "empty-target-option",
        "empty-diff-base",
        "fix-and-diff",
    ],
)
def test_a_setting_that_would_bypass_the_gate_is_an_error(
    tmp_path: Path, args: tuple[str, ...], config: str
) -> None:
    write(tmp_path, "train.py", CUDA)
    write(tmp_path, "pyproject.toml", "[tool.portcheck]\n" + config)
    result = run_cli("check", "--no-cache", *args, ".", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert (tmp_path / "train.py").read_text() == CUDA


def test_a_tree_where_no_file_could_be_analysed_fails_the_gate(tmp_path: Path) -> None:
    write(tmp_path, "a.py", b"import torch\x00\x00torch.cuda\n")
    write(tmp_path, "b.py", "caf\u00e9 = 'cuda'\n".encode("latin-1"))
    result = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert "2 files could not be analysed" in result.stdout
    assert "none of the 2 files could be analysed" in result.stderr


def test_one_unreadable_file_is_counted_once(tmp_path: Path) -> None:
    write(tmp_path, "a.py", b"import torch\x00\x00torch.cuda\n")
    write(tmp_path, "good.py", CUDA)
    result = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert "; 1 file could not be analysed" in result.stdout
