"""Bad input never stops a run: each bad file is one diagnostic and the rest is checked."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import check_json, run_cli, write

CUDA_LINE = "import torch\ntorch.cuda.synchronize()\n"


def _diagnostic_codes(report: dict[str, Any]) -> dict[str, str]:
    return {d["path"]: d["code"] for d in report["diagnostics"]}


def _check_with_good_file(tmp_path: Path) -> tuple[int, dict[str, Any]]:
    write(tmp_path, "good.py", CUDA_LINE)
    code, report = check_json(".", cwd=tmp_path)
    assert [f["path"] for f in report["findings"]] == ["good.py"], "the run must go on"
    return code, report


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("py2.py", b'print "cuda"\nexec "x = 1"\n', "parse-error"),
        ("broken.py", b"import torch\ndef f(:\n    torch.cuda.synchronize()\n", "parse-error"),
        ("latin1.py", "x = 'caf\u00e9 cuda'\n".encode("latin-1"), "decode-error"),
        ("nul.py", b"import torch\x00\x00torch.cuda\n", "binary-file"),
        ("empty.py", b"", "empty-file"),
        ("junk.py", random.Random(16).randbytes(64) + b"\x00cuda", "binary-file"),
    ],
)
def test_bad_file_becomes_one_diagnostic(
    tmp_path: Path, name: str, content: bytes, code: str
) -> None:
    write(tmp_path, name, content)
    _, report = _check_with_good_file(tmp_path)
    assert _diagnostic_codes(report)[name] == code


def test_coding_cookie_is_honoured(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nimport torch\nx = 'caf\u00e9'\ntorch.cuda.synchronize()\n"
    write(tmp_path, "cookie.py", source.encode("latin-1"))
    _, report = check_json(".", cwd=tmp_path)
    assert report["diagnostics"] == []
    assert [f["line"] for f in report["findings"]] == [4]


def test_file_over_the_size_limit_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "huge.py", "x = 'cuda'\n" * 2000)
    write(tmp_path, "good.py", CUDA_LINE)
    _, report = check_json("--max-file-size", "10000", ".", cwd=tmp_path)
    assert _diagnostic_codes(report)["huge.py"] == "file-too-large"
    assert [f["path"] for f in report["findings"]] == ["good.py"]


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.py", CUDA_LINE)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions do not stop reads")
        _, report = _check_with_good_file(tmp_path)
        assert _diagnostic_codes(report)["secret.py"] == "read-error"
    finally:
        path.chmod(0o644)


def test_broken_symlink_is_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    _, report = _check_with_good_file(tmp_path)
    assert _diagnostic_codes(report)["dangling.py"] == "broken-symlink"


def test_file_symlink_loop_is_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    _, report = _check_with_good_file(tmp_path)
    assert _diagnostic_codes(report)["loop.py"] == "symlink-loop"


def test_directory_symlink_loop_ends(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "again").symlink_to(tmp_path)
    _, report = _check_with_good_file(tmp_path)
    assert _diagnostic_codes(report)["pkg/again"] == "symlink-loop"


def test_diagnostics_appear_in_text_output(tmp_path: Path) -> None:
    write(tmp_path, "py2.py", 'print "cuda"\n')
    result = run_cli("check", ".", cwd=tmp_path)
    assert "[parse-error] py2.py:1:" in result.stdout
    assert result.exit_code == 1  # no file could be analysed: the gate says so
    assert "Traceback" not in result.stdout + result.stderr


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", "nope.py", cwd=tmp_path)
    assert result.exit_code == 2
    assert "nope.py" in result.stderr


def test_deeply_nested_expression_does_not_crash(tmp_path: Path) -> None:
    write(tmp_path, "deep.py", "import torch\nx = " + "[" * 3000 + "'cuda'" + "]" * 3000 + "\n")
    write(tmp_path, "good.py", CUDA_LINE)
    _, report = check_json(".", cwd=tmp_path)
    assert "good.py" in {f["path"] for f in report["findings"]}
    assert "deep.py" in _diagnostic_codes(report) or "deep.py" in {
        f["path"] for f in report["findings"]
    }
