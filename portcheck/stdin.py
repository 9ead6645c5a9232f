"""Checking a source read from standard input, as editors and other tools send it.

The unsaved buffer has no file on disk, so ``--stdin-filename`` says which file it
stands for: that name picks the kind of file (Python, notebook, manifest) and names
the findings, exactly as if the file had been checked from disk.
"""

from __future__ import annotations

from pathlib import Path

from portcheck.discover import SourceFile, display_path, file_kind
from portcheck.engine import Analyzer, FileResult
from portcheck.model import Diagnostic
from portcheck.source import decode_source

STDIN_NAME = "-"


def stdin_source_file(stdin_filename: str | None, root: Path) -> SourceFile:
    """The file the buffer stands for; a Python file named ``-`` when no name is given."""
    if not stdin_filename:
        return SourceFile(Path(STDIN_NAME), STDIN_NAME, "python")
    path = Path(stdin_filename)
    return SourceFile(path, display_path(path, root), file_kind(path.name) or "python")


def analyze_stdin(analyzer: Analyzer, raw: bytes, source_file: SourceFile) -> FileResult:
    source = decode_source(raw, source_file.display)
    if isinstance(source, Diagnostic):
        return FileResult(source_file.display, diagnostics=[source])
    return analyzer.analyze_text(source_file, source)
