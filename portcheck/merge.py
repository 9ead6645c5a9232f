"""Combine JSON reports of many repositories or shards into one report.

An organisation-wide audit runs as many CI jobs, each writing
``portcheck check --format json``; merging concatenates their findings and
diagnostics and adds their file counts. Nothing is re-scored by hand: the score,
buckets and inventory of a :class:`~portcheck.run.Report` are derived from its
findings, so the merge of two halves scores exactly as the whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from portcheck.knowledge.chips import DEFAULT_CHIP
from portcheck.model import Diagnostic, Finding, conforms
from portcheck.run import Report

REQUIRED_FIELDS = ("target", "findings", "diagnostics", "summary")


class MergeError(ValueError):
    """A report that cannot be merged; the message names the file and the problem."""


@dataclass(frozen=True)
class ReportInput:
    """A report file and the repository name its paths are prefixed with (if any)."""

    path: Path
    name: str | None = None


def parse_input(argument: str) -> ReportInput:
    """``REPORT.json`` or ``NAME=REPORT.json``; an existing file always wins over a name."""
    name, separator, path = argument.partition("=")
    if separator and name and not Path(argument).exists():
        return ReportInput(Path(path), name.strip("/"))
    return ReportInput(Path(argument))


def _prefixed(path: str, name: str | None) -> str:
    return f"{name}/{path}" if name else path


def load_report(source: ReportInput) -> Report:
    """Read one JSON report back into a :class:`Report`, paths prefixed by its name."""
    try:
        document: Any = json.loads(source.path.read_text(encoding="utf-8"))
    except OSError as error:
        raise MergeError(f"{source.path}: cannot read ({error.strerror})") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise MergeError(f"{source.path}: not a JSON document ({error})") from error
    except RecursionError as error:
        raise MergeError(
            f"{source.path}: not a portcheck JSON report (nested too deeply)"
        ) from error
    if not isinstance(document, dict) or any(key not in document for key in REQUIRED_FIELDS):
        raise MergeError(
            f"{source.path}: not a portcheck JSON report (expected the fields "
            f"{', '.join(REQUIRED_FIELDS)}; write one with `portcheck check --format json`)"
        )
    try:
        return _report(document, source)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as error:
        raise MergeError(f"{source.path}: a field of the report is malformed ({error})") from error


def _report(document: dict[str, Any], source: ReportInput) -> Report:
    summary = document["summary"]
    findings, suppressed, handled = (
        [Finding.from_json(record) for record in document.get(key, [])]
        for key in ("findings", "suppressed", "handled")
    )
    diagnostics = [Diagnostic.from_json(record) for record in document["diagnostics"]]
    records = [*findings, *suppressed, *handled, *diagnostics]
    if not all(map(conforms, records)) or not isinstance(document["target"], str):
        raise ValueError("a finding, diagnostic or the target has a value of the wrong type")
    return Report(
        target=document["target"],
        chip=document.get("chip", DEFAULT_CHIP),
        findings=tuple(
            replace(finding, path=_prefixed(finding.path, source.name)) for finding in findings
        ),
        suppressed=tuple(
            replace(finding, path=_prefixed(finding.path, source.name)) for finding in suppressed
        ),
        handled=tuple(
            replace(finding, path=_prefixed(finding.path, source.name)) for finding in handled
        ),
        diagnostics=tuple(
            replace(diagnostic, path=_prefixed(diagnostic.path, source.name))
            for diagnostic in diagnostics
        ),
        files_checked=int(summary.get("files_checked", 0)),
        files_parsed=int(summary.get("files_parsed", 0)),
        hidden_by_baseline=int(summary.get("hidden_by_baseline", 0)),
        outside_diff=int(summary.get("outside_diff", 0)),
    )


def merge(reports: Sequence[Report], names: Sequence[str]) -> Report:
    """One report of all ``reports`` (named by ``names`` in errors); targets must agree."""
    if not reports:
        raise MergeError("no report to merge")
    targets = {(report.target, report.chip) for report in reports}
    if len(targets) > 1:
        listing = "; ".join(
            f"{name}: {report.target} on {report.chip}" for name, report in zip(names, reports)
        )
        raise MergeError(
            f"reports were made for different targets ({listing}); re-run them with the same "
            "--target and --chip before merging"
        )
    return Report(
        target=reports[0].target,
        chip=reports[0].chip,
        findings=_sorted(report.findings for report in reports),
        diagnostics=tuple(
            sorted((d for report in reports for d in report.diagnostics), key=Diagnostic.sort_key)
        ),
        suppressed=_sorted(report.suppressed for report in reports),
        handled=_sorted(report.handled for report in reports),
        files_checked=sum(report.files_checked for report in reports),
        files_parsed=sum(report.files_parsed for report in reports),
        hidden_by_baseline=sum(report.hidden_by_baseline for report in reports),
        outside_diff=sum(report.outside_diff for report in reports),
    )


def _sorted(groups: Iterable[Iterable[Finding]]) -> tuple[Finding, ...]:
    return tuple(sorted((found for group in groups for found in group), key=Finding.sort_key))


def merge_files(arguments: Sequence[str]) -> Report:
    sources = [parse_input(argument) for argument in arguments]
    return merge([load_report(source) for source in sources], [str(s.path) for s in sources])
