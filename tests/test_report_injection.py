"""A file name anyone can commit never injects anything into a terminal or a CI log:
control and bidirectional characters are escaped in every human-readable format."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
