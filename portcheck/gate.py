"""The gate: does this report fail the build? Exit codes follow ruff (0 pass, 1 fail).

Independent conditions, any of which fails: a finding of a ``--fail-on`` category
remains (every category by default, so any finding fails, as in ruff), the per-API
readiness score is below ``--fail-under``, not one file could be analysed (a tree of
unreadable files would otherwise pass with a perfect score), or, with ``--fail-on
diagnostic``, any file could not be analysed or was skipped (a syntax error, a file over
the size limit: ruff fails on a syntax error too). The reasons are returned as
sentences, because a gate that fails must say exactly why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portcheck.model import CATEGORIES, Category
from portcheck.run import Report

PASS = 0
FAIL = 1


@dataclass(frozen=True)
class GateResult:
    reasons: tuple[str, ...]

    @property
    def failed(self) -> bool:
        return bool(self.reasons)

    def exit_code(self, exit_zero: bool = False) -> int:
        return FAIL if self.failed and not exit_zero else PASS


def evaluate(
    report: Report,
    fail_on: Sequence[Category] = CATEGORIES,
    fail_under: float | None = None,
    fail_on_diagnostics: bool = False,
) -> GateResult:
    reasons: list[str] = []
    counts = report.counts()
    failing = {category: counts[category] for category in fail_on if counts.get(category)}
    if failing:
        listed = ", ".join(f"{count} {category}" for category, count in failing.items())
        total = sum(failing.values())
        noun = (
            "finding of a --fail-on category remains"
            if total == 1
            else "findings of a --fail-on category remain"
        )
        reasons.append(f"{total} {noun} ({listed})")
    unreadable = {d.path for d in report.diagnostics if d.severity == "error"}
    if report.files_checked and len(unreadable) >= report.files_checked:
        reasons.append(
            f"none of the {report.files_checked} files could be analysed, so no finding and "
            "no score means anything (see the errors above)"
        )
    skipped = {d.path for d in report.diagnostics if d.severity in ("error", "warning")}
    if fail_on_diagnostics and skipped:
        noun = "file was" if len(skipped) == 1 else "files were"
        reasons.append(
            f"{len(skipped)} {noun} not analysed or only in part, and --fail-on includes "
            "diagnostic (see the diagnostics above)"
        )
    if fail_under is not None and report.score.gate < fail_under:
        reasons.append(
            f"readiness score {report.score.gate} (per API) is under --fail-under {fail_under:g}"
        )
    return GateResult(tuple(reasons))
