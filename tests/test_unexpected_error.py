"""A bug anywhere is one line on stderr naming the file being processed, and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write

TIMEOUT = 120
FAILING = {
    "analysis": "import portcheck.schedule as m\nm.read_source = boom\n",
    "report": "import portcheck.run as m\nm.build_report = boom\n",
}
"""Where a failure is injected: the real CLI, with one function replaced by ``boom``."""


@pytest.mark.parametrize("where", sorted(FAILING))
def test_unexpected_exception_is_one_line_and_exit_2(tmp_path: Path, where: str) -> None:
    write(tmp_path, "train.py", "import torch\ntorch.cuda.synchronize()\n")
    prelude = "def boom(*args, **kwargs):\n    raise RuntimeError('injected')\n"
    program = prelude + FAILING[where] + "from portcheck.cli import main\nmain()\n"
    result = subprocess.run(
        [sys.executable, "-c", program, "check", "--no-cache", "train.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "portcheck: internal error while processing train.py: RuntimeError: injected; "
        "please report it (PORTCHECK_TRACEBACK=1 shows the details)"
    ]


def test_a_bug_in_a_worker_names_the_file_it_was_on(tmp_path: Path) -> None:
    write(tmp_path, "train.py", "import torch\ntorch.cuda.synchronize()\n")
    for number in range(70):  # a large run: the workers read the files
        write(tmp_path, f"other{number:02}.py", "print('no accelerator')\n")
    program = (
        "import portcheck.schedule as m\n"
        "read = m.read_source\n"
        "def failing(path, *args):\n"
        "    if path.name == 'train.py':\n"
        "        raise RuntimeError('injected')\n"
        "    return read(path, *args)\n"
        "m.read_source = failing\n"
        "from portcheck.cli import main\nmain()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, "check", "--no-cache", "-j", "2", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "portcheck: internal error while processing train.py: RuntimeError: injected; "
        "please report it (PORTCHECK_TRACEBACK=1 shows the details)"
    ]
