"""The derived views of a report that the audit formats share: score, effort, areas, inventory.

Computed once per report so that the JSON, HTML and Markdown outputs agree to the digit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from portcheck.discover import VENDORED_SKIPPED
from portcheck.inventory import Inventory, build_inventory
from portcheck.knowledge import Knowledge, UnknownTargetError, load_knowledge
from portcheck.model import Diagnostic, Finding
from portcheck.run import Report
from portcheck.score import Area, Bucket, Score, by_directory, by_file, effort, native_lines


@dataclass(frozen=True)
class BlockerGroup:
    """Every occurrence of one blocking API, with the native code behind it."""

    api: str
    message: str
    suggestion: str | None
    findings: tuple[Finding, ...]

    @property
    def native_lines(self) -> int:
        return sum(native_lines(finding) for finding in self.findings)


def blocker_groups(findings: Iterable[Finding]) -> tuple[BlockerGroup, ...]:
    """Blockers grouped by API, biggest first: native code size, then occurrences."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.category == "blocker":
            grouped[finding.api].append(finding)
    groups = [
        BlockerGroup(api, items[0].message, items[0].suggestion, tuple(items))
        for api, items in grouped.items()
    ]
    return tuple(
        sorted(groups, key=lambda group: (-group.native_lines, -len(group.findings), group.api))
    )


BEYOND_NAMES_RULES = frozenset({"PC012", "PC013", "PC014", "PC015", "PC016"})
"""Rules about what runs on the chip (op and dtype coverage, run-time behaviour), not about
CUDA names: the audit shows them apart, in the two groups of :data:`BEYOND_NAMES_GROUPS`."""
BEYOND_NAMES_GROUPS = (
    ("Needs work", ("blocker", "rewrite")),
    ("Runs, but not as on CUDA", ("caution", "auto")),
)


@dataclass(frozen=True)
class ApiGroup:
    """Every occurrence of one API of the beyond-names rules."""

    api: str
    category: str
    message: str
    findings: tuple[Finding, ...]


def beyond_names(findings: Iterable[Finding]) -> tuple[tuple[str, tuple[ApiGroup, ...]], ...]:
    """(group title, its APIs, most used first) for the findings of the beyond-names rules;
    a group with no API is left out."""
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.rule in BEYOND_NAMES_RULES:
            grouped[(finding.api, finding.category)].append(finding)
    out = []
    for title, categories in BEYOND_NAMES_GROUPS:
        groups = [
            ApiGroup(api, category, items[0].message, tuple(items))
            for (api, category), items in grouped.items()
            if category in categories
        ]
        if groups:
            groups.sort(key=lambda group: (-len(group.findings), group.api))
            out.append((title, tuple(groups)))
    return tuple(out)


@dataclass(frozen=True)
class Audit:
    report: Report
    score: Score
    effort: tuple[Bucket, ...]
    root: str
    directories: tuple[Area, ...]
    files: tuple[Area, ...]
    inventory: Inventory

    @property
    def blockers(self) -> tuple[BlockerGroup, ...]:
        return blocker_groups(self.report.findings)

    @property
    def beyond_names(self) -> tuple[tuple[str, tuple[ApiGroup, ...]], ...]:
        return beyond_names(self.report.findings)

    def to_json(self) -> dict[str, Any]:
        """The JSON report's audit fields (added to the contract, never renamed)."""
        return {
            "effort": [bucket_json(bucket) for bucket in self.effort],
            "breakdown": {
                "root": self.root,
                "directories": [area_json(area) for area in self.directories],
                "files": [area_json(area) for area in self.files],
            },
            "inventory": self.inventory.to_json(),
        }


def vendored_skipped(report: Report) -> list[Diagnostic]:
    """The vendored trees the run skipped, one each with its file count (the audits name
    them, so that a skip is never silent)."""
    return [d for d in report.diagnostics if d.code == VENDORED_SKIPPED]


def plural(count: int, noun: str) -> str:
    """``1 blocker``, ``1,234 blockers``: counts as the audit pages print them."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _knowledge(target: str) -> Knowledge | None:
    """The target's knowledge, or None for a report of a release this version lacks."""
    try:
        return load_knowledge(target)
    except UnknownTargetError:
        return None


def audit(report: Report) -> Audit:
    root, directories = by_directory(report.findings)
    return Audit(
        report=report,
        score=report.score,
        effort=effort(report.findings),
        root=root,
        directories=directories,
        files=by_file(report.findings),
        inventory=build_inventory(report.findings, _knowledge(report.target)),
    )


def area_json(area: Area) -> dict[str, Any]:
    return {
        "name": area.name,
        "score": area.score.per_api,
        "score_per_occurrence": area.score.per_occurrence,
        "findings": area.findings,
        "by_category": area.by_category,
        "fixable": area.fixable,
        "native_lines": area.native_lines,
    }


def bucket_json(bucket: Bucket) -> dict[str, Any]:
    return {
        "bucket": bucket.key,
        "label": bucket.label,
        "findings": bucket.findings,
        "apis": bucket.apis,
        "files": bucket.files,
        "native_lines": bucket.native_lines,
    }
