"""The gate: does this report fail the build? Exit codes follow ruff (0 pass, 1 fail).

Three independent conditions, any of which fails: a finding of a ``--fail-on``
category remains (every category by default, so any finding fails, as in ruff), the
per-API readiness score is below ``--fail-under``, or not one file could be analysed
(a tree of unreadable files would otherwise pass with a perfect score). The reasons are returned as
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
    report: Report, fail_on: Sequence[Category] = CATEGORIES, fail_under: float | None = None
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
    if fail_under is not None and report.score.gate < fail_under:
        reasons.append(
            f"readiness score {report.score.gate} (per API) is under --fail-under {fail_under:g}"
        )
    return GateResult(tuple(reasons))
