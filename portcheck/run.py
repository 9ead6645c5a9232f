"""One ``portcheck check`` run from paths to a :class:`Report`, with no output side effects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from portcheck import __version__
from portcheck.analyze import Analyzer
from portcheck.cache import ResultCache
from portcheck.discover import DEFAULT_EXCLUDES, discover
from portcheck.knowledge.chips import DEFAULT_CHIP
from portcheck.model import CATEGORIES, Diagnostic, FileResult, Finding
from portcheck.schedule import Progress, analyze_files
from portcheck.score import Score, score
from portcheck.shard import Shard

if TYPE_CHECKING:
    from portcheck.fix.replacements import Replacements


@dataclass(frozen=True)
class Report:
    """Everything a formatter needs; ``findings`` are the ones the user asked to see."""

    target: str
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]
    files_checked: int
    files_parsed: int = 0
    extra_summary: dict[str, int] = field(default_factory=dict)
    version: str = __version__
    suppressed: tuple[Finding, ...] = ()
    """Findings hidden by ``# portcheck: ignore`` comments: counted, and marked in SARIF."""
    chip: str = DEFAULT_CHIP
    """The Ascend product checked for (operator and dtype coverage depend on it)."""
    hidden_by_baseline: int = 0
    outside_diff: int = 0
    """Findings on lines that did not change since ``--diff-base``."""
    handled: tuple[Finding, ...] = ()
    """Touchpoints in code that already covers NPU (:mod:`portcheck.handled`): listed
    apart from ``findings``, so they are never scored, gated or fixed."""
    fix_replacements: Mapping[Finding, Replacements] = field(default_factory=dict)
    """Each fixable finding's own fix as line replacements, from the analysis (SARIF)."""

    @property
    def score(self) -> Score:
        return score(self.findings)

    def counts(self) -> dict[str, int]:
        counted = Counter(finding.category for finding in self.findings)
        return {category: counted.get(category, 0) for category in CATEGORIES}

    @property
    def fixable(self) -> int:
        return sum(1 for finding in self.findings if finding.fixable)


def collect(
    analyzer: Analyzer,
    paths: Sequence[Path],
    root: Path,
    excludes: Sequence[str] = (),
    jobs: int | None = None,
    default_excludes: Sequence[str] = DEFAULT_EXCLUDES,
    progress: Progress | None = None,
    cache: ResultCache | None = None,
    shard: Shard | None = None,
) -> tuple[list[FileResult], list[Diagnostic]]:
    files, diagnostics = discover(paths, root, excludes, default_excludes)
    analyzer = analyzer.with_project(files)
    if shard is not None:
        files, diagnostics = shard.select(files, diagnostics)
    if cache is not None:
        cache = cache.for_project(analyzer.project.digest)
    return analyze_files(analyzer, files, jobs, progress, cache), diagnostics


def build_report(
    target: str,
    results: Sequence[FileResult],
    discovery_diagnostics: Sequence[Diagnostic],
    chip: str = DEFAULT_CHIP,
) -> Report:
    findings = [finding for result in results for finding in result.findings]
    diagnostics = [*discovery_diagnostics]
    for result in results:
        diagnostics.extend(result.diagnostics)
    return Report(
        target=target,
        chip=chip,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        diagnostics=tuple(sorted(diagnostics, key=Diagnostic.sort_key)),
        files_checked=len(results),
        files_parsed=sum(1 for result in results if result.parsed),
        handled=tuple(
            sorted((found for result in results for found in result.handled), key=Finding.sort_key)
        ),
        fix_replacements={
            finding: changes
            for result in results
            for finding, changes in result.replacements.items()
        },
    )
