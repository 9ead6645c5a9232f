"""``--fix`` and ``--diff`` over the files of a run, in worker processes when it pays.

Each file is read, fixed with :func:`fix_source`, diffed, and (for ``--fix``) written;
what remains comes back as an ordinary :class:`FileResult`, so the report of a fixing
run is built exactly like the report of a checking run.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from portcheck.analyze import Analyzer
from portcheck.crash import processing
from portcheck.discover import DEFAULT_EXCLUDES, SourceFile, discover
from portcheck.fix.source import FindingFilter, fix_source
from portcheck.fix.write import write_fixed_source
from portcheck.isolate import die_with_parent, each_isolated
from portcheck.model import Diagnostic, FileResult
from portcheck.notebook import fix_notebook
from portcheck.schedule import IN_PROCESS_LIMIT, crash_diagnostic, default_jobs
from portcheck.shard import Shard
from portcheck.source import SourceText, read_source

FIXABLE_KINDS = ("python", "notebook")
"""The kinds of file (see :mod:`portcheck.discover`) that have fixes."""


@dataclass(frozen=True)
class FixRequest:
    """What a fixing run asks of every file (picklable, for the workers)."""

    analyzer: Analyzer
    unsafe: bool = False
    write: bool = True
    keep: FindingFilter | None = None


@dataclass(frozen=True)
class FileFix:
    """One file after fixing: what remains, how many findings were fixed, and the diff."""

    result: FileResult
    fixed: int = 0
    diff: str = ""


@dataclass(frozen=True)
class FixRun:
    """A whole fixing run: per-file results for the report, the count fixed, the diff."""

    results: list[FileResult]
    discovery_diagnostics: list[Diagnostic]
    fixed: int
    files_changed: int
    diff: str

    @property
    def remaining(self) -> int:
        return sum(len(result.findings) for result in self.results)

    def diff_summary(self) -> str:
        """The closing line of ``--diff`` (on stderr, so the diff itself stays a clean patch)."""
        noun = "finding" if self.fixed == 1 else "findings"
        files = "file" if self.files_changed == 1 else "files"
        return (
            f"Would fix {self.fixed} {noun} in {self.files_changed} {files}; "
            f"{self.remaining} would remain."
        )


def fix_paths(
    request: FixRequest,
    paths: Sequence[Path],
    root: Path,
    excludes: Sequence[str] = (),
    jobs: int | None = None,
    default_excludes: Sequence[str] = DEFAULT_EXCLUDES,
    shard: Shard | None = None,
) -> FixRun:
    """Discover like ``run.collect`` does, then fix every file."""
    files, diagnostics = discover(paths, root, excludes, default_excludes)
    request = replace(request, analyzer=request.analyzer.with_project(files))
    if shard is not None:
        files, diagnostics = shard.select(files, diagnostics)
    fixes = fix_files(request, files, jobs)
    return FixRun(
        results=[fix.result for fix in fixes],
        discovery_diagnostics=diagnostics,
        fixed=sum(fix.fixed for fix in fixes),
        files_changed=sum(1 for fix in fixes if fix.diff),
        diff="".join(fix.diff for fix in fixes),
    )


def fix_files(
    request: FixRequest, files: Sequence[SourceFile], jobs: int | None = None
) -> list[FileFix]:
    """Fix every file, each in a process that may die (libcst's native parser can crash)
    without costing more than its file."""
    jobs = jobs or default_jobs()
    fix = partial(fix_file, request)
    if jobs <= 1 or len(files) < IN_PROCESS_LIMIT:
        return list(each_isolated(fix, files, _crashed))
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        futures = [pool.submit(fix, source_file) for source_file in files]
        fixes = []
        for source_file, future in zip(files, futures):
            try:
                fixes.append(future.result())
            except BrokenProcessPool:
                # a worker died: every unfinished file gets a process of its own, so the
                # file that kills it costs only itself (a file written before is re-read)
                fixes.append(next(each_isolated(fix, [source_file], _crashed)))
        return fixes


def _crashed(source_file: SourceFile) -> FileFix:
    return FileFix(FileResult(source_file.display, diagnostics=[crash_diagnostic(source_file)]))


def fix_file(request: FixRequest, source_file: SourceFile) -> FileFix:
    analyzer = request.analyzer
    if source_file.kind not in FIXABLE_KINDS:
        return FileFix(analyzer.analyze_file(source_file))
    processing(source_file.display)
    source = read_source(source_file.path, source_file.display, analyzer.max_bytes)
    if isinstance(source, Diagnostic):
        return FileFix(FileResult(source_file.display, diagnostics=[source]))
    fix, text = fix_text(request, source_file, source)
    if fix.fixed and request.write:
        problem = write_fixed_source(source_file.path, source_file.display, text, source)
        if problem is not None:
            unfixed = analyzer.analyze_text(source_file, source)
            unfixed.diagnostics.append(problem)
            return FileFix(unfixed)
    return fix


def fix_text(
    request: FixRequest, source_file: SourceFile, source: SourceText
) -> tuple[FileFix, str]:
    """Fix one file's text, from disk or standard input: the fix and the fixed text.

    ``source_file.kind`` must be one of :data:`FIXABLE_KINDS`; nothing is written.
    """
    fixer = fix_notebook if source_file.kind == "notebook" else fix_source
    outcome = fixer(
        request.analyzer, source_file.display, source.text, unsafe=request.unsafe, keep=request.keep
    )
    result = FileResult(
        source_file.display,
        findings=list(outcome.remaining),
        diagnostics=list(outcome.diagnostics),
        parsed=outcome.parsed,
        suppressions=outcome.suppressions,
        handled=list(outcome.handled),
        replacements=outcome.replacements,
    )
    if not outcome.changed:
        return FileFix(result), source.text
    diff = unified_diff(source_file.display, source.text, outcome.text)
    return FileFix(result, fixed=len(outcome.fixed), diff=diff), outcome.text


def unified_diff(display: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        _lines(before), _lines(after), fromfile=f"a/{display}", tofile=f"b/{display}"
    )
    return "".join(lines)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines
