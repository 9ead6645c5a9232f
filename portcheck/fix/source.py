"""``fix_source``: the pure heart of ``--fix``, shared by every front end.

Analyse, apply the fixes of the findings the user asked to see, analyse the result
again, until nothing fixable is left (a few passes at most: a fix nested inside another
is made in the pass after). The result must parse, with libcst and, when the original
did, with the running Python's own parser; otherwise nothing is changed.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import libcst as cst

from portcheck.discover import SourceFile
from portcheck.fix.apply import apply_fixes
from portcheck.fix.plan import choose_fixes
from portcheck.fix.replacements import Replacements, fix_replacements
from portcheck.model import Diagnostic, Finding
from portcheck.source import SourceText
from portcheck.suppress import Suppression

if TYPE_CHECKING:
    from portcheck.analyze import Analyzer
    from portcheck.model import FileResult

FindingFilter = Callable[[str, Sequence[Finding]], Sequence[Finding]]
"""``(source text, findings) -> the findings the user asked to see`` (the filter stage).

Only the findings it returns are fixed. ``remaining`` keeps every finding left, with the
file's suppression comments, because the filter stage runs once more on the whole run to
count what it hides (suppressed, baselined) and to report unused suppressions. It runs in
worker processes, so it must be picklable (a module-level function or a frozen dataclass).
"""

MAX_PASSES = 8


@dataclass(frozen=True)
class FixOutcome:
    """The fixed source, what was fixed, and what is left (located in the new text)."""

    text: str
    fixed: tuple[Finding, ...]
    remaining: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    parsed: bool = False
    suppressions: tuple[Suppression, ...] = ()
    handled: tuple[Finding, ...] = ()
    replacements: dict[Finding, Replacements] = field(default_factory=dict)
    """The fixes of what remains fixable, as line replacements of ``text`` (SARIF)."""

    @property
    def changed(self) -> bool:
        return bool(self.fixed)


def fix_source(
    analyzer: Analyzer,
    display_path: str,
    text: str,
    *,
    unsafe: bool = False,
    keep: FindingFilter | None = None,
) -> FixOutcome:
    """Fix ``text`` (the source of ``display_path``) and report what remains.

    ``unsafe`` adds the fixes that may be wrong (a string that might not be a device);
    ``keep`` is the filter stage, so suppressed or baselined findings stay untouched.
    """
    source_file = SourceFile(Path(display_path), display_path, "python")
    first = current = _analyze(analyzer, source_file, text)
    current_text = text
    fixed: list[Finding] = []
    for _ in range(MAX_PASSES):
        if current.module is None:
            break
        selected = set(_kept(keep, current_text, current.findings))
        chosen = choose_fixes(current.fixes, selected, current.module, unsafe=unsafe)
        if not chosen:
            break
        lost = _lost_by_libcst(current.module, current_text)
        if lost is None:
            return _unchanged(
                text,
                first,
                "libcst does not reproduce the file byte for byte",
                display_path,
                _replacements(first, text),
            )
        new_text = apply_fixes(current.module, chosen).code + lost
        parse_problem = _parse_problem(new_text, current_text)
        if parse_problem is not None:
            problem = f"the fixed code would not parse ({parse_problem})"
            return _unchanged(text, first, problem, display_path, _replacements(first, text))
        fixed.extend(finding for finding, _ in chosen)
        current_text = new_text
        current = _analyze(analyzer, source_file, current_text)
    return FixOutcome(
        text=current_text,
        fixed=tuple(fixed),
        remaining=tuple(current.findings),
        diagnostics=tuple(current.diagnostics),
        parsed=current.parsed,
        suppressions=current.suppressions,
        handled=tuple(current.handled),
        replacements=_replacements(current, current_text),
    )


def _replacements(result: FileResult, text: str) -> dict[Finding, Replacements]:
    if result.module is None or not result.path.endswith(".py"):
        return {}
    return fix_replacements(result.module, text, result.fixes)


def _analyze(analyzer: Analyzer, source_file: SourceFile, text: str) -> FileResult:
    source = SourceText(text=text, raw=text.encode("utf-8", "surrogatepass"), encoding="utf-8")
    return analyzer.analyze_text(source_file, source, keep_fixes=True)


def _lost_by_libcst(module: cst.Module, text: str) -> str | None:
    """What libcst's code for ``module`` leaves off ``text``: nothing, or the last ``\r``
    of a file whose lines end in a bare carriage return (libcst 1.9 drops it); None if
    its code differs otherwise, which no fix may build on."""
    code = module.code
    if code == text:
        return ""
    if text.endswith("\r") and code == text[:-1]:
        return "\r"
    return None


def _kept(keep: FindingFilter | None, text: str, findings: Sequence[Finding]) -> list[Finding]:
    return list(findings) if keep is None else list(keep(text, findings))


def _parse_problem(new_text: str, old_text: str) -> str | None:
    try:
        cst.parse_module(new_text)
    except cst.ParserSyntaxError as error:
        return error.message.splitlines()[0]
    if _python_parses(old_text) and not _python_parses(new_text):
        return "Python's parser rejects the result"
    return None


def _python_parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _unchanged(
    text: str,
    first: FileResult,
    problem: str,
    display_path: str,
    replacements: dict[Finding, Replacements],
) -> FixOutcome:
    diagnostic = Diagnostic(
        display_path,
        "fix-failed",
        f"{display_path}: {problem}; file left unchanged, please report it",
    )
    return FixOutcome(
        text=text,
        fixed=(),
        remaining=tuple(first.findings),
        diagnostics=(*first.diagnostics, diagnostic),
        parsed=first.parsed,
        suppressions=first.suppressions,
        handled=tuple(first.handled),
        replacements=replacements,
    )
