"""The readiness score: 0–100, derived from findings alone so any report can be re-scored.

    penalty  = Σ weight(category)            (per distinct API, or per occurrence)
    score    = 100 × K / (K + penalty)       rounded to one decimal

with weights auto 0.5, caution 1, rewrite 4, blocker 10, and K = 50 for the per-API
view, 200 for the per-occurrence view. No finding gives 100; every finding lowers the
score and never raises it; a blocker lowers it the most; a codebase whose touchpoints
are all ``auto`` stays high before ``portcheck check --fix`` and reaches 100 after it.
The per-API view counts ``torch.cuda.synchronize`` used 1000 times once, so it is
stable while a team fixes call sites; it is the one the gate (``--fail-under``) uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portcheck.model import Finding

WEIGHTS = {"auto": 0.5, "caution": 1.0, "rewrite": 4.0, "blocker": 10.0}
PER_API_SCALE = 50.0
PER_OCCURRENCE_SCALE = 200.0


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
    findings = list(findings)
    distinct = {(finding.api, finding.category) for finding in findings}
    per_api = sum(WEIGHTS[category] for _, category in distinct)
    per_occurrence = sum(WEIGHTS[finding.category] for finding in findings)
    return Score(
        per_api=_from_penalty(per_api, PER_API_SCALE),
        per_occurrence=_from_penalty(per_occurrence, PER_OCCURRENCE_SCALE),
    )
