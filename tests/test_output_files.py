"""Every file portcheck writes with ``-o`` replaces the old one whole or not at all, and
a file name that is not valid UTF-8 never stops a report from being written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 120
CUDA = b"import torch\ntorch.cuda.synchronize()\n"
PORTCHECK = [sys.executable, "-c", "from portcheck.cli import main; main()"]
FORMATS = ("text", "json", "sarif", "github", "html", "markdown")

needs_bytes_names = pytest.mark.skipif(
    sys.platform == "darwin" or os.name == "nt", reason="the file system wants UTF-8 names"
)


def portcheck(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PORTCHECK, *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
    )


@pytest.fixture
def bad_name_tree(tmp_path: Path) -> Path:
    (tmp_path / os.fsdecode(b"bad\xff.py")).write_bytes(CUDA)
    return tmp_path


@needs_bytes_names
@pytest.mark.parametrize("output_format", FORMATS)
def test_report_with_a_non_utf8_name_is_written(bad_name_tree: Path, output_format: str) -> None:
    (bad_name_tree / "report.out").write_text("old report\n")
    result = portcheck(bad_name_tree, "check", "--format", output_format, "-o", "report.out", ".")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    written = (bad_name_tree / "report.out").read_bytes()
    assert b"old report" not in written and len(written) > 100
    written.decode("utf-8")
    if output_format == "json":
        paths = [f["path"] for f in json.loads(written)["findings"]]
        assert [os.fsencode(path) for path in paths] == [b"bad\xff.py"]


@needs_bytes_names
def test_baseline_with_a_non_utf8_name_is_written_and_read_back(bad_name_tree: Path) -> None:
    (bad_name_tree / "bl.json").write_text("old baseline\n")
    written = portcheck(bad_name_tree, "baseline", "-o", "bl.json", ".")
    assert written.returncode == 0, written.stderr
    checked = portcheck(bad_name_tree, "check", "--baseline", "bl.json", ".")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    "target", ["missing/report.txt", ".", "/dev/full"], ids=["missing-dir", "dir", "full"]
)
def test_unwritable_output_is_one_error_line_and_exit_2(tmp_path: Path, target: str) -> None:
    if target == "/dev/full" and not Path(target).exists():
        pytest.skip("no /dev/full")
    (tmp_path / "x.py").write_bytes(CUDA)
    result = portcheck(tmp_path, "check", "-o", target, ".")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_failed_baseline_write_keeps_the_old_file(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_bytes(CUDA)
    (tmp_path / "bl").mkdir()
    (tmp_path / "bl" / "bl.json").write_text("old baseline\n")
    os.chmod(tmp_path / "bl", 0o500)
    try:
        result = portcheck(tmp_path, "baseline", "-o", "bl/bl.json", ".")
        if os.access(tmp_path / "bl", os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert (tmp_path / "bl" / "bl.json").read_text() == "old baseline\n"
    finally:
        os.chmod(tmp_path / "bl", 0o700)
