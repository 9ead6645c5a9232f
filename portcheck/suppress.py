"""Inline suppressions: ``# portcheck: ignore[PC001,PC003]``, ``# portcheck: ignore`` and
``# portcheck: ignore-file`` (in the comments at the top of a file).

A suppression covers the findings that start or end on its line (so a comment after
the closing bracket of a multi-line call works too); ``ignore-file`` covers the whole
file. Suppressed findings are kept, marked, and counted rather than dropped, so a report
says how much is hidden. Like ruff's RUF100, a suppression that hides nothing is itself
reported, as a finding of rule PC900 ``unused-suppression``: stale comments would
otherwise hide the next real finding on that line. A code is judged only when its rule
ran (so ``--select`` runs stay quiet about other rules), a bare ``ignore`` only when every
rule ran, and a code that names no installed rule is always reported.

Comments are found with :mod:`tokenize` in Python files (never inside strings) and by
line in other files, where ``#`` (manifests) and ``//`` or ``/*`` (CUDA sources) start a
comment.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from portcheck.model import Finding

UNUSED_SUPPRESSION = "PC900"
MARKER = "portcheck:"
_DIRECTIVE = re.compile(r"portcheck:\s*(?P<kind>ignore-file|ignore)\b(?:\[(?P<codes>[^\]]*)\])?")
_TEXT_COMMENT = re.compile(r"(?:#|//|/\*)")


@dataclass(frozen=True)
class Suppression:
    """One ``portcheck: ignore`` comment; no ``codes`` means every rule."""

    line: int
    column: int
    end_column: int
    codes: tuple[str, ...]
    whole_file: bool
    at_top: bool
    text: str

    def covers(self, finding: Finding) -> bool:
        if not self.whole_file and self.line not in (finding.line, finding.end_line):
            return False
        return not self.codes or finding.rule in self.codes


@dataclass(frozen=True)
class Suppressed:
    """A file's findings split by its suppressions, and the suppressions that hid nothing."""

    kept: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    unused: tuple[Finding, ...]


def scan(text: str, kind: str) -> tuple[Suppression, ...]:
    """Every suppression comment of a python or text file (the kinds of :mod:`discover`)."""
    if kind not in ("python", "text", "requirements") or MARKER not in text:
        return ()
    comments = _python_comments(text) if kind == "python" else _text_comments(text)
    found: list[Suppression] = []
    for line, column, comment, at_top in comments:
        for match in _DIRECTIVE.finditer(comment):
            codes = tuple(
                code.strip().upper() for code in (match["codes"] or "").split(",") if code.strip()
            )
            found.append(
                Suppression(
                    line=line,
                    column=column + match.start() + 1,
                    end_column=column + match.end() + 1,
                    codes=codes,
                    whole_file=match["kind"] == "ignore-file",
                    at_top=at_top,
                    text=match.group(0),
                )
            )
    return tuple(found)


def _python_comments(text: str) -> list[tuple[int, int, str, bool]]:
    """(line, 0-based column, comment, before any code?) of each comment token."""
    comments: list[tuple[int, int, str, bool]] = []
    at_top = True
    reader = io.StringIO(text).readline
    try:
        for token in tokenize.generate_tokens(reader):
            if token.type == tokenize.COMMENT:
                comments.append((token.start[0], token.start[1], token.string, at_top))
            elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING):
                at_top = False
    except (tokenize.TokenError, SyntaxError):
        pass  # the parser reports the syntax error; comments read so far still count
    return comments


def _text_comments(text: str) -> list[tuple[int, int, str, bool]]:
    comments: list[tuple[int, int, str, bool]] = []
    at_top = True
    for number, line in enumerate(text.splitlines(), start=1):
        start = _TEXT_COMMENT.search(line)
        if start is not None:
            comments.append((number, start.start(), line[start.start() :], at_top))
        if line.strip() and (start is None or line[: start.start()].strip()):
            at_top = False
    return comments


def apply(
    findings: Sequence[Finding],
    suppressions: Sequence[Suppression],
    *,
    path: str,
    enabled: frozenset[str],
    known: frozenset[str],
    all_enabled: bool,
) -> Suppressed:
    """Split ``findings`` of the file ``path`` and report the suppressions that hid nothing."""
    active = [entry for entry in suppressions if entry.at_top or not entry.whole_file]
    used: dict[Suppression, set[str]] = {entry: set() for entry in active}
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        covering = [entry for entry in active if entry.covers(finding)]
        for entry in covering:
            used[entry].add(finding.rule)
        (suppressed if covering else kept).append(finding)
    unused: list[Finding] = []
    if UNUSED_SUPPRESSION in enabled:
        for entry in suppressions:
            problem = _problem(entry, used.get(entry), enabled, known, all_enabled)
            if problem:
                unused.append(_unused_finding(path, entry, problem))
    return Suppressed(tuple(kept), tuple(suppressed), tuple(unused))


def _problem(
    entry: Suppression,
    used: set[str] | None,
    enabled: frozenset[str],
    known: frozenset[str],
    all_enabled: bool,
) -> str:
    """Why ``entry`` is unused ("" when it is used, or when this run cannot tell)."""
    scope = "in this file" if entry.whole_file else "on this line"
    if used is None:
        return "`ignore-file` only works in the comments at the top of a file"
    if not entry.codes:
        return f"it matches no finding {scope}" if all_enabled and not used else ""
    unknown = [code for code in entry.codes if code not in known]
    idle = [code for code in entry.codes if code in enabled and code not in used]
    problems = []
    if unknown:
        problems.append(f"unknown rule {_codes(unknown)} (`portcheck rules` lists them)")
    if idle:
        problems.append(f"{_codes(idle)} matches no finding {scope}")
    return "; ".join(problems)


def _codes(codes: Iterable[str]) -> str:
    return ", ".join(f"`{code}`" for code in codes)


def _unused_finding(path: str, entry: Suppression, problem: str) -> Finding:
    return Finding(
        path=path,
        line=entry.line,
        column=entry.column,
        end_line=entry.line,
        end_column=entry.end_column,
        rule=UNUSED_SUPPRESSION,
        api="portcheck.suppression",
        category="caution",
        message=f"Unused suppression `{entry.text}`: {problem}",
        suggestion="Remove the comment, or the codes that no longer match anything.",
        fixable=False,
        evidence="",
        source=entry.text,
    )
