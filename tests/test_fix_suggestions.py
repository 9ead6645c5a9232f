"""Every ``rewrite`` and ``blocker`` finding says what to do on Ascend."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, check_json, write

from portcheck.knowledge import load_knowledge

ACTION_WORDS = ("ascend", "npu", "cuda-only", "cann")


def _needs_action(finding: dict[str, object]) -> bool:
    return finding["category"] in ("rewrite", "blocker")


def _says_what_to_do(suggestion: object) -> bool:
    return isinstance(suggestion, str) and any(word in suggestion.lower() for word in ACTION_WORDS)


def test_every_rewrite_and_blocker_in_the_example_repo_has_a_suggestion(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "example_repo", tmp_path / "repo")
    _, report = check_json(".", cwd=tmp_path / "repo")
    needing = [f for f in report["findings"] if _needs_action(f)]
    assert len(needing) > 20
    assert [f for f in needing if not _says_what_to_do(f["suggestion"])] == []


def test_every_cuda_only_package_declared_gets_its_ascend_path(tmp_path: Path) -> None:
    facts = load_knowledge(None).package_facts()
    write(tmp_path, "requirements.txt", "".join(f"{fact.distribution}\n" for fact in facts))
    _, report = check_json(".", cwd=tmp_path)
    by_package = {f["api"]: f for f in report["findings"] if _needs_action(f)}
    expected = {fact.distribution for fact in facts if fact.category in ("rewrite", "blocker")}
    assert set(by_package) == expected
    for fact in facts:
        finding = by_package.get(fact.distribution)
        if finding is None:
            continue
        assert _says_what_to_do(finding["suggestion"]), finding
        if fact.alternative:
            assert fact.alternative in finding["suggestion"]
