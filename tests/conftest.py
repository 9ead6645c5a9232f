"""Shared helpers: every test drives the real CLI on real files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from click.testing import CliRunner, Result

from portcheck.cli import main

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"


def _runner() -> CliRunner:
    """stdout and stderr apart, as a shell sees them (click < 8.2, on Python 3.9, mixes them)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2 always keeps them apart and has no such argument
        return CliRunner()


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None) -> Result:
    """Run ``portcheck ARGS`` in-process from ``cwd`` (the run root)."""
    runner = _runner()
    with pytest.MonkeyPatch.context() as patch:
        if cwd is not None:
            patch.chdir(cwd)
        return runner.invoke(main, list(args), input=stdin, catch_exceptions=False)


def check_json(*args: str, cwd: Path | None = None) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", "--format", "json", *args, cwd=cwd)
    return result.exit_code, json.loads(result.stdout)


def write(root: Path, relative: str, content: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def parsed_or_skip(source: str | bytes) -> cst.Module:
    """libcst's module for a fixture; fixtures that are not Python 3 skip the test."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError:
        pytest.skip("not Python 3")
