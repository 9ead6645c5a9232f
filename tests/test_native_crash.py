"""libcst's native parser can kill its process: such input is guarded against, and what
gets through costs one file in every mode (a few files, ``--fix``, stdin, the LSP).

Every case runs the real CLI in a subprocess with a timeout: a crash there is a signal,
not an exception, and a hang must fail the test rather than the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write

TIMEOUT = 120
CUDA = "import torch\ntorch.cuda.synchronize()\n"
CRASHING = (
    "import libcst, os, signal\n"
    "_parse = libcst.parse_module\n"
    "def parse_module(text, *args, **kwargs):\n"
    "    if 'crash_here' in text:\n"
    "        os.kill(os.getpid(), signal.SIGSEGV)\n"
    "    return _parse(text, *args, **kwargs)\n"
    "libcst.parse_module = parse_module\n"
)
"""A libcst whose parser dies of SIGSEGV on a marked file, as it does on hostile input
that no guard foresaw."""


def portcheck(
    cwd: Path, *args: str, stdin: bytes = b"", crashing: bool = False
) -> subprocess.CompletedProcess[bytes]:
    prelude = CRASHING if crashing else ""
    command = [sys.executable, "-c", prelude + "from portcheck.cli import main; main()", *args]
    return subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, timeout=TIMEOUT)


@pytest.mark.parametrize(
    "chain",
    [
        "x = torch" + ".cuda" * 7000,
        "x = 1" + " + 1" * 12000,
        "x = 1" + " and 1" * 20000,
        "x = torch" + ".cuda()" * 300,
        "x = torch" + ".cuda" * 7000 + '\nprint "python 2"',
    ],
    ids=["attributes", "additions", "booleans", "calls", "syntax-error"],
)
def test_deep_chain_is_skipped_with_one_diagnostic(tmp_path: Path, chain: str) -> None:
    write(tmp_path, "deep.py", CUDA + chain + "\n")
    write(tmp_path, "good.py", CUDA)
    result = portcheck(tmp_path, "check", "--no-cache", "--format", "json", "deep.py", "good.py")
    report = json.loads(result.stdout)
    assert result.returncode == 1, result.stderr
    assert [d["code"] for d in report["diagnostics"]] == ["too-deeply-nested"]
    assert [f["path"] for f in report["findings"]] == ["good.py"]


def test_a_crashing_parse_costs_one_file_in_a_small_run(tmp_path: Path) -> None:
    write(tmp_path, "bad.py", CUDA + "crash_here = 1\n")
    write(tmp_path, "good.py", CUDA)
    result = portcheck(tmp_path, "check", "--no-cache", "--format", "json", ".", crashing=True)
    report = json.loads(result.stdout)
    assert [(d["path"], d["code"]) for d in report["diagnostics"]] == [
        ("bad.py", "analyzer-crashed")
    ]
    assert [f["path"] for f in report["findings"]] == ["good.py"]


def test_fix_on_a_tree_with_a_crashing_file_fixes_the_others(tmp_path: Path) -> None:
    for number in range(70):
        write(tmp_path, f"ok{number:02}.py", CUDA)
    write(tmp_path, "bad.py", CUDA + "crash_here = 1\n")
    result = portcheck(
        tmp_path, "check", "--fix", "-j", "2", "--format", "json", ".", crashing=True
    )
    assert b"Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert [(d["path"], d["code"]) for d in report["diagnostics"]] == [
        ("bad.py", "analyzer-crashed")
    ]
    assert report["summary"]["fixed"] == 70
    assert (tmp_path / "bad.py").read_text() == CUDA + "crash_here = 1\n"
    assert "torch.npu.synchronize()" in (tmp_path / "ok69.py").read_text()


def test_fix_of_one_crashing_file_reports_it(tmp_path: Path) -> None:
    write(tmp_path, "bad.py", CUDA + "crash_here = 1\n")
    result = portcheck(tmp_path, "check", "--fix", "--format", "json", "bad.py", crashing=True)
    report = json.loads(result.stdout)
    assert [d["code"] for d in report["diagnostics"]] == ["analyzer-crashed"]
    assert (tmp_path / "bad.py").read_text() == CUDA + "crash_here = 1\n"


@pytest.mark.parametrize("fix", [False, True])
def test_a_crashing_parse_of_stdin_is_a_diagnostic(tmp_path: Path, fix: bool) -> None:
    source = (CUDA + "crash_here = 1\n").encode()
    args = ["check", "-", "--stdin-filename", "x.py", "--format", "json"]
    result = portcheck(tmp_path, *args, *(["--fix"] if fix else []), stdin=source, crashing=True)
    assert b"analyzer-crashed" in (result.stderr if fix else result.stdout)
    if fix:  # an editor replaces its buffer with standard output: the input comes back
        assert result.stdout == source


def test_lsp_survives_a_crashing_parse(tmp_path: Path) -> None:
    pytest.importorskip("pygls", reason="the lsp extra is not installed")
    from test_lsp import Client

    command = [sys.executable, "-c", CRASHING + "from portcheck.cli import main; main()", "lsp"]
    client = Client(tmp_path, command)
    try:
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        bad = (tmp_path / "bad.py").as_uri()
        good = (tmp_path / "good.py").as_uri()
        for uri, text in ((bad, CUDA + "crash_here = 1\n"), (good, CUDA)):
            item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
            client.notify("textDocument/didOpen", {"textDocument": item})
        assert client.diagnostics(bad, 1) == []
        assert [d["code"] for d in client.diagnostics(good, 1)] == ["PC001"]
        assert client.process.poll() is None
    finally:
        client.close()


def _children(pid: int) -> set[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(child) for child in listed.split()}


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_pool_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    for number in range(300):
        write(tmp_path, f"m{number:03}.py", CUDA * 20)
    command = [sys.executable, "-c", "from portcheck.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "check", "--no-cache", "-j", "2", "."],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + TIMEOUT
    workers: set[int] = set()
    while not workers and process.poll() is None and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.05)
    if not workers:
        process.kill()
        pytest.skip("the run ended before its pool started")
    process.kill()
    process.wait(TIMEOUT)
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.1)
    alive = [w for w in workers if Path(f"/proc/{w}/status").exists()]
    zombies = [w for w in alive if "zombie" in Path(f"/proc/{w}/status").read_text()]
    assert alive == zombies, "pool workers outlived their parent"
