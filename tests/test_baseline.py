"""Baselines: `portcheck baseline` records today's findings, `check --baseline` reports only
new ones, matched on rule + path + source text with counts, never on line numbers."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import check_json, run_cli, write

TWO_SYNCS_AND_CUPY = (
    "import torch\ntorch.cuda.synchronize()\ntorch.cuda.synchronize()\nimport cupy\n"
)


def _baseline(tmp_path: Path, *args: str) -> None:
    result = run_cli("baseline", *args, cwd=tmp_path)
    assert result.exit_code == 0, result.output


def test_baseline_records_counts_per_rule_path_and_source(tmp_path: Path) -> None:
    write(tmp_path, "src/a.py", TWO_SYNCS_AND_CUPY)
    result = run_cli("baseline", "-o", "portcheck-baseline.json", cwd=tmp_path)
    assert "Wrote 3 findings (2 distinct) to portcheck-baseline.json" in result.stdout
    document = json.loads((tmp_path / "portcheck-baseline.json").read_text())
    entries = {(e["rule"], e["path"], e["source"]): e["count"] for e in document["findings"]}
    assert entries == {
        ("PC001", "src/a.py", "torch.cuda.synchronize"): 2,
        ("PC008", "src/a.py", "cupy"): 1,
    }


def test_check_with_baseline_hides_known_findings_and_passes(tmp_path: Path) -> None:
    write(tmp_path, "a.py", TWO_SYNCS_AND_CUPY)
    _baseline(tmp_path, "-o", "base.json")
    result = run_cli("check", "--baseline", "base.json", cwd=tmp_path)
    assert result.exit_code == 0
    assert "Found 0 findings" in result.stdout
    assert "3 findings hidden by the baseline" in result.stdout


def test_moved_code_stays_hidden_and_an_extra_occurrence_is_new(tmp_path: Path) -> None:
    write(tmp_path, "a.py", TWO_SYNCS_AND_CUPY)
    _baseline(tmp_path, "-o", "base.json")
    write(
        tmp_path,
        "a.py",
        "import cupy\n\n\nimport torch\n\ndef f():\n    torch.cuda.synchronize()\n"
        "    torch.cuda.synchronize()\n    torch.cuda.synchronize()\n",
    )
    code, report = check_json("--baseline", "base.json", cwd=tmp_path)
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("PC001", 9)]
    assert report["summary"]["hidden_by_baseline"] == 3
    assert code == 1


def test_the_same_code_in_another_file_is_new(tmp_path: Path) -> None:
    write(tmp_path, "a.py", TWO_SYNCS_AND_CUPY)
    _baseline(tmp_path, "-o", "base.json")
    write(tmp_path, "b.py", "import cupy\n")
    _, report = check_json("--baseline", "base.json", cwd=tmp_path)
    assert [(f["path"], f["rule"]) for f in report["findings"]] == [("b.py", "PC008")]


def test_fixed_findings_drop_out_when_the_baseline_is_rewritten(tmp_path: Path) -> None:
    write(tmp_path, "a.py", TWO_SYNCS_AND_CUPY)
    _baseline(tmp_path, "-o", "base.json")
    write(tmp_path, "a.py", "import torch\ntorch.cuda.synchronize()\n")
    _baseline(tmp_path, "-o", "base.json")
    document = json.loads((tmp_path / "base.json").read_text())
    assert [(e["rule"], e["count"]) for e in document["findings"]] == [("PC001", 1)]
    write(tmp_path, "a.py", TWO_SYNCS_AND_CUPY)
    _, report = check_json("--baseline", "base.json", cwd=tmp_path)
    assert len(report["findings"]) == 2


def test_baseline_paths_work_from_another_directory(tmp_path: Path) -> None:
    write(tmp_path, "pkg/a.py", TWO_SYNCS_AND_CUPY)
    _baseline(tmp_path, "-o", "ci/base.json")
    code, report = check_json("--baseline", "../ci/base.json", ".", cwd=tmp_path / "pkg")
    assert report["findings"] == []
    assert code == 0


def test_baseline_from_the_configuration_for_both_commands(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.portcheck]\nbaseline = "portcheck-baseline.json"\n')
    write(tmp_path, "src/a.py", TWO_SYNCS_AND_CUPY)
    _baseline(tmp_path / "src")
    assert (tmp_path / "portcheck-baseline.json").is_file()
    code, report = check_json(".", cwd=tmp_path / "src")
    assert report["summary"]["hidden_by_baseline"] == 3
    assert code == 0


def test_missing_baseline_file_is_an_error_that_says_how_to_make_one(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "x = 1\n")
    result = run_cli("check", "--baseline", "nope.json", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "nope.json: cannot read the baseline" in result.stderr
    assert "portcheck baseline -o FILE" in result.stderr


def test_a_file_that_is_not_a_baseline_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "report.json", '{"findings": []}')
    result = run_cli("check", "--baseline", "report.json", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "not a portcheck baseline" in result.stderr


def test_baseline_without_an_output_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("baseline", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "-o FILE" in result.stderr
