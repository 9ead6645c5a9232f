"""A worker process that dies costs one file, not the run: the file gets a diagnostic and
every other file is still analysed."""

from __future__ import annotations

import os
from pathlib import Path

import libcst as cst
import pytest
from conftest import write

from portcheck import registry
from portcheck.analyze import Analyzer
from portcheck.discover import discover
from portcheck.knowledge import default_target
from portcheck.rule import Rule
from portcheck.schedule import POOL_MIN_FILES, analyze_files


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


def test_a_dying_worker_costs_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: (_CrashingRule,))
    for number in range(POOL_MIN_FILES + 3):
        write(tmp_path, f"ok{number}.py", "cuda_call()\n")
    write(tmp_path, "bad.py", "crash_here()\n")
    files, _ = discover([tmp_path], tmp_path)
    analyzer = Analyzer(target=default_target(), rule_ids=("PX998",), use_prefilter=False)

    results = {result.path: result for result in analyze_files(analyzer, files, jobs=2)}

    assert [d.code for d in results["bad.py"].diagnostics] == ["analyzer-crashed"]
    assert len(results) == POOL_MIN_FILES + 4
    for number in range(POOL_MIN_FILES + 3):
        assert [f.api for f in results[f"ok{number}.py"].findings] == ["cuda_call"]
