"""The JSON report: the contract in the README ("JSON report"), stable for other tools and CI."""

from __future__ import annotations

import json
from typing import Any

from portcheck.report.audit import audit
from portcheck.run import Report


def to_document(report: Report) -> dict[str, Any]:
    return {
        "version": report.version,
        "target": report.target,
        "chip": report.chip,
        "score": report.score.per_api,
        "scores": {
            "per_api": report.score.per_api,
            "per_occurrence": report.score.per_occurrence,
            "gate": "per_api",
        },
        "summary": {
            "findings": len(report.findings),
            "by_category": report.counts(),
            "fixable": report.fixable,
            "files_checked": report.files_checked,
            "files_parsed": report.files_parsed,
            "diagnostics": len(report.diagnostics),
            "suppressed": len(report.suppressed),
            "hidden_by_baseline": report.hidden_by_baseline,
            "outside_diff": report.outside_diff,
            "handled": len(report.handled),
            **report.extra_summary,
        },
        "findings": [finding.to_json() for finding in report.findings],
        "diagnostics": [diagnostic.to_json() for diagnostic in report.diagnostics],
        "handled": [finding.to_json() for finding in report.handled],
        "suppressed": [finding.to_json() for finding in report.suppressed],
        **audit(report).to_json(),
    }


def render(report: Report) -> str:
    return json.dumps(to_document(report), indent=2, sort_keys=False) + "\n"
