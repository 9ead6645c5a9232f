"""The native-code and dependency inventory of an audit, read off the findings.

The score says how far a codebase is from Ascend; the inventory lists the things that
decide the size of the port and that a manager must plan for: CUDA C++ sources with
their size, native extension builds, Triton kernels, and CUDA-only requirements with
what to use on Ascend instead. Like the score it is derived from findings, so a merged
report has a merged inventory; the knowledge base only supplies the alternatives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from portcheck.knowledge import Knowledge
from portcheck.model import Finding
from portcheck.score import native_lines

NATIVE_SOURCE_RULE = "PC007"
EXTENSION_BUILD_RULE = "PC006"
LIBRARY_RULE = "PC008"
REQUIREMENT_RULES = frozenset({"PC009", "PC010"})
NONE_KNOWN = "none known"


@dataclass(frozen=True)
class Location:
    """Where something is, and its code there as written (whitespace-normalised)."""

    path: str
    line: int
    source: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class NativeSource:
    """A ``.cu``/``.cuh`` file and its lines of code (comments and blanks excluded)."""

    path: str
    lines: int


@dataclass(frozen=True)
class Usage:
    """An API used at one place: an extension build or a Triton kernel."""

    api: str
    location: Location


@dataclass(frozen=True)
class Requirement:
    """A CUDA-only requirement, everywhere it is declared, and its Ascend alternative."""

    name: str
    category: str
    alternative: str | None
    declared_in: tuple[Location, ...]


@dataclass(frozen=True)
class Inventory:
    native_sources: tuple[NativeSource, ...]
    extension_builds: tuple[Usage, ...]
    triton_kernels: tuple[Usage, ...]
    requirements: tuple[Requirement, ...]

    @property
    def native_lines(self) -> int:
        return sum(source.lines for source in self.native_sources)

    def largest_sources(self) -> tuple[NativeSource, ...]:
        """Native sources, the most lines of code first: the order to plan a port in."""
        return tuple(sorted(self.native_sources, key=lambda source: (-source.lines, source.path)))

    def to_json(self) -> dict[str, Any]:
        return {
            "native_sources": [
                {"path": source.path, "lines": source.lines} for source in self.native_sources
            ],
            "native_lines": self.native_lines,
            "extension_builds": [_usage_json(usage) for usage in self.extension_builds],
            "triton_kernels": [_usage_json(usage) for usage in self.triton_kernels],
            "requirements": [
                {
                    "name": requirement.name,
                    "category": requirement.category,
                    "alternative": requirement.alternative or NONE_KNOWN,
                    "declared_in": [
                        {"path": where.path, "line": where.line, "source": where.source}
                        for where in requirement.declared_in
                    ],
                }
                for requirement in self.requirements
            ],
        }


def _usage_json(usage: Usage) -> dict[str, Any]:
    return {"api": usage.api, "path": usage.location.path, "line": usage.location.line}


def _alternative(finding: Finding, knowledge: Knowledge | None) -> str | None:
    """The knowledge base's alternative; for a non-package requirement, the suggestion."""
    fact = knowledge.package(finding.api) if knowledge is not None else None
    if fact is not None:
        return fact.alternative
    return finding.suggestion if finding.category != "blocker" else None


def _requirements(findings: Iterable[Finding], knowledge: Knowledge | None) -> list[Requirement]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.api].append(finding)
    return [
        Requirement(
            name=name,
            category=items[0].category,
            alternative=_alternative(items[0], knowledge),
            declared_in=tuple(Location(item.path, item.line, item.source) for item in items),
        )
        for name, items in sorted(grouped.items())
    ]


def build_inventory(findings: Iterable[Finding], knowledge: Knowledge | None) -> Inventory:
    """The inventory of ``findings``; without ``knowledge`` alternatives may be unknown."""
    findings = list(findings)

    def usages(keep: Callable[[Finding], bool]) -> tuple[Usage, ...]:
        return tuple(
            Usage(finding.api, Location(finding.path, finding.line))
            for finding in findings
            if keep(finding)
        )

    return Inventory(
        native_sources=tuple(
            NativeSource(finding.path, native_lines(finding))
            for finding in findings
            if finding.rule == NATIVE_SOURCE_RULE
        ),
        extension_builds=usages(lambda finding: finding.rule == EXTENSION_BUILD_RULE),
        triton_kernels=usages(
            lambda finding: (
                finding.rule == LIBRARY_RULE
                and (finding.api == "triton" or finding.api.startswith("triton."))
            )
        ),
        requirements=tuple(
            _requirements(
                (finding for finding in findings if finding.rule in REQUIREMENT_RULES), knowledge
            )
        ),
    )
