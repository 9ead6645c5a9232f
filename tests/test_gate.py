"""The gate's exit codes (ruff's: 0 pass, 1 fail, 2 error) and the reasons it gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import check_json, run_cli, write

AUTO_ONLY = "import torch\ntorch.cuda.synchronize()\n"
WITH_BLOCKER = AUTO_ONLY + "import cupy\n"


def test_any_finding_fails_by_default(tmp_path: Path) -> None:
    write(tmp_path, "a.py", AUTO_ONLY)
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert "gate failed: 1 finding of a --fail-on category remains (1 auto)" in result.stderr


def test_no_finding_passes(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\nx = torch.zeros(3)\n")
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("source", "fail_on", "expected"),
    [
        (AUTO_ONLY, "blocker", 0),
        (WITH_BLOCKER, "blocker", 1),
        (WITH_BLOCKER, "rewrite,caution", 0),
        (WITH_BLOCKER, "none", 0),
        (AUTO_ONLY, "auto", 1),
    ],
)
def test_fail_on_gates_on_the_named_categories(
    tmp_path: Path, source: str, fail_on: str, expected: int
) -> None:
    write(tmp_path, "a.py", source)
    assert run_cli("check", "--fail-on", fail_on, ".", cwd=tmp_path).exit_code == expected


def test_fail_under_fails_below_the_per_api_score_and_says_so(tmp_path: Path) -> None:
    write(tmp_path, "a.py", WITH_BLOCKER)
    _, report = check_json("--exit-zero", ".", cwd=tmp_path)
    score = report["scores"]["per_api"]
    below = run_cli("check", "--fail-on", "none", "--fail-under", str(score + 1), ".", cwd=tmp_path)
    assert below.exit_code == 1
    assert f"readiness score {score} (per API) is under --fail-under" in below.stderr
    at = run_cli("check", "--fail-on", "none", "--fail-under", str(score), ".", cwd=tmp_path)
    assert at.exit_code == 0


def test_gate_settings_come_from_the_configuration(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.portcheck]\nfail-on = ["blocker"]\nfail-under = 5\n')
    write(tmp_path, "a.py", AUTO_ONLY)
    assert run_cli("check", ".", cwd=tmp_path).exit_code == 0
    assert run_cli("check", "--fail-on", "auto", ".", cwd=tmp_path).exit_code == 1
    assert run_cli("check", "--fail-under", "99.9", ".", cwd=tmp_path).exit_code == 1


def test_exit_zero_overrides_every_gate(tmp_path: Path) -> None:
    write(tmp_path, "a.py", WITH_BLOCKER)
    result = run_cli("check", "--exit-zero", "--fail-under", "100", ".", cwd=tmp_path)
    assert result.exit_code == 0


def test_unknown_fail_on_category_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", "--fail-on", "fatal", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "--fail-on: unknown category 'fatal'" in result.stderr


def test_fail_under_outside_0_to_100_is_a_usage_error(tmp_path: Path) -> None:
    assert run_cli("check", "--fail-under", "101", ".", cwd=tmp_path).exit_code == 2


def test_fail_on_diagnostic_fails_a_run_that_skipped_a_file(tmp_path: Path) -> None:
    """A CI gate can insist that every file was analysed: a syntax error or a file over
    the size limit passes by default (a warning) and fails with ``diagnostic``."""
    write(tmp_path, "ok.py", "import torch\nx = torch.ones(2)\n")
    write(tmp_path, "broken.py", "def f(:\n    torch.cuda.synchronize()\n")
    write(tmp_path, "huge.py", "x = 1\n" * 100)
    assert run_cli("check", "--max-file-size", "500", ".", cwd=tmp_path).exit_code == 0
    for fail_on in ("diagnostic", "all,diagnostic", "blocker,diagnostics"):
        result = run_cli("check", "--fail-on", fail_on, "--max-file-size", "500", ".", cwd=tmp_path)
        assert result.exit_code == 1, (fail_on, result.stderr)
        assert "2 files were not analysed or only in part, and --fail-on includes diagnostic" in (
            result.stderr
        )
    (tmp_path / "broken.py").unlink()
    (tmp_path / "huge.py").unlink()
    assert run_cli("check", "--fail-on", "all,diagnostic", ".", cwd=tmp_path).exit_code == 0
    write(tmp_path, "pyproject.toml", '[tool.portcheck]\nfail-on = ["diagnostic"]\n')
    write(tmp_path, "broken.py", "def f(:\n    torch.cuda.synchronize()\n")
    assert run_cli("check", ".", cwd=tmp_path).exit_code == 1
    shown = run_cli("check", "--show-settings", ".", cwd=tmp_path)
    assert 'fail-on = ["diagnostic"]' in shown.stdout


def test_fail_on_none_is_shown_as_none(tmp_path: Path) -> None:
    shown = run_cli("check", "--show-settings", "--fail-on", "none", ".", cwd=tmp_path)
    assert 'fail-on = ["none"]' in shown.stdout
