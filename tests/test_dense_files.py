"""A file with many findings costs each finding a constant amount of work, not a walk
of the whole file or a new visitor class per finding."""

from __future__ import annotations

from pathlib import Path

from conftest import write

from portcheck.analyze import Analyzer
from portcheck.discover import SourceFile
from portcheck.fastcst.walk import callback_names
from portcheck.knowledge import default_target
from portcheck.registry import all_rules

LINES = 300


def test_each_finding_plans_no_visitor_class_of_its_own(tmp_path: Path) -> None:
    """The comment check of every fix, and the CUDA-only test of every gate, used to make
    a visitor class per call: the walk then read each new class with ``dir()`` (8 ms a
    fix, 2,000 fixes 55 s of 63) and kept it in its cache for ever. In-process, where
    the cache can be seen (the CLI analyses in a forked child)."""
    body = "".join(
        f"if torch.cuda.is_available():\n    triton_kernel_{i}()\n"
        if i % 3 == 0
        else "torch.cuda.synchronize()\n"
        for i in range(LINES)
    )
    path = write(tmp_path, "dense.py", "import torch\n" + body)
    analyzer = Analyzer(target=default_target(), rule_ids=tuple(r.id for r in all_rules()))
    before = callback_names.cache_info().currsize
    result = analyzer.analyze_file(SourceFile(path, "dense.py", "python"))
    assert len(result.findings) == LINES
    assert sum(finding.fixable for finding in result.findings) == LINES * 2 // 3
    assert len(result.replacements) == LINES * 2 // 3
    assert callback_names.cache_info().currsize - before < 20
