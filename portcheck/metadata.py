"""Three libcst metadata providers, computed the cheap way; the rules see no difference.

Resolving metadata is most of the cost of analysing a file, and three of libcst's
providers spend it on work a rule rarely needs:

- ``ParentNodeProvider`` walks the tree with libcst's visitor machinery, which
  rebuilds every node on the way; reading the dataclass fields gives the same
  child → parent map about ten times faster;
- ``QualifiedNameProvider`` walks the whole tree to attach a lazily computed value to
  every node, when rules ask for the names of a few; a mapping that computes them on
  first access from the node's scope (exactly as the provider's lazy values do) skips
  the walk;
- ``PositionProvider`` computes a ``CodeRange`` for every node of the module, when
  only reported nodes need one; :class:`LazyPositions` runs one plain code generation
  pass on first access that records token indices (the same start and end points as
  libcst's, token for token) and turns only the asked-for ones into line and column.

:func:`seed` puts all three into a ``MetadataWrapper`` before the rules run, so rules
keep asking for ``ParentNodeProvider``, ``QualifiedNameProvider`` and
``PositionProvider`` as before. The tests compare them, node for node, with libcst's own providers.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import (
    CodePosition,
    CodeRange,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

_LINE_BREAK = re.compile(r"\r\n?|\n")
"""What libcst's position provider counts as a line break."""

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def seed(wrapper: MetadataWrapper) -> None:
    """Give ``wrapper`` its parent map, qualified names and positions without libcst's walks."""
    computed = getattr(wrapper, "_metadata", None)
    if not isinstance(computed, dict):  # another libcst layout: let libcst do it all
        return
    parents = parent_map(wrapper.module)
    if parents is None:
        return
    computed.setdefault(ParentNodeProvider, parents)
    if QualifiedNameProvider not in computed:
        scopes = wrapper.resolve(ScopeProvider)
        computed[QualifiedNameProvider] = LazyQualifiedNames(wrapper.module, parents, scopes)
    computed.setdefault(PositionProvider, LazyPositions(wrapper.module))


def parent_map(module: cst.Module) -> Mapping[cst.CSTNode, cst.CSTNode] | None:
    """Child → parent for every node under ``module``; None if a node occurs twice.

    A node object shared by two places has no single parent; libcst's provider would
    keep the last one it visits, so such a tree is left to libcst.
    """
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        for child in _children(node):
            if child in parents:
                return None
            parents[child] = node
            stack.append(child)
    return MappingProxyType(parents)


class LazyQualifiedNames(Mapping[cst.CSTNode, "set[QualifiedName]"]):
    """``QualifiedNameProvider``'s answers, each computed on first access.

    Like the provider: a node with a scope gets ``scope.get_qualified_names_for(node)``,
    any other node of the tree an empty set, and a node outside the tree no entry.
    """

    def __init__(
        self,
        module: cst.Module,
        parents: Mapping[cst.CSTNode, cst.CSTNode],
        scopes: Mapping[cst.CSTNode, Scope | None],
    ) -> None:
        self._module = module
        self._parents = parents
        self._scopes = scopes
        self._known: dict[cst.CSTNode, set[QualifiedName]] = {}

    def __getitem__(self, node: cst.CSTNode) -> set[QualifiedName]:
        known = self._known.get(node)
        if known is not None:
            return known
        scope = self._scopes.get(node)
        if scope is not None:
            names = set(scope.get_qualified_names_for(node))
        elif node is self._module or node in self._parents:
            names = set()
        else:
            raise KeyError(node)
        self._known[node] = names
        return names

    def __iter__(self) -> Iterator[cst.CSTNode]:
        yield self._module
        yield from self._parents

    def __len__(self) -> int:
        return 1 + len(self._parents)


class LazyPositions(Mapping[cst.CSTNode, CodeRange]):
    """``PositionProvider``'s answers, all computed by one cheap pass on first access.

    libcst's provider tracks line and column token by token and builds a ``CodeRange``
    for every node; this pass generates the same tokens, records where each node
    starts and ends as token indices (the same points, hoisting included, as
    libcst's ``PositionProvidingCodegenState``), and converts only the asked-for
    indices to line and column.
    """

    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._generated: tuple[dict[cst.CSTNode, tuple[int, int]], _TokenPoints] | None = None
        self._known: dict[cst.CSTNode, CodeRange] = {}

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        known = self._known.get(node)
        if known is not None:
            return known
        spans, points = self._generate()
        start, end = spans[node]
        known = CodeRange(points.position(start), points.position(end))
        self._known[node] = known
        return known

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._generate()[0])

    def __len__(self) -> int:
        return len(self._generate()[0])

    def _generate(self) -> tuple[dict[cst.CSTNode, tuple[int, int]], _TokenPoints]:
        if self._generated is None:
            state = _SpanRecordingState(
                default_indent=self._module.default_indent,
                default_newline=self._module.default_newline,
            )
            self._module._codegen(state)
            self._generated = (state.spans, _TokenPoints(state.tokens))
        return self._generated


class _SpanRecordingState(CodegenState):
    """Code generation that records each node's span as token indices.

    Mirrors libcst's ``PositionProvidingCodegenState``: a node's syntactic span
    (``record_syntactic_position``, possibly hoisted from child nodes) wins over its
    whole span, which is recorded only when none is. The trailing newline is kept:
    libcst's provider pops it from the output but not from its line count.
    """

    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.spans: dict[cst.CSTNode, tuple[int, int]] = {}
        self._starts: list[int] = []

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append(len(self.tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        if node not in self.spans:
            self.spans[node] = (start, len(self.tokens))

    def pop_trailing_newline(self) -> None:
        pass

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = len(self.tokens)
        try:
            yield
        finally:
            end = len(self.tokens)
            if start_node is not None:
                start = self.spans[start_node][0]
            if end_node is not None:
                end = self.spans[end_node][1]
            self.spans[node] = (start, end)


class _TokenPoints:
    """Line and column (zero-based, in characters) before the token at an index.

    libcst counts ``\r\n``, ``\r`` and ``\n`` as line breaks within each token;
    without a ``\r`` in the code that is counting ``\n`` in the joined text,
    otherwise the tokens are walked one by one exactly as libcst does.
    """

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._offsets = [0, *itertools.accumulate(map(len, tokens))]
        self._text = "".join(tokens)
        self._newlines: list[int] | None = None
        self._walked: list[CodePosition] | None = None

    def position(self, index: int) -> CodePosition:
        if "\r" in self._text:
            return self._walk()[index]
        if self._newlines is None:
            self._newlines = [match.start() for match in re.finditer("\n", self._text)]
        offset = self._offsets[index]
        line = bisect.bisect_left(self._newlines, offset)
        line_start = self._newlines[line - 1] + 1 if line else 0
        return CodePosition(line + 1, offset - line_start)

    def _walk(self) -> list[CodePosition]:
        if self._walked is None:
            line, column = 1, 0
            walked = [CodePosition(line, column)]
            for token in self._tokens:
                segments = _LINE_BREAK.split(token)
                if len(segments) == 1:
                    column += len(token)
                else:
                    line += len(segments) - 1
                    column = len(segments[-1])
                walked.append(CodePosition(line, column))
            self._walked = walked
        return self._walked


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    names = _CHILD_FIELDS.get(type(node))
    if names is None:
        names = tuple(field.name for field in dataclasses.fields(node))
        _CHILD_FIELDS[type(node)] = names
    children: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            children.append(value)
        elif isinstance(value, (tuple, list)):
            children.extend(item for item in value if isinstance(item, cst.CSTNode))
    return children
