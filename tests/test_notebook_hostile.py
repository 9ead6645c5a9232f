"""Hostile notebooks: ``--fix`` copes with what ``json`` cannot convert, never prints
nothing on standard input, and rewrites the cells' sources and not one byte more."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 120
PORTCHECK = [sys.executable, "-c", "from portcheck.cli import main; main()"]
CELL = '{"cell_type": "code", "metadata": {}, "outputs": [], "source": %s}'
SOURCE = ["import torch\n", "torch.cuda.synchronize()"]
FIXED = ["import torch\n", "import torch_npu  # noqa: F401\n", "torch.npu.synchronize()"]


def notebook(metadata: str, source: object = SOURCE) -> str:
    cell = CELL % json.dumps(source)
    return (
        '{"cells": [' + cell + '], "metadata": ' + metadata + ', "nbformat": 4, '
        '"nbformat_minor": 5}\n'
    )


def portcheck(cwd: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*PORTCHECK, *args], cwd=cwd, input=stdin, capture_output=True, timeout=TIMEOUT
    )


@pytest.mark.parametrize(
    "metadata",
    [
        '{"big": ' + "7" * 5000 + "}",
        '{"x": 1E5, "url": "a\\/b", "name": "caf\\u00e9", "k": 1, "k": 2, "f": 1.50}',
    ],
    ids=["5000-digit-integer", "non-canonical-json"],
)
def test_fix_rewrites_only_the_cell_sources(tmp_path: Path, metadata: str) -> None:
    (tmp_path / "nb.ipynb").write_text(notebook(metadata))
    result = portcheck(tmp_path, "check", "--fix", "--format", "json", "nb.ipynb")
    assert b"Traceback" not in result.stderr, result.stderr
    assert json.loads(result.stdout)["summary"]["fixed"] == 1
    assert (tmp_path / "nb.ipynb").read_text() == notebook(metadata, FIXED)


def test_fix_of_deeply_nested_json_is_a_diagnostic(tmp_path: Path) -> None:
    text = notebook("[" * 100_000 + "]" * 100_000)
    (tmp_path / "nb.ipynb").write_text(text)
    result = portcheck(tmp_path, "check", "--fix", "--format", "json", "nb.ipynb")
    assert b"Traceback" not in result.stderr, result.stderr
    assert [d["code"] for d in json.loads(result.stdout)["diagnostics"]] == ["notebook-error"]
    assert (tmp_path / "nb.ipynb").read_text() == text


@pytest.mark.parametrize(
    "metadata", ["[" * 100_000 + "]" * 100_000, '{"big": ' + "7" * 5000 + "}"], ids=["deep", "big"]
)
def test_stdin_fix_of_a_hostile_notebook_never_prints_nothing(
    tmp_path: Path, metadata: str
) -> None:
    text = notebook(metadata).encode()
    result = portcheck(tmp_path, "check", "-", "--fix", "--stdin-filename", "nb.ipynb", stdin=text)
    assert b"Traceback" not in result.stderr, result.stderr
    assert result.stdout in (text, notebook(metadata, FIXED).encode())
