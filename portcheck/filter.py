"""The filter stage: from every finding the rules made to the findings the user asked to see.

In order: per-file ignores drop findings (as ``--ignore`` does for a whole run), inline
suppressions set findings aside (kept, marked, counted) and report the comments that
hid nothing, a diff base drops findings on unchanged lines, and a baseline hides the
findings it already knows. Everything here is a pure function of findings and settings,
so the stage is tested without a file system; it runs before ``--fix``, which fixes only
the findings that come out of it.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from portcheck.baseline import Baseline, absolute, hide
from portcheck.baseline import load as load_baseline
from portcheck.config import PerFileIgnore, Settings
from portcheck.gitdiff import ChangedLines, changed_lines
from portcheck.model import Finding
from portcheck.suppress import UNUSED_SUPPRESSION, scan
from portcheck.suppress import apply as apply_suppressions

if TYPE_CHECKING:
    from portcheck.model import FileResult
    from portcheck.run import Report


@dataclass(frozen=True)
class FilterOptions:
    """What the filter needs to know; paths are absolute and ``/``-separated."""

    root: str
    rules: frozenset[str]
    known_rules: frozenset[str]
    all_rules_enabled: bool = True
    config_dir: str = ""
    per_file_ignores: tuple[PerFileIgnore, ...] = ()
    baseline: Baseline | None = None
    changed: ChangedLines | None = None


@dataclass(frozen=True)
class Filtered:
    """The findings to report, the ones suppressed inline, and what else was hidden."""

    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    hidden_by_baseline: int = 0
    outside_diff: int = 0


def filter_results(results: Sequence[FileResult], options: FilterOptions) -> Filtered:
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for result in results:
        findings = [f for f in result.findings if not _ignored_in_file(f, options)]
        outcome = apply_suppressions(
            findings,
            result.suppressions,
            path=result.path,
            enabled=options.rules,
            known=options.known_rules,
            all_enabled=options.all_rules_enabled,
        )
        kept.extend(outcome.kept)
        kept.extend(outcome.unused)
        suppressed.extend(outcome.suppressed)
    outside_diff = 0
    if options.changed is not None:
        in_diff = [f for f in kept if _in_diff(f, options.changed, options.root)]
        outside_diff = len(kept) - len(in_diff)
        kept = in_diff
        suppressed = [f for f in suppressed if _in_diff(f, options.changed, options.root)]
    kept.sort(key=Finding.sort_key)
    hidden = 0
    if options.baseline is not None:
        new, hidden = hide(kept, options.baseline, options.root)
        kept = list(new)
    return Filtered(
        findings=tuple(kept),
        suppressed=tuple(sorted(suppressed, key=Finding.sort_key)),
        hidden_by_baseline=hidden,
        outside_diff=outside_diff,
    )


@dataclass(frozen=True)
class FixableFindings:
    """The filter stage for one file as ``--fix`` asks it: which findings may be fixed.

    Suppressed, baselined, per-file-ignored findings and those outside the diff are left
    untouched. Picklable (a frozen dataclass), so fixing workers can run it.
    """

    options: FilterOptions

    def __call__(self, text: str, findings: Sequence[Finding]) -> list[Finding]:
        from portcheck.model import FileResult

        if not findings:
            return []
        result = FileResult(
            findings[0].path, findings=list(findings), suppressions=scan(text, "python")
        )
        kept = filter_results([result], self.options).findings
        return [finding for finding in kept if finding.rule != UNUSED_SUPPRESSION]


def _ignored_in_file(finding: Finding, options: FilterOptions) -> bool:
    if not options.per_file_ignores:
        return False
    relative = posixpath.relpath(absolute(finding.path, options.root), options.config_dir)
    if relative.startswith("../"):
        return False
    return any(
        finding.rule in entry.rules and _matches(relative, entry.pattern)
        for entry in options.per_file_ignores
    )


def _matches(relative: str, pattern: str) -> bool:
    """A per-file-ignores glob: without ``/`` it matches any path component, with one the
    whole path (``fnmatch``, whose ``*`` crosses ``/``: configurations rely on it)."""
    pattern = pattern.rstrip("/")
    if "/" not in pattern:
        return any(fnmatch.fnmatch(part, pattern) for part in relative.split("/"))
    return fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, pattern + "/*")


def _in_diff(finding: Finding, changed: ChangedLines, root: str) -> bool:
    return changed.touches(absolute(finding.path, root), finding.line, finding.end_line)


def filter_options(settings: Settings, root: Path, diff_base: str | None) -> FilterOptions:
    """The options of a run: reads the baseline file and asks git for the diff.

    Raises :class:`~portcheck.baseline.BaselineError` or
    :class:`~portcheck.gitdiff.GitDiffError` with a message for the user.
    """
    from portcheck.registry import all_rules

    real_root = os.path.realpath(root)
    return FilterOptions(
        root=Path(real_root).as_posix(),
        rules=frozenset(settings.rules),
        known_rules=frozenset(rule.id for rule in all_rules()),
        all_rules_enabled=settings.all_rules_enabled,
        config_dir=Path(os.path.realpath(settings.base_dir)).as_posix(),
        per_file_ignores=settings.per_file_ignores,
        baseline=load_baseline(settings.baseline) if settings.baseline else None,
        changed=changed_lines(diff_base, Path(real_root)) if diff_base else None,
    )


def apply_to(report: Report, filtered: Filtered) -> Report:
    """``report`` with the filtered findings and the counts of what the filter hid."""
    return replace(
        report,
        findings=filtered.findings,
        suppressed=filtered.suppressed,
        hidden_by_baseline=filtered.hidden_by_baseline,
        outside_diff=filtered.outside_diff,
    )
