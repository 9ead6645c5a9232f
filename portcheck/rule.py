"""The rule plugin API: one rule is one class in one file.

A Python rule is a libcst visitor; the engine runs every enabled rule over a module
in one batched pass, so a rule only writes the ``visit_*`` methods it needs. A rule
never touches the file system: it sees the parsed module, resolved names and the
knowledge base through its :class:`RuleContext`, and calls :meth:`Rule.report`.

Each rule carries its own ``VALID`` and ``INVALID`` examples; the test suite turns
them into test cases, so a new rule needs no test registration.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar

import libcst as cst
from libcst.metadata import (
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from portcheck.cuda_path import MODULE as CUDA_MODULE
from portcheck.cuda_path import (
    chosen_cuda_values,
    is_compared_device_string,
    kept_reason,
    table_cuda_values,
)
from portcheck.fastcst.libcst_internals import fast_path
from portcheck.fastcst.metadata import LazyQualifiedNames, imported_names
from portcheck.fastcst.walk import callback_names
from portcheck.handled import StatementIndex, handled_reason
from portcheck.model import Category, Finding
from portcheck.prefilter import Needles
from portcheck.project_index import ProjectIndex

if TYPE_CHECKING:
    from portcheck.knowledge import Knowledge


@dataclass(frozen=True)
class Valid:
    """Code the rule must leave alone."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag; ``api`` is the expected ``api`` of the first finding.

    ``expected_fix`` is the whole file after ``--fix`` (``--unsafe-fixes`` when
    ``unsafe`` is set); None means the finding has no fix of that tier.
    """

    code: str
    api: str | None = None
    category: Category | None = None
    count: int | None = None
    expected_fix: str | None = None
    unsafe: bool = False


@dataclass(frozen=True)
class Edit:
    """Replace one node of the module with another (libcst keeps every other byte)."""

    original: cst.CSTNode
    replacement: cst.CSTNode


@dataclass(frozen=True)
class Fix:
    """The edits that resolve a finding; shared edits (an import) are applied once."""

    edits: tuple[Edit, ...]
    unsafe: bool = False
    needs_torch_npu_import: bool = False
    companions: tuple[cst.CSTNode, ...] = ()
    """Nodes that other findings' fixes must rewrite in the same pass, or this fix is
    not made: a fixed ``if`` test and the CUDA-only value its branch picks
    (:func:`portcheck.cuda_path.chosen_cuda_values`). Set by :meth:`Rule.report`."""

    def keeps_comments(self) -> bool:
        """Whether every comment inside an edited node is in its replacement too: a rule
        that rebuilds ``(torch  # why\n .cuda.synchronize())`` from names would delete the
        comment, so ``--fix`` does not make it and the finding is not counted as fixable
        (it stays, to be fixed by hand)."""
        return all(
            not _comments(edit.original) - _comments(edit.replacement) for edit in self.edits
        )


def _comments(node: cst.CSTNode) -> Counter[str]:
    comments = _Comments()
    node.visit(comments)
    return comments.found


class _Comments(cst.CSTVisitor):
    """One class for every call: the walk plans a visitor class once (a class made per
    call cost a ``dir()`` of it per fix, 8 ms each, and stayed in that cache)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: Counter[str] = Counter()

    def visit_Comment(self, comment: cst.Comment) -> None:
        self.found[comment.value] += 1


@dataclass
class RuleContext:
    """What a rule may know about the file it is looking at."""

    path: str
    module: cst.Module
    knowledge: Knowledge
    findings: list[tuple[Finding, Fix | None]] = field(default_factory=list)
    project: ProjectIndex = ProjectIndex()
    handled: list[Finding] = field(default_factory=list)
    """Findings in code that already covers NPU (see :mod:`portcheck.handled`)."""
    reported: set[int] = field(default_factory=set)
    """The ids of every reported node, with a fix or without: a test's companion that a
    rule reports without a fix keeps the test from being fixed alone."""
    statement_index: StatementIndex = field(default_factory=StatementIndex)
    """Where each statement is in its block, shared by the file's findings."""
    _table_values: tuple[cst.CSTNode, ...] | None = None

    def table_cuda_values(self) -> tuple[cst.CSTNode, ...]:
        """The ``"cuda"`` items of the file's device tables (:func:`.cuda_path.table_cuda_values`),
        found on first use."""
        if self._table_values is None:
            self._table_values = table_cuda_values(self.module)
        return self._table_values


class RuleInfo:
    """What ``portcheck rules``, ``--select`` and the reports know of any rule."""

    id: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    category: ClassVar[Category]
    fixable: ClassVar[bool] = False


class Rule(RuleInfo, cst.BatchableCSTVisitor):
    """Base class of every Python-source rule."""

    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    NEEDLES: ClassVar[Needles | None] = None
    """The names and string prefixes the rule's findings are made of (see
    :mod:`portcheck.prefilter`): the prefilter skips files without them in code. None:
    every file goes to the rule."""

    METADATA_DEPENDENCIES = (
        PositionProvider,
        QualifiedNameProvider,
        ParentNodeProvider,
        ScopeProvider,
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__()
        self.context = context

    @classmethod
    def needles(cls, knowledge: Knowledge) -> Needles | None:
        return cls.NEEDLES

    @property
    def knowledge(self) -> Knowledge:
        return self.context.knowledge

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        """libcst's answer, with the method names found once per class: libcst runs
        ``inspect.getmembers`` on every instance, and a rule is instantiated per file."""
        if not fast_path():
            return super().get_visitors()
        return {name: getattr(self, name) for name in callback_names(type(self))}

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """Fully qualified names of ``node`` that come from absolute imports.

        Local names and relative imports are dropped: a project's own ``cuda_utils``
        module or ``cuda`` variable is never a CUDA API. Names of the project's own
        packages are followed through its re-exports to the library they come from
        (``vllm.triton_utils.tl`` is ``triton.language``), or dropped.
        """
        provider = self.metadata.get(QualifiedNameProvider)
        if isinstance(provider, LazyQualifiedNames):
            names = provider.imported(node)
        else:
            names = imported_names(self.get_metadata(QualifiedNameProvider, node, set()))
        return self.context.project.resolve_all(names) if names else names

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.get_metadata(ParentNodeProvider, node, None)

    def report(
        self,
        node: cst.CSTNode,
        *,
        api: str,
        message: str,
        category: Category | None = None,
        suggestion: str | None = None,
        evidence: str = "",
        fix: Fix | None = None,
    ) -> None:
        position = self.get_metadata(PositionProvider, node)
        code_of = self.context.module.code_for_node
        handled = handled_reason(node, self.parent, code_of, self.context.statement_index)
        kept = None
        if fix is not None:
            kept = kept_reason(node, self.parent, code_of)
            if kept is None and self.context.project.is_cuda_module(self.context.path):
                kept = CUDA_MODULE
        self.context.reported.add(id(node))
        if handled is not None or kept is not None:
            fix = None
        elif fix is not None:
            companions = chosen_cuda_values(node, self.parent)
            if is_compared_device_string(node, self.parent):
                tables = self.context.table_cuda_values()
                companions += tuple(value for value in tables if value is not node)
            if companions:
                fix = replace(fix, companions=companions)
        keeps_comments = fix is None or fix.keeps_comments()
        finding = Finding(
            path=self.context.path,
            line=position.start.line,
            column=position.start.column + 1,
            end_line=position.end.line,
            end_column=position.end.column + 1,
            rule=self.id,
            api=api,
            category=category or self.category,
            message=message,
            suggestion=suggestion,
            fixable=fix is not None and not fix.unsafe and keeps_comments,
            evidence=evidence,
            source=_normalised_source(self.context.module, node),
            extra={"unsafe_fix": True} if fix is not None and fix.unsafe else {},
        )
        if kept is not None:
            finding.extra["kept_cuda"] = kept
        if handled is not None:
            finding.extra["handled"] = handled
            self.context.handled.append(finding)
            return
        self.context.findings.append((finding, fix))


def _normalised_source(module: cst.Module, node: cst.CSTNode) -> str:
    """The node's code with whitespace collapsed: stable when code moves or is re-indented."""
    return " ".join(module.code_for_node(node).split())[:200]


@dataclass(frozen=True)
class TextExample:
    """A non-Python example: a file name (it selects the rule) and its content."""

    filename: str
    content: str
    api: str | None = None
    count: int | None = None


class TextRule(RuleInfo):
    """Base class of rules over files that are not Python: manifests, native sources.

    Such files are small and their findings are line based, so the rule gets the
    decoded text and returns findings; it still never touches the file system.
    """

    VALID: ClassVar[Sequence[TextExample]] = ()
    INVALID: ClassVar[Sequence[TextExample]] = ()

    def applies_to(self, filename: str) -> bool:
        raise NotImplementedError

    def applies_to_file(self, filename: str, requirements: bool) -> bool:
        """Whether the rule reads a file: ``requirements`` is true for every pip
        requirements file, whatever its name (``requirements/cuda.txt``, a file pulled in
        with ``-r``); by default the file name decides (:meth:`applies_to`)."""
        return self.applies_to(filename)

    def check(self, path: str, text: str, knowledge: Knowledge) -> list[Finding]:
        raise NotImplementedError
