"""The ruff-style text report: one line per finding, its suggestion under it, a summary."""

from __future__ import annotations

from portcheck.model import Finding
from portcheck.report.audit import vendored_skipped
from portcheck.report.terminal import printable
from portcheck.run import Report
from portcheck.score import effort

EMPTY_FILE = "empty-file"


def render(report: Report, *, show_suggestions: bool = True) -> str:
    lines: list[str] = []
    for finding in report.findings:
        lines.append(f"{location(finding)}: {finding.rule} [{finding.category}] {finding.message}")
        if show_suggestions and finding.suggestion:
            lines.append(f"  help: {finding.suggestion}")
    for diagnostic in report.diagnostics:
        if diagnostic.code != EMPTY_FILE:  # counted in the summary: a line each is noise
            lines.append(f"{diagnostic.severity}: [{diagnostic.code}] {diagnostic.message}")
    lines = [printable(line) for line in lines]  # paths and messages come from the code
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def location(finding: Finding) -> str:
    """``path:line:column``; in a notebook ``path:cell N:line:column``, the line in the cell."""
    if "cell" in finding.extra:
        cell, line = finding.extra["cell"], finding.extra["cell_line"]
        return f"{finding.path}:cell {cell}:{line}:{finding.column}"
    return f"{finding.path}:{finding.line}:{finding.column}"


def effort_line(report: Report) -> str:
    """``Effort: 26 fixed by --fix, 9 small manual edits, …`` and a newline; "" when clean."""
    if not report.findings:
        return ""
    parts = []
    for bucket in effort(report.findings):
        part = f"{bucket.findings} {bucket.label}"
        if bucket.native_lines:
            part += f" ({bucket.native_lines} lines of CUDA C++)"
        parts.append(part)
    return f"Effort: {', '.join(parts)}.\n"


def summary(report: Report) -> str:
    counts = report.counts()
    total = len(report.findings)
    by_category = ", ".join(f"{counts[name]} {name}" for name in counts)
    noun = "finding" if total == 1 else "findings"
    files = f"{report.files_checked} file" + ("" if report.files_checked == 1 else "s")
    text = f"Found {total} {noun} ({by_category}) in {files}"
    fixed = report.extra_summary.get("fixed")
    if fixed is not None:  # after --fix: "N fixed, M remaining", as promised to users
        text = f"{fixed} fixed, {total} remaining ({by_category}) in {files}"
    if report.fixable:
        text += f"; {report.fixable} fixable with --fix"
    for label, value in report.extra_summary.items():
        if label != "fixed":
            text += f"; {value} {label}"
    if report.suppressed:
        text += f"; {len(report.suppressed)} suppressed by `# portcheck: ignore`"
    if report.hidden_by_baseline:
        hidden = report.hidden_by_baseline
        text += f"; {hidden} {'finding' if hidden == 1 else 'findings'} hidden by the baseline"
    if report.outside_diff:
        text += f"; {report.outside_diff} on lines unchanged since --diff-base"
    if report.handled:
        text += f"; {len(report.handled)} already handled beside NPU (not scored)"
    vendored = len(vendored_skipped(report))
    if vendored:
        trees = "tree" if vendored == 1 else "trees"
        text += f"; {vendored} vendored {trees} skipped (--include-vendored checks them)"
    empty = sum(1 for d in report.diagnostics if d.code == EMPTY_FILE)
    if empty:
        text += f"; {empty} empty {'file' if empty == 1 else 'files'}"
    problems = len({d.path for d in report.diagnostics if d.severity != "info"})
    if problems:
        text += f"; {problems} {'file' if problems == 1 else 'files'} could not be analysed"
    return (
        f"{effort_line(report)}{text}.\nReadiness score: {report.score.per_api}/100 "
        f"(per API; {report.score.per_occurrence}/100 per occurrence) for {report.target} "
        f"on {report.chip}"
    )
