"""Running the rules over files: prefilter → parse → resolve → rules, one file at a time.

Each file is analysed in isolation and every failure is caught at the file boundary
and turned into a diagnostic, so a run always finishes and always reports what it
could not read. Results come back in path order whatever the number of workers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper

from portcheck.cache import CachedResult, ResultCache, content_digest
from portcheck.discover import SourceFile
from portcheck.knowledge import Knowledge, load_knowledge
from portcheck.metadata import seed as seed_metadata
from portcheck.model import Diagnostic, Finding
from portcheck.parsing import parse_module
from portcheck.prefilter import Needles, Prefilter
from portcheck.registry import RuleClass
from portcheck.rule import Fix, Rule, RuleContext, TextRule
from portcheck.source import (
    DEFAULT_MAX_BYTES,
    MAX_BRACKET_DEPTH,
    SourceText,
    bracket_depth_exceeds,
    read_source,
)
from portcheck.suppress import Suppression
from portcheck.suppress import scan as scan_suppressions
from portcheck.walk import read_only_visits

IN_PROCESS_LIMIT = 64
"""Below this many files a pool's start-up costs more than it saves (pre-commit runs)."""
POOL_MIN_FILES = 4
"""Fewer files to parse than this are parsed in-process: a pool is not worth its start-up."""
OVERLAP_MIN_FILES = 500
"""A file to parse found with this many files still to read goes to a worker at once:
reading them (a warm run of a large tree) takes longer than starting the pool, and the
file is parsed meanwhile (one file edited in a large tree)."""
GC_YOUNG_THRESHOLD = 10_000
"""Allocations between young-generation collections while a file is analysed (700 by default)."""


@dataclass
class FileResult:
    """What one file produced; ``fixes`` is only filled when fixes were asked for."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixes: list[tuple[Finding, Fix | None]] = field(default_factory=list)
    parsed: bool = False
    module: cst.Module | None = None
    suppressions: tuple[Suppression, ...] = ()


@dataclass(frozen=True)
class Analyzer:
    """The rules and the knowledge of one run; picklable so workers can rebuild it."""

    target: str
    rule_ids: tuple[str, ...]
    use_prefilter: bool = True
    max_bytes: int = DEFAULT_MAX_BYTES

    def rules(self) -> tuple[RuleClass, ...]:
        from portcheck.registry import all_rules

        wanted = set(self.rule_ids)
        return tuple(rule for rule in all_rules() if rule.id in wanted)

    def knowledge(self) -> Knowledge:
        return load_knowledge(self.target)

    def analyze_file(self, source_file: SourceFile, keep_fixes: bool = False) -> FileResult:
        source = read_source(source_file.path, source_file.display, self.max_bytes)
        if isinstance(source, Diagnostic):
            return FileResult(source_file.display, diagnostics=[source])
        return self.analyze_text(source_file, source, keep_fixes)

    def analyze_text(
        self, source_file: SourceFile, source: SourceText, keep_fixes: bool = False
    ) -> FileResult:
        result = FileResult(source_file.display)
        result.suppressions = scan_suppressions(source.text, source_file.kind)
        with _fewer_collections():
            try:
                if source_file.kind == "text":
                    result.findings = self._check_text(source_file.display, source.text)
                elif source_file.kind == "python":
                    self._check_python(source_file.display, source, result, keep_fixes)
                elif source_file.kind == "notebook":
                    self._check_notebook(source_file.display, source, result)
                else:
                    result.diagnostics.append(
                        Diagnostic(
                            source_file.display,
                            "unsupported-file",
                            f"{source_file.display}: {source_file.kind} files are not checked yet",
                            severity="info",
                        )
                    )
            except RecursionError:
                result.diagnostics.append(
                    Diagnostic(
                        source_file.display,
                        "too-deeply-nested",
                        f"{source_file.display}: expressions nested too deeply to analyse; skipped",
                    )
                )
            except Exception:  # a bug in a rule must cost one file, not the run: report it
                last = traceback.format_exc().strip().splitlines()[-1]
                result.diagnostics.append(
                    Diagnostic(
                        source_file.display,
                        "internal-error",
                        f"{source_file.display}: portcheck failed on this file ({last}); "
                        "please report it",
                    )
                )
        result.findings.sort(key=Finding.sort_key)
        return result

    def _check_text(self, display: str, text: str) -> list[Finding]:
        filename = display.rsplit("/", 1)[-1]
        findings: list[Finding] = []
        for rule in self.rules():
            if issubclass(rule, TextRule) and rule().applies_to(filename):
                findings.extend(rule().check(display, text, self.knowledge()))
        return findings

    def _python_rules(self) -> list[type[Rule]]:
        return [rule for rule in self.rules() if issubclass(rule, Rule)]

    def needs_parsing(self, source_file: SourceFile, source: SourceText) -> bool:
        """Whether analysing the file means parsing it; everything else is cheap."""
        if source_file.kind == "python":
            return bool(self._python_rules()) and _cached_prefilter(self).may_match(source)
        return source_file.kind == "notebook"

    def prefilter(self) -> Prefilter:
        if not self.use_prefilter:
            return Prefilter.passing_everything()
        needles: list[Needles] = []
        words: list[str] = []
        for rule in self._python_rules():
            rule_needles = rule.needles(self.knowledge())
            triggers = rule.triggers(self.knowledge()) if rule_needles is None else ()
            if triggers is None:
                return Prefilter.passing_everything()
            if rule_needles is not None:
                needles.append(rule_needles)
            words.extend(triggers)
        return Prefilter(needles, words)

    def _check_python(
        self, display: str, source: SourceText, result: FileResult, keep_fixes: bool
    ) -> None:
        rules = self._python_rules()
        if not rules or not _cached_prefilter(self).must_parse(source):
            return
        if bracket_depth_exceeds(source.text):
            result.diagnostics.append(
                Diagnostic(
                    display,
                    "too-deeply-nested",
                    f"{display}: brackets nested more than {MAX_BRACKET_DEPTH} deep, which "
                    "Python itself rejects; skipped",
                )
            )
            return
        try:
            module = parse_module(source.text)
        except cst.ParserSyntaxError as error:
            result.diagnostics.append(_parse_error(display, error))
            return
        result.parsed = True
        context = RuleContext(path=display, module=module, knowledge=self.knowledge())
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        with read_only_visits():
            seed_metadata(wrapper, source.text)
            wrapper.visit_batched([rule(context) for rule in rules])
        result.findings = [finding for finding, _ in context.findings]
        if keep_fixes:
            result.fixes = list(context.findings)
            result.fixes.sort(key=lambda pair: pair[0].sort_key())
            result.module = module

    def _check_notebook(self, display: str, source: SourceText, result: FileResult) -> None:
        """The code cells as one module; fixes go through ``notebook.fix_notebook``."""
        from portcheck import notebook as nb

        try:
            parsed = nb.parse_notebook(source.text)
        except nb.NotebookError as error:
            result.diagnostics.append(nb.notebook_diagnostic(display, error))
            return
        python = parsed.python
        result.suppressions = scan_suppressions(python, "python")
        self._check_python(display, SourceText(python, python.encode(), "utf-8"), result, False)
        result.findings = nb.locate_findings(parsed, result.findings)
        result.diagnostics = [nb.locate_diagnostic(parsed, d) for d in result.diagnostics]


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while one file is analysed.

    Parsing and resolving a file allocate hundreds of thousands of objects, and
    Python's default (a young-generation collection every 700 allocations, each
    tenth promoting to older ones that are traversed in full) spends about 15% of
    the time collecting them; the tree is freed by reference counting when the file
    is done anyway. Ten times fewer collections recover most of it. Overlapping uses
    (an editor server analysing from two threads) are counted, so the caller's
    thresholds come back when the last one ends.
    """
    global _RELAXED, _SAVED_THRESHOLDS
    with _GC_LOCK:
        if _RELAXED == 0:
            _SAVED_THRESHOLDS = gc.get_threshold()
            young, *older = _SAVED_THRESHOLDS
            gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), *older)
        _RELAXED += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _RELAXED -= 1
            if _RELAXED == 0:
                gc.set_threshold(*_SAVED_THRESHOLDS)


