"""Files that are not what their names say never hang a run: only regular files are
read, never more than the size limit, and standard input honours the limit too.

The real CLI runs in a subprocess with a timeout: a hang fails the test, not the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write

TIMEOUT = 60
CUDA = "import torch\ntorch.cuda.synchronize()\n"
PORTCHECK = [sys.executable, "-c", "from portcheck.cli import main; main()"]

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


def portcheck(cwd: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*PORTCHECK, *args], cwd=cwd, input=stdin, capture_output=True, timeout=TIMEOUT
    )


def _codes(result: subprocess.CompletedProcess[bytes]) -> dict[str, str]:
    return {d["path"]: d["code"] for d in json.loads(result.stdout)["diagnostics"]}


@needs_fifo
@pytest.mark.parametrize("named", [False, True], ids=["walked", "named"])
def test_fifo_named_like_a_source_is_skipped(tmp_path: Path, named: bool) -> None:
    os.mkfifo(tmp_path / "x.py")
    write(tmp_path, "good.py", CUDA)
    paths = ["x.py", "good.py"] if named else ["."]
    result = portcheck(tmp_path, "check", "--no-cache", "--format", "json", *paths)
    assert _codes(result) == {"x.py": "not-a-file"}
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["good.py"]


@needs_fifo
def test_fix_skips_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.py")
    write(tmp_path, "good.py", CUDA)
    result = portcheck(tmp_path, "check", "--fix", "--format", "json", ".")
    assert _codes(result) == {"x.py": "not-a-file"}
    assert "torch.npu.synchronize" in (tmp_path / "good.py").read_text()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_symlink_to_an_endless_device_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    result = portcheck(tmp_path, "check", "--no-cache", "--format", "json", "zero.py")
    assert _codes(result) == {"zero.py": "not-a-file"}


def test_stdin_honours_the_size_limit(tmp_path: Path) -> None:
    source = CUDA.encode() + b"#" * 5000
    result = portcheck(
        tmp_path, "check", "-", "--format", "json", "--max-file-size", "1000", stdin=source
    )
    assert _codes(result) == {"-": "file-too-large"}


def test_stdin_fix_over_the_limit_hands_the_input_back(tmp_path: Path) -> None:
    source = CUDA.encode() + b"#" * 300_000
    result = portcheck(tmp_path, "check", "-", "--fix", "--max-file-size", "1000", stdin=source)
    assert result.stdout == source
    assert b"file-too-large" in result.stderr
