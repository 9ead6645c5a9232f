"""The progress bar shows on a terminal's standard error, and nowhere else."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys

import pytest
from conftest import FIXTURES

from portcheck.progress import ProgressBar

CHECK = [sys.executable, "-c", "from portcheck.cli import main; main()", "check", "--exit-zero"]


def test_terminal_sees_a_progress_bar_and_stdout_stays_clean() -> None:
    controller, terminal = pty.openpty()
    try:
        process = subprocess.run(
            [*CHECK, "--format", "json", "example_repo"],
            cwd=FIXTURES,
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
            check=True,
        )
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end is closed: everything was read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(controller)
    report = json.loads(process.stdout)
    files = report["summary"]["files_checked"]
    assert b"Analysing [" in drawn
    assert f"{files}/{files} files 100%\r\x1b[K".encode() in drawn, "complete, then erased"


def test_no_progress_bar_when_stderr_is_not_a_terminal() -> None:
    process = subprocess.run(
        [*CHECK, "example_repo"], cwd=FIXTURES, capture_output=True, text=True, timeout=120
    )
    assert "Analysing" not in process.stderr
    assert "\r" not in process.stderr + process.stdout


@pytest.mark.parametrize(("done", "expected"), [(0, 0), (50, 20), (100, 40)])
def test_bar_fills_in_proportion(done: int, expected: int) -> None:
    line = ProgressBar(io.StringIO(), columns=120).line(done, 100)
    assert line.count("#") == expected and line.count(".") == 40 - expected
    assert line.endswith(f"{done}/100 files {done:3d}%")


def test_bar_redraws_at_most_ten_times_a_second_but_always_at_the_end() -> None:
    stream = io.StringIO()
    now = [0.0]
    bar = ProgressBar(stream, clock=lambda: now[0])
    for done in range(1, 1001):
        now[0] += 0.001
        bar(done, 1000)
    assert stream.getvalue().count("\r") == 11
    assert stream.getvalue().endswith("1,000/1,000 files 100%")
