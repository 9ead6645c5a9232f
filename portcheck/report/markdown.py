"""The Markdown audit summary: short enough for a pull-request comment.

Everything that comes from the analysed code (paths, API names, messages) goes through
:func:`escape`: HTML is turned into entities and Markdown punctuation is backslashed,
so a file named ``<img onerror=…>.py`` or ``[x](javascript:…)`` is shown as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from portcheck.inventory import NONE_KNOWN
from portcheck.report.audit import Audit, audit, plural, vendored_skipped
from portcheck.report.terminal import printable
from portcheck.run import Report
from portcheck.score import ROOT_AREA

TOP_BLOCKERS = 10
LOCATIONS_SHOWN = 3
AREAS_SHOWN = 10
ROWS_SHOWN = 15

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=:])")


def escape(text: str) -> str:
    """Text that renders as itself in CommonMark/GFM, on one line, inside a table cell."""
    text = printable(" ".join(text.split()))
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return "".join(_HTML.get(character, character) for character in text)


def code(text: str) -> str:
    """A code span for a table cell: literal in CommonMark, so HTML in it stays text.

    The fence is one backtick longer than any run inside, and ``|`` is backslashed
    because GFM splits table cells before it parses code spans.
    """
    text = printable(" ".join(text.split())).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(headings: Sequence[str], align: str, rows: Sequence[Sequence[str]]) -> list[str]:
    separator = ["---:" if flag == "r" else "---" for flag in align]
    return [_row(headings), _row(separator), *(_row(row) for row in rows), ""]


def _more(total: int, shown: int, noun: str) -> list[str]:
    return [f"_…and {total - shown} more {noun} in the full report._", ""] if total > shown else []


def _effort(view: Audit) -> list[str]:
    rows = []
    for bucket in view.effort:
        findings = str(bucket.findings)
        if bucket.key == "blocker" and bucket.native_lines:
            findings += f" ({plural(bucket.native_lines, 'line')} of CUDA C++)"
        rows.append([bucket.label, findings, str(bucket.apis), str(bucket.files)])
    return _table(["effort", "findings", "APIs", "files"], "lrrr", rows)


def _blockers(view: Audit) -> list[str]:
    groups = view.blockers
    if not groups:
        return []
    rows = []
    for group in groups[:TOP_BLOCKERS]:
        where = ", ".join(
            code(f"{finding.path}:{finding.line}") for finding in group.findings[:LOCATIONS_SHOWN]
        )
        if len(group.findings) > LOCATIONS_SHOWN:
            where += f" +{len(group.findings) - LOCATIONS_SHOWN}"
        native = str(group.native_lines) if group.native_lines else ""
        rows.append([code(group.api), str(len(group.findings)), native, where])
    return [
        "### Top blockers",
        "",
        *_table(["API", "uses", "native lines", "where"], "lrrl", rows),
        *_more(len(groups), TOP_BLOCKERS, "blocking APIs"),
    ]


def _beyond_names(view: Audit) -> list[str]:
    """Op, dtype and run-time findings on the chip, apart from the CUDA names."""
    sections = view.beyond_names
    if not sections:
        return []
    lines = [
        f"### What runs on {code(view.report.chip)}: operators, dtypes, run-time behaviour",
        "",
    ]
    for title, groups in sections:
        rows = []
        for group in groups[:TOP_BLOCKERS]:
            where = ", ".join(
                code(f"{finding.path}:{finding.line}")
                for finding in group.findings[:LOCATIONS_SHOWN]
            )
            if len(group.findings) > LOCATIONS_SHOWN:
                where += f" +{len(group.findings) - LOCATIONS_SHOWN}"
            rows.append([code(group.api), group.category, str(len(group.findings)), where])
        lines += [f"**{title}**", ""]
        lines += _table(["API", "category", "uses", "where"], "llrl", rows)
        lines += _more(len(groups), TOP_BLOCKERS, "APIs")
    return lines


def _areas(view: Audit) -> list[str]:
    if not view.directories:
        return []
    rows = []
    for area in view.directories[:AREAS_SHOWN]:
        name = f"{area.name}/" if area.name != ROOT_AREA else "(top level)"
        counts = area.by_category
        rows.append(
            [
                code(name),
                f"{area.score.per_api:g}",
                str(area.findings),
                str(counts["blocker"]),
                str(counts["rewrite"]),
                str(area.fixable),
            ]
        )
    return [
        f"### Where the work is (under {code((view.root or '.') + '/')})",
        "",
        *_table(
            ["directory", "score", "findings", "blockers", "rewrites", "fixable"], "lrrrrr", rows
        ),
        *_more(len(view.directories), AREAS_SHOWN, "directories"),
    ]


def _dependencies(view: Audit) -> list[str]:
    inventory = view.inventory
    if not (inventory.requirements or inventory.native_sources or inventory.extension_builds):
        return []
    requirements = [
        [
            code(requirement.name),
            requirement.category,
            escape(requirement.alternative or NONE_KNOWN),
            ", ".join(code(str(where)) for where in requirement.declared_in[:LOCATIONS_SHOWN]),
            code(_shortened(requirement.declared_in[0].source)),
        ]
        for requirement in inventory.requirements[:ROWS_SHOWN]
    ]
    sources = [
        [code(source.path), str(source.lines)]
        for source in inventory.largest_sources()[:ROWS_SHOWN]
    ]
    summary = (
        f"Native code and dependencies: {plural(len(inventory.native_sources), 'CUDA C++ file')} "
        f"({plural(inventory.native_lines, 'line')}), "
        f"{plural(len(inventory.extension_builds), 'extension build')}, "
        f"{plural(len(inventory.triton_kernels), 'Triton use')}, "
        f"{plural(len(inventory.requirements), 'CUDA-only requirement')}"
    )
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    if requirements:
        lines += _table(
            ["requirement", "category", "Ascend alternative", "declared in", "as written"],
            "lllll",
            requirements,
        )
        lines += _more(len(inventory.requirements), ROWS_SHOWN, "requirements")
    if sources:
        lines += _table(["CUDA C++ file", "lines of code"], "lr", sources)
        lines += _more(len(inventory.native_sources), ROWS_SHOWN, "CUDA C++ files")
    return [*lines, "</details>", ""]


def _vendored(report: Report) -> list[str]:
    """One bullet per vendored tree the run skipped, with its file count."""
    skipped = vendored_skipped(report)
    if not skipped:
        return []
    lines = ["Vendored trees, skipped (`--include-vendored` checks them):", ""]
    lines.extend(f"- {escape(diagnostic.message)}" for diagnostic in skipped)
    return [*lines, ""]


def render(report: Report) -> str:
    view = audit(report)
    counts = report.counts()
    lines = [
        f"## Ascend readiness: **{view.score.per_api:g}/100**",
        "",
        f"Per distinct API (the gate uses this one); {view.score.per_occurrence:g}/100 per "
        f"occurrence. {plural(len(report.findings), 'finding')} "
        f"({plural(counts['blocker'], 'blocker')}, {plural(counts['rewrite'], 'rewrite')}, "
        f"{counts['auto']} auto, {counts['caution']} caution) in {len(view.files)} of "
        f"{plural(report.files_checked, 'file')}, checked against "
        f"{code(report.target)} on {code(report.chip)}.",
        "",
        *_vendored(report),
        *_effort(view),
        *_blockers(view),
        *_beyond_names(view),
        *_areas(view),
        *_dependencies(view),
        f"<sub>portcheck {escape(report.version)} · static analysis, no code was run</sub>",
    ]
    return "\n".join(lines) + "\n"
