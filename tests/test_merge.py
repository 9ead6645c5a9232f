"""`portcheck merge`: shards and repositories audited apart add up to the whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, check_json, run_cli

EXAMPLE = FIXTURES / "example_repo"
HALF_A = ("kernels", "utils", "setup.py")
HALF_B = ("train.py", "model.py", "requirements.txt", "pyproject.toml")


def save_report(tmp_path: Path, name: str, *args: str) -> Path:
    _, report = check_json(*args, cwd=EXAMPLE)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """The example repository audited in two halves, and as a whole."""
    directory = tmp_path_factory.mktemp("reports")
    _, whole = check_json(*HALF_A, *HALF_B, cwd=EXAMPLE)
    return save_report(directory, "a", *HALF_A), save_report(directory, "b", *HALF_B), whole


def merge_json(*args: str) -> dict[str, Any]:
    result = run_cli("merge", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def without_findings(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key != "findings"}


def test_merge_of_two_halves_equals_the_whole(halves: tuple[Path, Path, dict[str, Any]]) -> None:
    first, second, whole = halves

    merged = merge_json(str(first), str(second))

    assert merged["findings"] == whole["findings"]
    assert without_findings(merged) == without_findings(whole)
    assert merged["score"] < 100


def test_merge_order_does_not_change_the_result(halves: tuple[Path, Path, dict[str, Any]]) -> None:
    first, second, _ = halves
    assert merge_json(str(first), str(second)) == merge_json(str(second), str(first))


def test_named_reports_prefix_their_paths_and_group_by_repository(
    halves: tuple[Path, Path, dict[str, Any]],
) -> None:
    first, second, _ = halves

    merged = merge_json(f"trainer={second}", f"kernels-repo={first}")

    paths = {finding["path"] for finding in merged["findings"]}
    assert "trainer/train.py" in paths
    assert "kernels-repo/kernels/fused_softmax.cu" in paths
    assert merged["breakdown"]["root"] == ""
    directories = {area["name"] for area in merged["breakdown"]["directories"]}
    assert directories == {"trainer", "kernels-repo"}
    assert merged["summary"]["files_checked"] == sum(
        json.loads(path.read_text())["summary"]["files_checked"] for path in (first, second)
    )


def test_reports_for_different_targets_are_rejected(
    tmp_path: Path, halves: tuple[Path, Path, dict[str, Any]]
) -> None:
    first = halves[0]
    second = save_report(tmp_path, "old", "--target", "torch_npu==2.1.0.post17", *HALF_B)

    result = run_cli("merge", str(first), str(second))

    assert result.exit_code == 2
    assert "different targets" in result.stderr
    assert "torch_npu==2.1.0.post17" in result.stderr and str(second) in result.stderr


def test_a_file_that_is_not_a_report_is_rejected_by_name(tmp_path: Path) -> None:
    not_json = tmp_path / "notes.json"
    not_json.write_text("this is not JSON", encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}', encoding="utf-8")

    for path, problem in ((not_json, "not a JSON document"), (other, "not a portcheck JSON")):
        result = run_cli("merge", str(path))
        assert result.exit_code == 2
        assert str(path) in result.stderr and problem in result.stderr
    missing = run_cli("merge", str(tmp_path / "missing.json"))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


def test_merged_report_renders_as_markdown_and_writes_to_a_file(
    tmp_path: Path, halves: tuple[Path, Path, dict[str, Any]]
) -> None:
    first, second, whole = halves
    out = tmp_path / "merged.md"

    result = run_cli("merge", str(first), str(second), "--format", "markdown", "-o", str(out))

    assert result.exit_code == 0
    assert f"**{whole['score']:g}/100**" in out.read_text(encoding="utf-8")
