"""Scheduling a run's files: which are answered in the parent, which go to workers.

Each file is analysed in isolation (``portcheck.analyze``); a worker that dies costs
only its file. Results come back in path order whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from portcheck.analyze import Analyzer
from portcheck.cache import CachedResult, CacheKey, ResultCache, content_digest
from portcheck.crash import processing
from portcheck.discover import SourceFile
from portcheck.isolate import die_with_parent, each_isolated
from portcheck.model import Diagnostic, FileResult
from portcheck.source import read_source

IN_PROCESS_LIMIT = 64
"""Below this many files a pool's start-up costs more than it saves (pre-commit runs)."""
POOL_MIN_FILES = 4
"""Fewer files to parse than this are parsed in-process: a pool is not worth its start-up."""
OVERLAP_MIN_FILES = 500
"""A file to parse found with this many files still to read goes to a worker at once:
reading them (a warm run of a large tree) takes longer than starting the pool, and the
file is parsed meanwhile (one file edited in a large tree)."""


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


Progress = Callable[[int, int], None]
"""Told ``(files done, files in total)`` after each file (a progress bar)."""


@dataclass(frozen=True)
class _ToParse:
    """A file the parent could not answer by itself: it needs the parser."""

    index: int
    source_file: SourceFile
    digest: str
    key: CacheKey | None


def _analyze_in_worker(
    analyzer: Analyzer, source_file: SourceFile
) -> tuple[FileResult, str | None]:
    """Analyse one file, with the digest of the bytes analysed (None if none were)."""
    source = read_source(source_file.path, source_file.display, analyzer.max_bytes)
    if isinstance(source, Diagnostic):
        return FileResult(source_file.display, diagnostics=[source]), None
    return analyzer.analyze_text(source_file, source), content_digest(source.raw)


def _answer_here(
    analyzer: Analyzer, index: int, source_file: SourceFile, cache: ResultCache | None
) -> FileResult | _ToParse:
    """The result, when reading the file and the cache or the prefilter are enough.

    The cache comes first: a hit costs a hash and a small JSON read, less than the
    prefilter's scan, so a warm run scans nothing; what the prefilter answers is cached
    as well.
    """
    processing(source_file.display)
    source = read_source(source_file.path, source_file.display, analyzer.max_bytes)
    if isinstance(source, Diagnostic):
        return FileResult(source_file.display, diagnostics=[source])
    digest = content_digest(source.raw)
    key = None
    if cache is not None:
        key = cache.key(source_file.display, source_file.kind, digest)
        cached = cache.load(key)
        if cached is not None:
            return cached.file_result(source_file.display)
    if analyzer.needs_parsing(source_file, source):
        return _ToParse(index, source_file, digest, key)
    result = analyzer.analyze_text(source_file, source)
    if cache is not None and key is not None:
        cache.store(key, CachedResult.of(result))
    return result


class _Parsing:
    """The files that need the parser, analysed while the parent is still reading others.

    Files are kept in-process until there are ``POOL_MIN_FILES`` of them, or one is found
    with ``OVERLAP_MIN_FILES`` files still to read (a pre-commit run never pays a pool's
    start-up); from then on each one goes to a worker as soon as the parent finds it, so
    reading, cache look-ups and the prefilter's scan in the parent overlap with parsing
    in the workers. Results are handed back in the order the files were added.
    """

    def __init__(self, analyzer: Analyzer, jobs: int) -> None:
        self._analyzer = analyzer
        self._jobs = jobs
        self._waiting: list[_ToParse] = []
        self._pool: ProcessPoolExecutor | None = None
        self._submitted: list[tuple[_ToParse, Future[tuple[FileResult, str | None]] | None]] = []

    def __enter__(self) -> _Parsing:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, item: _ToParse, still_to_read: int) -> None:
        if self._pool is None:
            self._waiting.append(item)
            enough = len(self._waiting) >= POOL_MIN_FILES or still_to_read >= OVERLAP_MIN_FILES
            if self._jobs > 1 and enough:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._jobs, mp_context=_fork(), initializer=die_with_parent
                )
                for waiting in self._waiting:
                    self._submit(waiting)
                self._waiting = []
            return
        self._submit(item)

    def results(self) -> Iterator[tuple[_ToParse, tuple[FileResult, str | None]]]:
        # files parsed here still get a process of their own: libcst may crash its process
        answers = each_isolated(self._analyze, self._waiting, _crashed)
        yield from zip(self._waiting, answers)
        for item, future in self._submitted:
            try:
                if future is None:
                    raise BrokenProcessPool
                answer = future.result()
            except BrokenProcessPool:
                # a worker died (a crash in native parser code, the OOM killer): find
                # the file that does it by giving each unfinished file a process of its own
                answer = next(each_isolated(self._analyze, [item], _crashed))
            yield item, answer

    def _analyze(self, item: _ToParse) -> tuple[FileResult, str | None]:
        return _analyze_in_worker(self._analyzer, item.source_file)

    def _submit(self, item: _ToParse) -> None:
        assert self._pool is not None
        try:
            future = self._pool.submit(_analyze_in_worker, self._analyzer, item.source_file)
        except BrokenProcessPool:
            future = None
        self._submitted.append((item, future))


def _crashed(item: _ToParse) -> tuple[FileResult, str | None]:
    crashed = crash_diagnostic(item.source_file)
    return FileResult(item.source_file.display, diagnostics=[crashed]), None


def crash_diagnostic(source_file: SourceFile) -> Diagnostic:
    """What a file whose analysis killed its process gets (libcst's native parser)."""
    display = source_file.display
    return Diagnostic(
        display,
        "analyzer-crashed",
        f"{display}: the process analysing this file died; skipped (please report it)",
    )


def _biggest_first(files: Sequence[SourceFile]) -> list[tuple[int, SourceFile]]:
    """Files with their index, the largest first: the biggest files take longest to
    parse, and starting them last would leave one worker busy alone at the end."""
    return sorted(enumerate(files), key=lambda pair: -_size(pair[1]))


def _size(source_file: SourceFile) -> int:
    try:
        return source_file.path.stat().st_size
    except OSError:
        return 0


def _fork() -> multiprocessing.context.BaseContext | None:
    """Workers forked from the parent start with the rules and knowledge already loaded."""
    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def analyze_files(
    analyzer: Analyzer,
    files: Sequence[SourceFile],
    jobs: int | None = None,
    progress: Progress | None = None,
    cache: ResultCache | None = None,
) -> list[FileResult]:
    """Analyse every file; the results come back in the order of ``files``.

    The parent does the cheap part itself (reading, the prefilter, cache look-ups), so a
    warm run or a tree where few files mention CUDA never starts a pool; only the files
    that must be parsed go to worker processes, biggest first, and a parsed file's
    result is cached unless the file changed while it was being analysed.
    """
    total = len(files)
    results: list[FileResult | None] = [None] * total
    done = 0

    def finished(index: int, result: FileResult) -> None:
        nonlocal done
        results[index] = result
        done += 1
        if progress is not None:
            progress(done, total)

    with _Parsing(analyzer, jobs or default_jobs()) as parsing:
        for position, (index, source_file) in enumerate(_biggest_first(files)):
            answer = _answer_here(analyzer, index, source_file, cache)
            if isinstance(answer, _ToParse):
                parsing.add(answer, still_to_read=total - position - 1)
            else:
                finished(index, answer)
        for item, (result, digest) in parsing.results():
            if cache is not None and item.key is not None and digest == item.digest:
                cache.store(item.key, CachedResult.of(result))
            finished(item.index, result)
    return [result for result in results if result is not None]
