"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

``::error file=train.py,line=3,col=1,endLine=3,endColumn=23,title=PC001 cuda-api [auto]::…``
Levels follow the SARIF mapping (blocker → error, rewrite and auto → warning, caution →
notice). Values are escaped as the Actions runner unescapes them: ``%``, CR and LF in
the message; also ``:`` and ``,`` in properties, where they would end a value early.
The ruff-style summary closes the output, as plain log text.
"""

from __future__ import annotations

from portcheck.model import Diagnostic, Finding
from portcheck.report.sarif import LEVELS
from portcheck.report.terminal import printable
from portcheck.report.text import summary
from portcheck.run import Report

COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}
DIAGNOSTIC_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, object], message: str) -> str:
    """A workflow command; control and bidirectional characters are escaped in every value
    (line breaks of the message are kept: the runner shows them)."""
    listed = ",".join(
        f"{key}={escape_property(printable(str(value)))}" for key, value in properties.items()
    )
    shown = "\n".join(printable(line) for line in message.split("\n"))
    return f"::{name} {listed}::{escape_data(shown)}"


def annotation(finding: Finding, rule_names: dict[str, str]) -> str:
    title = f"{finding.rule} {rule_names.get(finding.rule, '')} [{finding.category}]"
    message = finding.message
    if finding.suggestion:
        message += f"\nhelp: {finding.suggestion}"
    properties: dict[str, object] = {"file": finding.path}
    if finding.cell_location:  # a notebook: annotate the file, name the cell
        message = f"{finding.cell_location}: {message}"
    else:
        properties.update(
            line=finding.line,
            col=finding.column,
            endLine=finding.end_line,
            endColumn=finding.end_column,
        )
    properties["title"] = " ".join(title.split())
    return command(COMMANDS[LEVELS[finding.category]], properties, message)


def diagnostic_annotation(diagnostic: Diagnostic) -> str:
    properties: dict[str, object] = {"file": diagnostic.path}
    if diagnostic.line is not None:
        properties["line"] = diagnostic.line
    properties["title"] = f"portcheck {diagnostic.code}"
    return command(DIAGNOSTIC_COMMANDS[diagnostic.severity], properties, diagnostic.message)


def render(report: Report) -> str:
    from portcheck.registry import all_rules

    names = {rule.id: rule.name for rule in all_rules()}
    lines = [annotation(finding, names) for finding in report.findings]
    lines.extend(diagnostic_annotation(diagnostic) for diagnostic in report.diagnostics)
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
