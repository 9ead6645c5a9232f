"""Notebook findings in CI formats: a notebook's ``line`` is a line of its joined code
cells, not of the ``.ipynb`` file, so annotations name the cell instead of a wrong line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import FIXTURES, run_cli


def _notebook(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "notebooks" / "train_probe.ipynb", tmp_path))


def test_sarif_locates_notebook_findings_at_file_level_and_names_the_cell(
    tmp_path: Path,
) -> None:
    _notebook(tmp_path)
    result = run_cli("check", "--format", "sarif", "--no-cache", ".", cwd=tmp_path)
    results = json.loads(result.stdout)["runs"][0]["results"]
    assert results
    for entry in results:
        (location,) = entry["locations"]
        assert "region" not in location["physicalLocation"]
        assert entry["message"]["text"].startswith("cell ")


def test_github_annotations_for_notebooks_carry_no_line(tmp_path: Path) -> None:
    _notebook(tmp_path)
    result = run_cli("check", "--format", "github", "--no-cache", ".", cwd=tmp_path)
    lines = [line for line in result.stdout.splitlines() if "file=train_probe.ipynb" in line]
    assert lines
    for line in lines:
        assert ",line=" not in line
        assert "::cell " in line
