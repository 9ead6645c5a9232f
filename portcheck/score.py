"""The readiness score: 0–100, derived from findings alone so any report can be re-scored.

    penalty  = Σ weight(category)            (per distinct API, or per occurrence)
    score    = 100 × K / (K + penalty)       rounded to one decimal

with weights auto 0.5, caution 1, rewrite 4, blocker 10, and K = 50 for the per-API
view, 200 for the per-occurrence view. No finding gives 100; adding a finding never
raises the score (a new one lowers it, up to the rounding); a blocker lowers it the most;
a codebase whose touchpoints are all ``auto`` stays high before ``portcheck check --fix``
and reaches 100 after it.
The per-API view counts ``torch.cuda.synchronize`` used 1000 times once, so it is
stable while a team fixes call sites; it is the one the gate (``--fail-under``) uses.

Findings of hygiene rules (PC900, an unused suppression comment) do not count.

The same findings also say how big the work is (effort buckets) and where it is (the
score of each file and of each top-level directory), so the audit points at code.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from portcheck.model import CATEGORIES, Finding

WEIGHTS = {"auto": 0.5, "caution": 1.0, "rewrite": 4.0, "blocker": 10.0}
PER_API_SCALE = 50.0
PER_OCCURRENCE_SCALE = 200.0

NOT_TOUCHPOINTS = frozenset({"PC900"})
"""Rules about portcheck's own hygiene (an unused suppression), not about CUDA: they are
reported and gate like any finding but say nothing about readiness, so they do not score."""

ROOT_AREA = "."
"""The area of files that sit directly in the common root of all findings."""


@dataclass(frozen=True)
class Score:
    per_api: float
    per_occurrence: float

    @property
    def gate(self) -> float:
        return self.per_api


def _from_penalty(penalty: float, scale: float) -> float:
    return round(100.0 * scale / (scale + penalty), 1)


def score(findings: Iterable[Finding]) -> Score:
    findings = [finding for finding in findings if finding.rule not in NOT_TOUCHPOINTS]
    distinct = {(finding.api, finding.category) for finding in findings}
    per_api = sum(WEIGHTS[category] for _, category in distinct)
    per_occurrence = sum(WEIGHTS[finding.category] for finding in findings)
    return Score(
        per_api=_from_penalty(per_api, PER_API_SCALE),
        per_occurrence=_from_penalty(per_occurrence, PER_OCCURRENCE_SCALE),
    )


@dataclass(frozen=True)
class Bucket:
    """One size of work: how many findings, distinct APIs and files it covers.

    ``native_lines`` (lines of CUDA C++ code) is only non-zero for blockers: a ``.cu``
    file is one finding but can be weeks of work, so its size is shown beside it.
    """

    key: str
    label: str
    findings: int
    apis: int
    files: int
    native_lines: int = 0


BUCKETS: tuple[tuple[str, str], ...] = (
    ("fix", "fixed by --fix"),
    ("manual", "small manual edits"),
    ("rewrite", "rewrites"),
    ("blocker", "blockers"),
)


def bucket_of(finding: Finding) -> str:
    """The effort bucket of one finding; a blocker stays a blocker even if fixable."""
    if finding.category == "blocker":
        return "blocker"
    if finding.fixable:
        return "fix"
    if finding.category == "rewrite":
        return "rewrite"
    return "manual"


def native_lines(finding: Finding) -> int:
    """Lines of native code behind a finding (PC007 carries them in ``native_lines``)."""
    value = finding.extra.get("native_lines", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def effort(findings: Iterable[Finding]) -> tuple[Bucket, ...]:
    """The four effort buckets, in order from free to hardest, always all four."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[bucket_of(finding)].append(finding)
    return tuple(
        Bucket(
            key=key,
            label=label,
            findings=len(grouped[key]),
            apis=len({finding.api for finding in grouped[key]}),
            files=len({finding.path for finding in grouped[key]}),
            native_lines=sum(native_lines(finding) for finding in grouped[key]),
        )
        for key, label in BUCKETS
    )


@dataclass(frozen=True)
class Area:
    """A file or a top-level directory with the score of its own findings."""

    name: str
    score: Score
    findings: int
    by_category: dict[str, int]
    fixable: int
    native_lines: int

    @property
    def blockers(self) -> int:
        return self.by_category["blocker"]


def _area(name: str, findings: Sequence[Finding]) -> Area:
    return Area(
        name=name,
        score=score(findings),
        findings=len(findings),
        by_category={
            category: sum(1 for finding in findings if finding.category == category)
            for category in CATEGORIES
        },
        fixable=sum(1 for finding in findings if finding.fixable),
        native_lines=sum(native_lines(finding) for finding in findings),
    )


def common_root(paths: Iterable[str]) -> str:
    """The deepest directory that holds every path ('' when they share none)."""
    directories = {posixpath.dirname(path) for path in paths}
    if not directories:
        return ""
    return posixpath.commonpath(sorted(directories)) if "" not in directories else ""


def top_level(path: str, root: str) -> str:
    """The first directory of ``path`` below ``root``, or ``.`` for a file in ``root``."""
    relative = posixpath.relpath(path, root) if root else path
    head, _, rest = relative.partition("/")
    return head if rest else ROOT_AREA


def _by_worst(areas: Iterable[Area]) -> tuple[Area, ...]:
    """Worst first (lowest score), then most findings, then name: a stable order."""
    return tuple(sorted(areas, key=lambda area: (area.score.per_api, -area.findings, area.name)))


def by_file(findings: Iterable[Finding]) -> tuple[Area, ...]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.path].append(finding)
    return _by_worst(_area(name, items) for name, items in grouped.items())


def by_directory(findings: Iterable[Finding]) -> tuple[str, tuple[Area, ...]]:
    """The common root of the findings and one area per top-level directory below it.

    The root is computed from the findings, so ``portcheck check src/`` groups by the
    packages inside ``src/``, and a merge of prefixed reports groups by repository.
    """
    findings = list(findings)
    root = common_root(finding.path for finding in findings)
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[top_level(finding.path, root)].append(finding)
    return root, _by_worst(_area(name, items) for name, items in grouped.items())
