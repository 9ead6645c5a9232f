"""The fast path's switch and its fallback: libcst's public API alone gives the same report.

The real CLI runs in a subprocess on the fixtures: with the fast path, with
``PORTCHECK_FAST_PATH=0``, with ``--no-fast-path``, and with a libcst that seems to have
moved one of the private names the fast path uses (the guard's table is patched before
the CLI starts), which must warn once and give the same findings and fixes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import libcst as cst
import pytest
from conftest import FIXTURES
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from portcheck.fastcst import libcst_internals
from portcheck.fastcst.libcst_internals import SWITCH, fast_path, internals, swapped
from portcheck.fastcst.metadata import seed
from portcheck.fastcst.parsing import parse_module
from portcheck.fastcst.walk import read_only_visits

MOVED_NAME = (
    "from portcheck.fastcst import libcst_internals as guard; "
    "guard.PRIVATE_NAMES['batched_visitor'] = ('libcst._batched_visitor', '_MovedAway'); "
)
"""Run before the CLI: the batched visitor seems to have been renamed in libcst."""


def _portcheck(
    *args: str, switch: str | None = None, before: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != SWITCH}
    if switch is not None:
        env[SWITCH] = switch
    code = f"{before}from portcheck.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=FIXTURES,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


CHECK = ("check", ".", "--no-cache", "--format", "json", "--exit-zero", "-j", "2")
DIFF = ("check", ".", "--diff", "--unsafe-fixes", "-j", "2")
SARIF = ("check", ".", "--no-cache", "--format", "sarif", "--exit-zero", "-j", "2")
"""SARIF holds each fix's replacements, which off the fast path are placed statement by
statement through libcst's public code generation (``positions._public_statement_code``)."""


@pytest.fixture(scope="module")
def fast() -> dict[str, str]:
    outputs = (("check", CHECK), ("diff", DIFF), ("sarif", SARIF))
    runs = {name: _portcheck(*args) for name, args in outputs}
    for run in runs.values():
        assert run.returncode in (0, 1), run.stderr
    return {name: run.stdout for name, run in runs.items()}


def test_the_fixtures_have_findings_and_fixes(fast: dict[str, str]) -> None:
    assert '"rule"' in fast["check"]
    assert fast["diff"].startswith("---")
    assert '"fixes"' in fast["sarif"]


@pytest.mark.parametrize("name", ["check", "diff", "sarif"])
def test_switched_off_the_report_is_the_same(fast: dict[str, str], name: str) -> None:
    args = {"check": CHECK, "diff": DIFF, "sarif": SARIF}[name]
    plain = _portcheck(*args, switch="0")
    assert plain.stderr.count("warning") == 0
    assert plain.stdout == fast[name]


def test_the_option_is_the_switch(fast: dict[str, str]) -> None:
    assert _portcheck(*CHECK, "--no-fast-path").stdout == fast["check"]


@pytest.mark.parametrize("args", [CHECK, DIFF], ids=["findings", "fixes"])
def test_a_moved_private_name_falls_back_with_one_warning(
    fast: dict[str, str], args: tuple[str, ...]
) -> None:
    moved = _portcheck(*args, before=MOVED_NAME)
    assert moved.returncode in (0, 1), moved.stderr
    assert moved.stderr.count("portcheck: warning: libcst") == 1, moved.stderr
    assert "_MovedAway" in moved.stderr
    assert moved.stdout == fast["check" if args is CHECK else "diff"]


@pytest.fixture
def moved_name(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In this process: libcst seems to lack ``CodegenState`` (cache of the guard reset)."""
    monkeypatch.delenv(SWITCH, raising=False)
    monkeypatch.setitem(
        libcst_internals.PRIVATE_NAMES, "codegen_state", ("libcst._nodes.internal", "_Gone")
    )
    internals.cache_clear()
    yield
    internals.cache_clear()


@pytest.mark.usefixtures("moved_name")
def test_without_the_private_names_nothing_is_patched(capsys: pytest.CaptureFixture[str]) -> None:
    assert not fast_path()
    assert capsys.readouterr().err.count("warning") == 1
    assert not fast_path()
    assert capsys.readouterr().err == ""  # warned once
    module = cst.parse_module("import torch\ntorch.cuda.synchronize()\n")
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    libcst_visit = cst.CSTNode.__dict__["visit"]
    with read_only_visits() as faster:
        assert not faster
        assert cst.CSTNode.__dict__["visit"] is libcst_visit
        seed(wrapper)
    assert not libcst_internals.metadata_store(wrapper)  # libcst computes it all
    assert len(wrapper.resolve(ParentNodeProvider)) > 0


def test_the_switch_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("0", "off", "False", " no "):
        monkeypatch.setenv(SWITCH, value)
        assert not fast_path()
    monkeypatch.setenv(SWITCH, "1")
    assert fast_path() == (internals() is not None)


class _Boom(Exception):
    pass


def test_a_swap_comes_back_after_an_error_and_when_the_last_overlap_ends() -> None:
    original = cst.CSTNode.__post_init__
    with pytest.raises(_Boom), swapped(cst.CSTNode, "__post_init__", lambda node: None):
        with swapped(cst.CSTNode, "__post_init__", lambda node: None):
            cst.Name("")  # not validated
        assert cst.CSTNode.__post_init__ is not original  # the outer block still holds it
        raise _Boom
    assert cst.CSTNode.__post_init__ is original
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def (:\n")
    assert cst.CSTNode.__post_init__ is original
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
