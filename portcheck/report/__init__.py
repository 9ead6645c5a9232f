"""Output formats; each is a pure function of a :class:`~portcheck.run.Report`."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portcheck.run import Report

FORMAT_MODULES = {
    "text": "portcheck.report.text",
    "json": "portcheck.report.json_report",
    "html": "portcheck.report.html",
    "markdown": "portcheck.report.markdown",
    "sarif": "portcheck.report.sarif",
    "github": "portcheck.report.github",
}
"""Format name → module with a ``render(report) -> str``; imported only when used."""


def render_as(output_format: str, report: Report) -> str:
    return import_module(FORMAT_MODULES[output_format]).render(report)
