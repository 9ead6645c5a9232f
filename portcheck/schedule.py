"""Scheduling a run's files: which are answered in the parent, which go to workers.

Each file is analysed in isolation (``portcheck.analyze``); a process that dies costs
only its file. Results come back in path order whatever the number of workers.

A large run (``IN_PROCESS_LIMIT`` files or more) sends every file to the workers in
chunks of paths: each worker reads its files, looks them up in the cache, runs the
prefilter and analyses what needs it, so the parent reads nothing and every file is
read once. The analyzer (with the project index, about 1 MB pickled on vllm) reaches
each worker once, when it starts: forked workers inherit it, spawned ones unpickle it
from the pool's initializer arguments. A small run (pre-commit) is read in the parent,
which answers what the cache and the prefilter can and starts a pool only for enough
files to parse.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from portcheck.analyze import Analyzer
from portcheck.cache import CachedResult, ResultCache, content_digest
from portcheck.crash import processing
from portcheck.discover import SourceFile
from portcheck.isolate import die_with_parent, each_isolated
from portcheck.model import Diagnostic, FileResult
from portcheck.source import read_source

IN_PROCESS_LIMIT = 64
"""Below this many files the parent reads them itself, and a pool is started only for
``POOL_MIN_FILES`` files to parse or more (pre-commit runs)."""
POOL_MIN_FILES = 4
"""Fewer files to parse than this are parsed in-process: a pool is not worth its start-up."""
CHUNKS_PER_WORKER = 32
"""Work is cut into about this many chunks per worker, by bytes: biggest files first,
so the last chunks are small and no worker is left busy alone at the end."""
MAX_CHUNK_FILES = 64
"""A chunk of small files holds at most this many (one task costs ~0.2 ms to hand over)."""

Progress = Callable[[int, int], None]
"""Told ``(files done, files in total)`` after each file (a progress bar)."""

_Item = tuple[int, SourceFile]
"""A file with its position in the run."""


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def analyze_files(
    analyzer: Analyzer,
    files: Sequence[SourceFile],
    jobs: int | None = None,
    progress: Progress | None = None,
    cache: ResultCache | None = None,
) -> list[FileResult]:
    """Analyse every file; the results come back in the order of ``files``.

    A file's result is cached by the process that read it, with the digest of the very
    bytes it analysed.
    """
    jobs = jobs or default_jobs()
    total = len(files)
    results: list[FileResult | None] = [None] * total
    answers = _answers(analyzer, _biggest_first(files), jobs, cache)
    for done, (index, result) in enumerate(answers, start=1):
        results[index] = result
        if progress is not None:
            progress(done, total)
    return [result for result in results if result is not None]


def _answers(
    analyzer: Analyzer, items: list[_Item], jobs: int, cache: ResultCache | None
) -> Iterator[tuple[int, FileResult]]:
    """Every file's result with its position, in no particular order."""
    answer = partial(_answer_one, analyzer, cache)
    if len(items) >= IN_PROCESS_LIMIT:
        if jobs > 1:
            yield from _in_workers(analyzer, cache, items, jobs)
        else:
            # one forked child reads and analyses every file (libcst may kill its process)
            yield from each_isolated(answer, items, _crashed)
        return
    to_parse: list[_Item] = []
    for item in items:
        result = _answer_here(analyzer, cache, item[1])
        if result is None:
            to_parse.append(item)
        else:
            yield item[0], result
    if jobs > 1 and len(to_parse) >= POOL_MIN_FILES:
        yield from _in_workers(analyzer, cache, to_parse, jobs)
    else:
        yield from each_isolated(answer, to_parse, _crashed)


def _answer_here(
    analyzer: Analyzer, cache: ResultCache | None, source_file: SourceFile
) -> FileResult | None:
    """The result, when reading the file and the cache or the prefilter are enough;
    None when the file needs the parser (which may crash: not in the parent)."""
    return _answer(analyzer, cache, source_file, parse=False)


def _answer(
    analyzer: Analyzer, cache: ResultCache | None, source_file: SourceFile, parse: bool = True
) -> FileResult | None:
    """One file from its path: read once, then the cache, or the analysis (cached);
    None if the file needs the parser and ``parse`` is off.

    The cache comes first: a hit costs a hash and a small JSON read, less than the
    prefilter's scan, so a warm run scans nothing.
    """
    processing(source_file.display)
    source = read_source(source_file.path, source_file.display, analyzer.max_bytes)
    if isinstance(source, Diagnostic):
        return FileResult(source_file.display, diagnostics=[source])
    key = None
    if cache is not None:
        key = cache.key(source_file.display, source_file.kind, content_digest(source.raw))
        cached = cache.load(key)
        if cached is not None:
            return cached.file_result(source_file.display)
    if not parse and analyzer.needs_parsing(source_file, source):
        return None
    result = analyzer.analyze_text(source_file, source)
    if cache is not None and key is not None:
        cache.store(key, CachedResult.of(result))
    return result


