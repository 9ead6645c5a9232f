"""Checking (and fixing) a source read from standard input, as editors and tools send it.

The unsaved buffer has no file on disk, so ``--stdin-filename`` says which file it
stands for: that name picks the kind of file (Python, notebook, manifest) and names
the findings, exactly as if the file had been checked from disk. With ``--fix`` the
fixed source goes to standard output, so an editor can replace its buffer with it.
"""

from __future__ import annotations

from pathlib import Path

from portcheck.analyze import Analyzer
from portcheck.discover import SourceFile, display_path, file_kind
from portcheck.fix.files import FIXABLE_KINDS, FileFix, FixRequest, fix_text
from portcheck.fix.write import encode_like
from portcheck.isolate import run_isolated
from portcheck.model import Diagnostic, FileResult
from portcheck.schedule import crash_diagnostic
from portcheck.source import decode_source

STDIN_NAME = "-"


def stdin_source_file(stdin_filename: str | None, root: Path) -> SourceFile:
    """The file the buffer stands for; a Python file named ``-`` when no name is given."""
    if not stdin_filename:
        return SourceFile(Path(STDIN_NAME), STDIN_NAME, "python")
    path = Path(stdin_filename)
    return SourceFile(path, display_path(path, root), file_kind(path.as_posix()) or "python")


def analyze_stdin(analyzer: Analyzer, raw: bytes, source_file: SourceFile) -> FileResult:
    source = decode_source(raw, source_file.display)
    if isinstance(source, Diagnostic):
        return FileResult(source_file.display, diagnostics=[source])
    return run_isolated(
        lambda: analyzer.analyze_text(source_file, source), lambda: _crashed(source_file).result
    )


def fix_stdin(request: FixRequest, raw: bytes, source_file: SourceFile) -> tuple[FileFix, bytes]:
    """The fix of the buffer and the bytes to hand back: the input itself unless fixed.

    An editor replaces its buffer with what it gets back, so whatever cannot be read
    or fixed is returned byte for byte.
    """
    source = decode_source(raw, source_file.display)
    if isinstance(source, Diagnostic):
        return FileFix(FileResult(source_file.display, diagnostics=[source])), raw
    if source_file.kind not in FIXABLE_KINDS:
        return FileFix(request.analyzer.analyze_text(source_file, source)), raw
    fix, text = run_isolated(
        lambda: fix_text(request, source_file, source), lambda: (_crashed(source_file), "")
    )
    return fix, encode_like(text, source) if fix.fixed else raw


def _crashed(source_file: SourceFile) -> FileFix:
    return FileFix(FileResult(source_file.display, diagnostics=[crash_diagnostic(source_file)]))
