"""SARIF 2.1.0, the format code-scanning services (GitHub, Azure DevOps, IDE viewers) read.

Every rule is described in ``tool.driver.rules`` with its help text; each finding is a
result with its location, its category and API as properties, a fingerprint that
survives code moving (rule + path + source text, like the baseline), ``fixes`` when
``--fix`` would change it, and ``suppressions`` when a ``# portcheck: ignore`` comment
hides it (suppressed results are kept, so the service shows them as dismissed).
Diagnostics (files that could not be analysed) are tool notifications of the run.

The replacement text of a fix comes from the analysis (``Report.fix_replacements``,
see :mod:`portcheck.fix.replacements`): like every other format, SARIF reads no source
again. Columns are Unicode code points, as everywhere in portcheck.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from portcheck.fix.replacements import Replacements
from portcheck.model import CATEGORY_MEANINGS, Diagnostic, Finding
from portcheck.run import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_BASE_ID = "%SRCROOT%"
LEVELS = {"blocker": "error", "rewrite": "warning", "auto": "warning", "caution": "note"}
"""SARIF level of each category; GitHub annotations use the same mapping."""
DIAGNOSTIC_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render(report: Report) -> str:
    fixes = {
        finding: report.fix_replacements[finding]
        for finding in report.findings
        if finding in report.fix_replacements
    }
    document = to_document(report, fixes, Path.cwd())
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_document(
    report: Report, fixes: Mapping[Finding, Replacements], root: Path
) -> dict[str, Any]:
    """The SARIF log of ``report``; ``fixes`` maps a fixable finding to its replacements."""
    rules = _rule_descriptors()
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    findings = sorted(
        [(finding, False) for finding in report.findings]
        + [(finding, True) for finding in report.suppressed],
        key=lambda pair: pair[0].sort_key(),
    )
    fingerprints = _fingerprints([finding for finding, _ in findings])
    results = [
        _result(finding, suppressed, index, fixes.get(finding), fingerprint)
        for (finding, suppressed), fingerprint in zip(findings, fingerprints)
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "portcheck",
                        "version": report.version,
                        "semanticVersion": report.version,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {ROOT_BASE_ID: {"uri": root.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            _notification(diagnostic) for diagnostic in report.diagnostics
                        ],
                    }
                ],
                "results": results,
                "properties": {
                    "target": report.target,
                    "readinessScore": report.score.per_api,
                    "readinessScorePerOccurrence": report.score.per_occurrence,
                    "hiddenByBaseline": report.hidden_by_baseline,
                },
            }
        ],
    }


def _rule_descriptors() -> list[dict[str, Any]]:
    from portcheck.registry import all_rules

    descriptors = []
    for rule in all_rules():
        meaning = CATEGORY_MEANINGS[rule.category]
        details = _first_paragraph(sys.modules[rule.__module__].__doc__ or rule.summary)
        fix_note = (
            "Fixable: `portcheck check --fix` applies the safe rewrite." if rule.fixable else ""
        )
        descriptors.append(
            {
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": details},
                "help": {
                    "text": f"{rule.summary}. Default category {rule.category}: {meaning}. "
                    f"{details} {fix_note}".strip(),
                    "markdown": f"**{rule.id} {rule.name}**: {rule.summary}.\n\n"
                    f"Default category `{rule.category}`: {meaning}.\n\n{details}\n\n"
                    f"{fix_note}\n\n`portcheck explain NAME` shows what a CUDA API becomes "
                    "on Ascend, with its evidence; `# portcheck: ignore["
                    f"{rule.id}]` on the line suppresses one finding.",
                },
                "defaultConfiguration": {"level": LEVELS[rule.category]},
                "properties": {
                    "category": rule.category,
                    "fixable": rule.fixable,
                    "tags": ["portability", "ascend", "cuda", rule.category],
                },
            }
        )
    return descriptors


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


def _fingerprints(findings: Sequence[Finding]) -> list[str]:
    """Stable across line moves: rule, path, source text and the occurrence among equals."""
    seen: Counter[tuple[str, str, str]] = Counter()
    prints = []
    for finding in findings:
        key = (finding.rule, finding.path, finding.source)
        seen[key] += 1
        text = "\0".join((*key, str(seen[key])))
        prints.append(hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32])
    return prints


def _location(path: str, region: dict[str, int] | None = None) -> dict[str, Any]:
    if PurePosixPath(path).is_absolute():
        artifact: dict[str, Any] = {"uri": Path(path).as_uri()}
    else:
        artifact = {"uri": quote(path, errors="surrogateescape"), "uriBaseId": ROOT_BASE_ID}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _result(
    finding: Finding,
    suppressed: bool,
    index: Mapping[str, int],
    replacements: Replacements | None,
    fingerprint: str,
) -> dict[str, Any]:
    message = finding.message
    if finding.suggestion:
        message += f"\nHelp: {finding.suggestion}"
    region: dict[str, int] | None = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
        "endColumn": finding.end_column,
    }
    if finding.cell_location:  # a notebook: the file-level location, the cell in the text
        message = f"{finding.cell_location}: {message}"
        region = None
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.category],
        "message": {"text": message},
        "locations": [_location(finding.path, region)],
        "partialFingerprints": {"portcheck/v1": fingerprint},
        "properties": {
            "category": finding.category,
            "api": finding.api,
            "evidence": finding.evidence,
            "suggestion": finding.suggestion,
            "fixable": finding.fixable,
        },
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    if replacements:
        result["fixes"] = [
            {
                "description": {"text": finding.suggestion or f"Fix {finding.rule}"},
                "artifactChanges": [
                    {
                        "artifactLocation": _location(finding.path)["physicalLocation"][
                            "artifactLocation"
                        ],
                        "replacements": list(replacements),
                    }
                ],
            }
        ]
    if suppressed:
        result["suppressions"] = [
            {"kind": "inSource", "justification": "`# portcheck: ignore` comment"}
        ]
    return result


def _notification(diagnostic: Diagnostic) -> dict[str, Any]:
    region = None
    if diagnostic.line is not None:
        region = {"startLine": diagnostic.line}
        if diagnostic.column is not None:
            region["startColumn"] = diagnostic.column
    return {
        "descriptor": {"id": diagnostic.code},
        "level": DIAGNOSTIC_LEVELS[diagnostic.severity],
        "message": {"text": diagnostic.message},
        "locations": [_location(diagnostic.path, region)],
    }