def _answer_one(
    analyzer: Analyzer, cache: ResultCache | None, item: _Item
) -> tuple[int, FileResult]:
    result = _answer(analyzer, cache, item[1])
    assert result is not None, "a file to parse is parsed"
    return item[0], result


def _crashed(item: _Item) -> tuple[int, FileResult]:
    index, source_file = item
    return index, FileResult(source_file.display, diagnostics=[crash_diagnostic(source_file)])


def crash_diagnostic(source_file: SourceFile) -> Diagnostic:
    """What a file whose analysis killed its process gets (libcst's native parser)."""
    display = source_file.display
    return Diagnostic(
        display,
        "analyzer-crashed",
        f"{display}: the process analysing this file died; skipped (please report it)",
    )


_worker: tuple[Analyzer, ResultCache | None, Any] | None = None
"""In a worker process: the run's analyzer, cache and chunk progress (see ``_in_workers``)."""


def _start_worker(parent: int, analyzer: Analyzer, cache: ResultCache | None, started: Any) -> None:
    global _worker
    die_with_parent(parent)
    _worker = (analyzer, cache, started)


def _answer_chunk(number: int, chunk: list[_Item]) -> list[tuple[int, FileResult]]:
    """A worker's task: every file of a chunk. ``started[number]`` counts the files of
    the chunk answered so far, so a worker that dies is known to have died on the next."""
    assert _worker is not None, "a worker is started by _start_worker"
    analyzer, cache, started = _worker
    answers = []
    for done, (index, source_file) in enumerate(chunk):
        started[number] = done
        answers.append(_answer_one(analyzer, cache, (index, source_file)))
    started[number] = len(chunk)
    return answers


def _in_workers(
    analyzer: Analyzer, cache: ResultCache | None, items: list[_Item], jobs: int
) -> Iterator[tuple[int, FileResult]]:
    """Every item, in chunks handed to a pool of ``jobs`` workers as they get free.

    A worker that dies (a crash in libcst's native parser, the OOM killer) breaks the
    pool and every unfinished chunk: the file each started chunk was on gets a process
    of its own (the one that crashes costs only itself), and the other files go to a
    new pool. Every round settles at least one file, so a run always ends.
    """
    context = _fork()
    remaining = items
    while remaining:
        chunks = _chunks(remaining, jobs)
        started = (context or multiprocessing).RawArray("i", [-1] * len(chunks))
        suspects: list[_Item] = []
        again: list[_Item] = []
        pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(), analyzer, cache, started),
        )
        try:
            futures: dict[Future[list[tuple[int, FileResult]]], int] = {}
            try:
                for number, chunk in enumerate(chunks):
                    futures[pool.submit(_answer_chunk, number, chunk)] = number
            except BrokenProcessPool:
                pass  # what was not submitted goes to the next round below
            for future in as_completed(futures):
                number = futures[future]
                try:
                    yield from future.result()
                except BrokenProcessPool:
                    chunk, done = chunks[number], started[number]
                    if 0 <= done < len(chunk):
                        suspects.append(chunk[done])
                        again.extend(chunk[:done] + chunk[done + 1 :])
                    else:
                        again.extend(chunk)
                except Exception:
                    # a bug, raised in the worker: name the file it was on, as a run
                    # in one process does (portcheck.crash)
                    chunk, done = chunks[number], started[number]
                    if 0 <= done < len(chunk):
                        processing(chunk[done][1].display)
                    raise
            submitted = set(futures.values())
            for number, chunk in enumerate(chunks):
                if number not in submitted:
                    again.extend(chunk)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if again and not suspects:
            # the pool broke with no file in hand (a worker that could not start):
            # what is left is done in one forked child after another, as a small run's
            yield from each_isolated(partial(_answer_one, analyzer, cache), again, _crashed)
            return
        yield from each_isolated(partial(_answer_one, analyzer, cache), suspects, _crashed)
        remaining = again


def _chunks(items: list[_Item], jobs: int) -> list[list[_Item]]:
    """Consecutive runs of ``items`` (biggest first) of about equal bytes."""
    sizes = [_size(source_file) for _, source_file in items]
    target = max(1, sum(sizes) // (jobs * CHUNKS_PER_WORKER))
    chunks: list[list[_Item]] = []
    chunk: list[_Item] = []
    weight = 0
    for item, size in zip(items, sizes):
        chunk.append(item)
        weight += size
        if weight >= target or len(chunk) >= MAX_CHUNK_FILES:
            chunks.append(chunk)
            chunk, weight = [], 0
    if chunk:
        chunks.append(chunk)
    return chunks


def _biggest_first(files: Sequence[SourceFile]) -> list[_Item]:
    """Files with their index, the largest first: the biggest files take longest to
    parse, and starting them last would leave one worker busy alone at the end."""
    return sorted(enumerate(files), key=lambda pair: -_size(pair[1]))


def _size(source_file: SourceFile) -> int:
    try:
        return source_file.path.stat().st_size
    except OSError:
        return 0


def _fork() -> multiprocessing.context.BaseContext | None:
    """Workers forked from the parent start with the rules, the knowledge and the
    analyzer already loaded; elsewhere the platform's default start method is used."""
    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
