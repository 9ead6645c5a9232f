"""A file name anyone can commit never injects anything into a terminal or a CI log:
control and bidirectional characters are escaped in every human-readable format."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portcheck.report.markup import element

TIMEOUT = 120
PORTCHECK = [sys.executable, "-c", "from portcheck.cli import main; main()"]
HOSTILE = "x\n::error file=x,line=1::owned\r\u202e\x1b[31mred.py"

needs_newline_names = pytest.mark.skipif(os.name == "nt", reason="no newline in file names")


@needs_newline_names
@pytest.mark.parametrize("output_format", ["text", "github", "markdown"])
def test_hostile_file_name_is_escaped(tmp_path: Path, output_format: str) -> None:
    (tmp_path / HOSTILE).write_text("import torch\ntorch.cuda.synchronize()\n")
    result = subprocess.run(
        [*PORTCHECK, "check", "--no-cache", "--format", output_format, "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 1, result.stderr
    for line in result.stdout.splitlines():
        assert not line.startswith("::error file=x"), line
    for character in ("\r", "\u202e", "\x1b"):
        assert character not in result.stdout
    if output_format == "text":
        assert "x\\n::error file=x,line=1::owned\\r\\u202e\\x1b[31mred.py:2:1: PC001" in (
            result.stdout
        )


def test_html_report_shows_bidirectional_characters_as_escapes(tmp_path: Path) -> None:
    """Trojan Source: U+202E in a file name or in the code a finding quotes would reorder
    what the page shows; the page shows the escape instead (as the text report does)."""
    (tmp_path / "lib\u2066").mkdir()
    (tmp_path / "lib\u2066" / "evil\u202egnp.py").write_text("import cupy\n")
    result = subprocess.run(
        [*PORTCHECK, "check", "--no-cache", "--format", "html", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 1, result.stderr
    page = result.stdout
    for character in ("\u202e", "\u2066"):
        assert character not in page
    assert "evil\\u202egnp.py" in page
    assert "lib\\u2066" in page


def test_html_code_and_attributes_show_invisible_characters_as_escapes() -> None:
    snippet = element("code", 'x = "\u202e\u2066admin\u2069"\t# \r', title="a\u202eb")
    assert (
        snippet
        == '<code title="a\\u202eb">x = &quot;\\u202e\\u2066admin\\u2069&quot;\t# \\r</code>'
    )
