"""Malformed settings, baselines and reports are usage errors a user can act on: one
line naming the file, exit 2, never an "internal error"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, write

CUDA = "import torch\ntorch.cuda.synchronize()\n"
DEEP = "[" * 100_000 + "]" * 100_000


def _assert_usage_error(result: object) -> None:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and "internal error" not in lines[0], lines


def test_pyproject_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, "a.py", CUDA)
    write(tmp_path, "pyproject.toml", b'[tool.portcheck]\ntarget = "\xff"\n')
    _assert_usage_error(run_cli("check", "a.py", cwd=tmp_path))


@pytest.mark.parametrize(
    "baseline",
    [
        '{"portcheck_baseline": 1, "findings": 5}',
        '{"portcheck_baseline": 1, "findings": [{"rule": "a", "path": "b", "source": "c", '
        '"count": 1e400}]}',
        '{"portcheck_baseline": 1, "findings": ' + DEEP + "}",
    ],
    ids=["findings-not-a-list", "infinite-count", "deep-json"],
)
def test_malformed_baseline_is_a_usage_error(tmp_path: Path, baseline: str) -> None:
    write(tmp_path, "a.py", CUDA)
    write(tmp_path, "bl.json", baseline)
    _assert_usage_error(run_cli("check", "--baseline", "bl.json", "a.py", cwd=tmp_path))


def _report(tmp_path: Path) -> dict[str, object]:
    write(tmp_path, "a.py", CUDA)
    result = run_cli("check", "--no-cache", "--format", "json", "a.py", cwd=tmp_path)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


MALFORMED = {
    "deep": lambda report: DEEP,
    "findings-not-a-list": lambda report: json.dumps({**report, "findings": 5}),
    "finding-not-an-object": lambda report: json.dumps({**report, "findings": [5]}),
    "line-not-a-number": lambda report: json.dumps(
        {**report, "findings": [{**report["findings"][0], "line": "abc"}]}
    ),
    "unknown-severity": lambda report: json.dumps(
        {**report, "diagnostics": [{"path": "a", "code": "c", "message": "m", "severity": "x"}]}
    ),
    "summary-not-an-object": lambda report: json.dumps({**report, "summary": 5}),
    "infinite-count": lambda report: json.dumps(report).replace(
        '"files_checked": 1', '"files_checked": 1e400'
    ),
    "target-not-a-string": lambda report: json.dumps({**report, "target": 5}),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_report_to_merge_is_a_usage_error(tmp_path: Path, case: str) -> None:
    report = _report(tmp_path)
    write(tmp_path, "good.json", json.dumps(report))
    write(tmp_path, "bad.json", MALFORMED[case](report))
    _assert_usage_error(run_cli("merge", "good.json", "bad.json", cwd=tmp_path))
