"""Analysing one file: prefilter → parse → resolve → rules.

Every failure is caught at the file boundary and turned into a diagnostic, so a run
always finishes and always reports what it could not read. Which process analyses
which file is ``portcheck.schedule``'s job.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace

import libcst as cst
from libcst.metadata import MetadataWrapper

from portcheck.discover import SourceFile
from portcheck.fastcst.collector import fewer_collections
from portcheck.fastcst.libcst_internals import fast_path
from portcheck.fastcst.metadata import seed as seed_metadata
from portcheck.fastcst.metadata import statement_places
from portcheck.fastcst.parsing import parse_module
from portcheck.fastcst.walk import read_only_visits
from portcheck.fix.plan import settle_companions
from portcheck.fix.replacements import fix_replacements
from portcheck.knowledge import DEFAULT_CHIP, Knowledge, load_knowledge
from portcheck.model import Diagnostic, FileResult, Finding
from portcheck.prefilter import Needles, Prefilter
from portcheck.project_index import ProjectIndex, build_index
from portcheck.registry import RuleClass
from portcheck.rule import Rule, RuleContext, TextRule
from portcheck.source import (
    DEFAULT_MAX_BYTES,
    SourceText,
    nesting_problem,
    read_source,
)
from portcheck.suppress import scan as scan_suppressions


@dataclass(frozen=True)
class Analyzer:
    """The rules and the knowledge of one run; picklable so workers can rebuild it."""

    target: str
    rule_ids: tuple[str, ...]
    use_prefilter: bool = True
    max_bytes: int = DEFAULT_MAX_BYTES
    project: ProjectIndex = ProjectIndex()
    """The run's first-party packages and re-exports (:mod:`portcheck.project_index`)."""
    chip: str = DEFAULT_CHIP

    def __post_init__(self) -> None:
        # whether libcst has what the fast path needs is found out (and warned about)
        # once, here in the parent, before worker processes start
        fast_path()

    def rules(self) -> tuple[RuleClass, ...]:
        from portcheck.registry import all_rules

        wanted = set(self.rule_ids)
        return tuple(rule for rule in all_rules() if rule.id in wanted)

    def knowledge(self) -> Knowledge:
        return load_knowledge(self.target, self.chip)

    def with_project(self, files: Sequence[SourceFile]) -> Analyzer:
        """This analyzer with the project index of ``files`` (built once per run)."""
        libraries = {fact.api.split(".")[0] for fact in self.knowledge().module_facts()}
        return replace(self, project=build_index(files, {"torch", *libraries}))

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
        with fewer_collections():
            try:
                if source_file.kind in ("text", "requirements"):
                    result.findings = self._check_text(source_file, source.text)
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

    def _check_text(self, source_file: SourceFile, text: str) -> list[Finding]:
        display = source_file.display
        filename = display.rsplit("/", 1)[-1]
        requirements = source_file.kind == "requirements"
        findings: list[Finding] = []
        for rule in self.rules():
            if issubclass(rule, TextRule) and rule().applies_to_file(filename, requirements):
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
        for rule in self._python_rules():
            rule_needles = rule.needles(self.knowledge())
            if rule_needles is None:
                return Prefilter.passing_everything()
            needles.append(rule_needles)
        return Prefilter(needles, project=self.project)

    def _check_python(
        self, display: str, source: SourceText, result: FileResult, keep_fixes: bool
    ) -> None:
        rules = self._python_rules()
        if not rules or not _cached_prefilter(self).must_parse(source):
            return
        too_deep = nesting_problem(source.text)
        if too_deep is not None:
            result.diagnostics.append(
                Diagnostic(display, "too-deeply-nested", f"{display}: {too_deep}; skipped")
            )
            return
        fast = fast_path()
        try:
            module = parse_module(source.text) if fast else cst.parse_module(source.text)
        except cst.ParserSyntaxError as error:
            result.diagnostics.append(_parse_error(display, error))
            return
        result.parsed = True
        context = RuleContext(
            path=display, module=module, knowledge=self.knowledge(), project=self.project
        )
        # the tree is the parser's own, used by nothing else: libcst need not copy it
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        if fast:
            with read_only_visits():
                seed_metadata(wrapper, source.text)
                wrapper.visit_batched([rule(context) for rule in rules])
        else:
            wrapper.visit_batched([rule(context) for rule in rules])
        pairs = sorted(
            settle_companions(context.findings, context.reported),
            key=lambda pair: pair[0].sort_key(),
        )
        result.findings = [finding for finding, _ in pairs]
        result.handled = sorted(context.handled, key=Finding.sort_key)
        if keep_fixes:
            result.fixes = pairs
            result.module = module
        elif display.endswith(".py") and any(
            fix is not None and finding.fixable for finding, fix in pairs
        ):
            result.replacements = fix_replacements(
                module, source.text, pairs, *statement_places(wrapper, source.text)
            )

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
        result.handled = nb.locate_findings(parsed, result.handled)
        result.diagnostics = [nb.locate_diagnostic(parsed, d) for d in result.diagnostics]


_PREFILTERS: dict[Analyzer, Prefilter] = {}


def _cached_prefilter(analyzer: Analyzer) -> Prefilter:
    if analyzer not in _PREFILTERS:
        _PREFILTERS[analyzer] = analyzer.prefilter()
    return _PREFILTERS[analyzer]


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
