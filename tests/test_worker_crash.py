"""A worker process that dies costs one file, not the run: the file gets a diagnostic and
every other file is still analysed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import libcst as cst
import pytest
from conftest import write

from portcheck import registry
from portcheck.analyze import Analyzer
from portcheck.discover import discover
from portcheck.isolate import die_with_parent
from portcheck.knowledge import default_target
from portcheck.rule import Rule
from portcheck.schedule import IN_PROCESS_LIMIT, POOL_MIN_FILES, analyze_files


class _CrashingRule(Rule):
    """Kills its process on a name, as a crash in native parser code would."""

    id = "PX998"
    name = "crashes"
    summary = "test rule"
    category = "blocker"

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "crash_here":
            os._exit(70)
        if node.value == "cuda_call":
            self.report(node, api="cuda_call", message="found")


@pytest.mark.parametrize(
    ("good", "bad", "jobs"),
    [
        (POOL_MIN_FILES + 3, 1, 2),
        (IN_PROCESS_LIMIT + 40, 2, 2),
        (IN_PROCESS_LIMIT, 1, 1),
    ],
    ids=["small-run", "large-run", "large-run-one-job"],
)
def test_a_dying_worker_costs_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, good: int, bad: int, jobs: int
) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: (_CrashingRule,))
    for number in range(good):
        write(tmp_path, f"ok{number}.py", "cuda_call()\n" * (number % 7 + 1))
    for number in range(bad):
        write(tmp_path, f"bad{number}.py", "crash_here()\n" * (number * 50 + 1))
    files, _ = discover([tmp_path], tmp_path)
    analyzer = Analyzer(target=default_target(), rule_ids=("PX998",), use_prefilter=False)

    results = {result.path: result for result in analyze_files(analyzer, files, jobs=jobs)}

    assert len(results) == good + bad
    for number in range(bad):
        assert [d.code for d in results[f"bad{number}.py"].diagnostics] == ["analyzer-crashed"]
    for number in range(good):
        assert len(results[f"ok{number}.py"].findings) == number % 7 + 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_worker_started_after_its_parent_died_exits() -> None:
    """The kill of a run just as its pool starts: the worker finds another parent than
    the one that started it, and must not wait forever for work."""
    pid = os.fork()
    if pid == 0:  # the worker, told a parent it does not have
        die_with_parent(os.getppid() + 100_000)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_worker_of_a_living_parent_goes_on() -> None:
    pid = os.fork()
    if pid == 0:
        die_with_parent(os.getppid())
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