_GC_LOCK = threading.Lock()
_RELAXED = 0
_SAVED_THRESHOLDS: tuple[int, ...] = gc.get_threshold()


_PREFILTERS: dict[Analyzer, Prefilter] = {}


def _cached_prefilter(analyzer: Analyzer) -> Prefilter:
    if analyzer not in _PREFILTERS:
        _PREFILTERS[analyzer] = analyzer.prefilter()
    return _PREFILTERS[analyzer]


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
    key: str | None


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
    source = read_source(source_file.path, source_file.display, analyzer.max_bytes)
    if isinstance(source, Diagnostic):
        return FileResult(source_file.display, diagnostics=[source])
    digest = content_digest(source.raw)
    key = None
    if cache is not None:
        key = cache.key(source_file.display, source_file.kind, digest)
        cached = cache.load(key)
        if cached is not None:
            return FileResult(
                source_file.display,
                findings=list(cached.findings),
                diagnostics=list(cached.diagnostics),
                parsed=cached.parsed,
                suppressions=cached.suppressions,
            )
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
                self._pool = ProcessPoolExecutor(max_workers=self._jobs, mp_context=_fork())
                for waiting in self._waiting:
                    self._submit(waiting)
                self._waiting = []
            return
        self._submit(item)

    def results(self) -> Iterator[tuple[_ToParse, tuple[FileResult, str | None]]]:
        for item in self._waiting:
            yield item, _analyze_in_worker(self._analyzer, item.source_file)
        for item, future in self._submitted:
            try:
                if future is None:
                    raise BrokenProcessPool
                answer = future.result()
            except BrokenProcessPool:
                # a worker died (a crash in native parser code, the OOM killer): find
                # the file that does it by giving each unfinished file a process of its own
                answer = _analyze_isolated(self._analyzer, item.source_file)
            yield item, answer

    def _submit(self, item: _ToParse) -> None:
        assert self._pool is not None
        try:
            future = self._pool.submit(_analyze_in_worker, self._analyzer, item.source_file)
        except BrokenProcessPool:
            future = None
        self._submitted.append((item, future))


def _analyze_isolated(analyzer: Analyzer, source_file: SourceFile) -> tuple[FileResult, str | None]:
    with ProcessPoolExecutor(max_workers=1, mp_context=_fork()) as pool:
        try:
            return pool.submit(_analyze_in_worker, analyzer, source_file).result()
        except BrokenProcessPool:
            display = source_file.display
            crashed = Diagnostic(
                display,
                "analyzer-crashed",
                f"{display}: the process analysing this file died; skipped (please report it)",
            )
            return FileResult(display, diagnostics=[crashed]), None


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


ERROR_POSITION = re.compile(r"error at (\d+):(\d+)")


def _parse_error(display: str, error: cst.ParserSyntaxError) -> Diagnostic:
    """libcst's native parser can report the line after the error, and its columns are
    not reliable; the message has the real line, so report that line only."""
    summary = error.message.splitlines()[0]
    position = ERROR_POSITION.search(summary)
    line = int(position.group(1)) if position else error.raw_line
    summary = ERROR_POSITION.sub("error", summary).replace("parser error: error: ", "")
    return Diagnostic(
        display,
        "parse-error",
        f"{display}:{line}: syntax error ({summary}); is this Python 3?",
        line=line,
    )
