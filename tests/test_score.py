"""The readiness score's principles, checked as properties over many synthetic findings.

Seeded random codebases stand in for a property-testing library: every property is
checked on a few hundred different sets of findings, reproducibly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, check_json, run_cli, write

from portcheck.model import CATEGORIES, Finding
from portcheck.score import (
    ROOT_AREA,
    WEIGHTS,
    bucket_of,
    by_directory,
    by_file,
    common_root,
    effort,
    score,
)

APIS = [f"lib{index}.api{index}" for index in range(12)]
PATHS = ["train.py", "pkg/model.py", "pkg/sub/ops.py", "kernels/k.cu", "tools/run.py"]


def make_finding(
    rng: random.Random, category: str | None = None, api: str | None = None
) -> Finding:
    category = category or rng.choice(CATEGORIES)
    extra = {"native_lines": rng.randint(1, 500)} if rng.random() < 0.1 else {}
    return Finding(
        path=rng.choice(PATHS),
        line=rng.randint(1, 300),
        column=1,
        end_line=1,
        end_column=2,
        rule="PC001",
        api=api or rng.choice(APIS),
        category=category,  # type: ignore[arg-type]
        message="m",
        suggestion=None,
        fixable=category == "auto" and rng.random() < 0.6,
        evidence="e",
        extra=extra,
    )


def codebases(count: int = 200) -> Iterator[tuple[random.Random, list[Finding]]]:
    for seed in range(count):
        rng = random.Random(seed)
        yield rng, [make_finding(rng) for _ in range(rng.randint(0, 40))]


def test_no_finding_scores_100_in_both_views() -> None:
    result = score([])
    assert (result.per_api, result.per_occurrence, result.gate) == (100.0, 100.0, 100.0)
    assert [bucket.findings for bucket in effort([])] == [0, 0, 0, 0]


def test_example_without_cuda_scores_100_through_the_cli() -> None:
    _, report = check_json("lookalikes", cwd=FIXTURES)
    assert report["score"] == 100.0
    assert report["scores"]["per_occurrence"] == 100.0


def test_scores_stay_between_0_and_100_and_are_deterministic() -> None:
    for rng, findings in codebases():
        shuffled = findings[:]
        rng.shuffle(shuffled)
        result = score(findings)
        assert 0 < result.per_api <= 100 and 0 < result.per_occurrence <= 100
        assert score(shuffled) == result
        assert effort(shuffled) == effort(findings)
        assert by_file(shuffled) == by_file(findings)
        assert by_directory(shuffled) == by_directory(findings)


def test_adding_any_finding_never_raises_either_score() -> None:
    for rng, findings in codebases():
        before = score(findings)
        after = score([*findings, make_finding(rng)])
        assert after.per_api <= before.per_api
        assert after.per_occurrence <= before.per_occurrence


def _drops(rng: random.Random, findings: list[Finding]) -> dict[str, tuple[float, float]]:
    """How much one finding of a never-seen API lowers each view, per category."""
    before = score(findings)
    drops = {}
    for category in CATEGORIES:
        after = score([*findings, make_finding(rng, category, "fresh.never_seen")])
        drops[category] = (
            before.per_api - after.per_api,
            before.per_occurrence - after.per_occurrence,
        )
    return drops


def test_a_blocker_lowers_the_score_at_least_as_much_as_any_other_finding() -> None:
    for rng, findings in codebases():
        drops = _drops(rng, findings)
        for category in CATEGORIES:
            assert drops["blocker"][0] >= drops[category][0] >= 0, category
            assert drops["blocker"][1] >= drops[category][1] >= 0, category


def test_on_a_clean_codebase_every_category_lowers_the_score_blocker_most() -> None:
    drops = _drops(random.Random(4), [])
    for view in (0, 1):
        ordered = sorted(CATEGORIES, key=lambda category: drops[category][view])
        assert ordered == ["auto", "caution", "rewrite", "blocker"]
        assert drops["auto"][view] > 0


def test_per_api_view_counts_a_heavily_used_api_once() -> None:
    rng = random.Random(1)
    once = [make_finding(rng, "rewrite", "flash_attn.flash_attn_func")]
    thousand = once * 1000
    assert score(thousand).per_api == score(once).per_api
    assert score(thousand).per_occurrence < score(once).per_occurrence


def test_only_auto_findings_score_high_before_fix_and_100_after() -> None:
    rng = random.Random(2)
    findings = [make_finding(rng, "auto", f"torch.cuda.api{index}") for index in range(10)]
    assert score(findings).per_api >= 90
    assert score([finding for finding in findings if finding.category != "auto"]).per_api == 100


def test_weights_put_blockers_first() -> None:
    assert max(WEIGHTS, key=WEIGHTS.__getitem__) == "blocker"


def test_every_finding_lands_in_exactly_one_bucket() -> None:
    for _, findings in codebases():
        buckets = {bucket.key: bucket for bucket in effort(findings)}
        assert sum(bucket.findings for bucket in buckets.values()) == len(findings)
        assert buckets["fix"].findings == sum(
            1 for f in findings if f.fixable and f.category != "blocker"
        )
        assert buckets["blocker"].findings == sum(1 for f in findings if f.category == "blocker")
        native = sum(f.extra.get("native_lines", 0) for f in findings if f.category == "blocker")
        assert buckets["blocker"].native_lines == native


@pytest.mark.parametrize(
    ("category", "fixable", "bucket"),
    [
        ("auto", True, "fix"),
        ("caution", True, "fix"),
        ("auto", False, "manual"),
        ("caution", False, "manual"),
        ("rewrite", False, "rewrite"),
        ("blocker", False, "blocker"),
        ("blocker", True, "blocker"),
    ],
)
def test_bucket_follows_category_and_fixability(category: str, fixable: bool, bucket: str) -> None:
    finding = make_finding(random.Random(0), category)
    assert bucket_of(Finding.from_json({**finding.to_json(), "fixable": fixable})) == bucket


def test_each_area_scores_exactly_its_own_findings() -> None:
    for _, findings in codebases():
        root, directories = by_directory(findings)
        assert sum(area.findings for area in directories) == len(findings)
        for area in by_file(findings):
            own = [finding for finding in findings if finding.path == area.name]
            assert area.score == score(own)
            assert area.findings == len(own)
        scores = [area.score.per_api for area in directories]
        assert scores == sorted(scores), "worst area first"


def test_top_level_directories_are_relative_to_the_common_root() -> None:
    rng = random.Random(3)
    findings = [
        Finding.from_json({**make_finding(rng).to_json(), "path": path})
        for path in ("repo/src/a/x.py", "repo/src/b/y.py", "repo/src/top.py")
    ]
    root, areas = by_directory(findings)
    assert root == "repo/src"
    assert sorted(area.name for area in areas) == sorted(["a", "b", ROOT_AREA])
    assert common_root(["x.py", "a/y.py"]) == ""


def test_json_report_adds_buckets_breakdown_and_inventory_consistent_with_summary() -> None:
    _, report = check_json("example_repo", cwd=FIXTURES)
    buckets = {bucket["bucket"]: bucket for bucket in report["effort"]}
    assert list(buckets) == ["fix", "manual", "rewrite", "blocker"]
    assert sum(bucket["findings"] for bucket in buckets.values()) == report["summary"]["findings"]
    assert buckets["fix"]["findings"] == report["summary"]["fixable"]
    assert buckets["blocker"]["native_lines"] == report["inventory"]["native_lines"] > 0
    directories = report["breakdown"]["directories"]
    assert {area["name"] for area in directories} >= {"kernels", "utils", ROOT_AREA}
    assert sum(area["findings"] for area in directories) == report["summary"]["findings"]
    files = {area["name"]: area for area in report["breakdown"]["files"]}
    cu_file = "example_repo/kernels/fused_softmax.cu"
    assert files[cu_file]["native_lines"] == next(
        source["lines"]
        for source in report["inventory"]["native_sources"]
        if source["path"] == cu_file
    )
    # the existing contract is untouched
    assert report["score"] == report["scores"]["per_api"]
    assert report["scores"]["gate"] == "per_api"


def test_text_summary_states_the_effort_buckets_above_the_counts() -> None:
    _, report = check_json("example_repo", cwd=FIXTURES)
    lines = run_cli("check", "example_repo", cwd=FIXTURES).stdout.splitlines()
    effort_line = lines[-3]
    assert effort_line.startswith("Effort: ") and lines[-2].startswith("Found ")
    for bucket in report["effort"]:
        assert f"{bucket['findings']} {bucket['label']}" in effort_line
    assert f"({report['inventory']['native_lines']} lines of CUDA C++)" in effort_line
    clean = run_cli("check", "lookalikes", cwd=FIXTURES).stdout
    assert "Effort:" not in clean


def test_unused_suppression_does_not_lower_the_readiness_score(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\nx = 1  # portcheck: ignore[PC003]\n")
    _, report = check_json("--no-cache", ".", cwd=tmp_path)
    assert [finding["rule"] for finding in report["findings"]] == ["PC900"]
    assert report["score"] == 100.0
