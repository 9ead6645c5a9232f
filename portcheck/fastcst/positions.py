"""Line and column of reported nodes, without libcst's position pass over the whole module.

libcst's ``PositionProvider`` tracks line and column token by token and builds a
``CodeRange`` for every node. :class:`LazyPositions` answers only for the nodes asked
about, in one of two ways, both giving libcst's answers:

- **by statement** (the usual way): generate the code of the statement that holds the
  node, which gives its position within the statement, and add the line the statement
  starts on. The statement is the innermost one directly in the body of the module, a
  class or a function (generated with the indentation of the blocks around it), so a
  finding in one method of a large class costs that method. Its line comes from
  Python's own parser (:func:`python_ast`, which the prefilter already ran on the same
  text) and is checked: the statement's code must be exactly the source text at that
  line, or the answer falls back to the second way.
- **whole module**: generate the code of the whole module once, recording where each
  node starts and ends as token indices (the same points, hoisting included, as
  libcst's ``PositionProvidingCodegenState``), and convert the asked-for indices.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

from portcheck.fastcst.libcst_internals import fast_path, internals
from portcheck.source import python_ast

_LINE_BREAK = re.compile(r"\r\n?|\n")
"""What libcst's position provider counts as a line break."""
_BLANK_OR_COMMENT_LINE = re.compile(r"[ \t\f]*(?:#[^\r\n]*)?(?:\r\n?|\n)")

Spans = dict[cst.CSTNode, tuple[int, int]]


class LazyPositions(Mapping[cst.CSTNode, CodeRange]):
    """``PositionProvider``'s answers, each computed on first access.

    ``parents`` and ``text`` (the source the module was parsed from) allow answering
    by statement; without them every answer comes from the whole-module pass.
    """

    def __init__(
        self,
        module: cst.Module,
        parents: Mapping[cst.CSTNode, cst.CSTNode] | None = None,
        text: str | None = None,
        *,
        placing_only: bool = False,
    ) -> None:
        self._module = module
        self._parents = parents
        self._text = text
        self._placing_only = placing_only
        """Only :meth:`holding_statement` is asked (fixes off the fast path): statements
        are generated through libcst's public API, without the spans positions need."""
        self._whole: tuple[Spans, _TokenPoints] | None = None
        self._layout: _Layout | None = None
        self._statements: dict[cst.CSTNode, PlacedStatement | None] = {}
        self._known: dict[cst.CSTNode, CodeRange] = {}

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        known = self._known.get(node)
        if known is not None:
            return known
        known = self._by_statement(node) if self._whole is None else None
        if known is None:
            spans, points = self._generate()
            start, end = spans[node]
            known = CodeRange(points.position(start), points.position(end))
        self._known[node] = known
        return known

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._generate()[0])

    def __len__(self) -> int:
        return len(self._generate()[0])

    def _generate(self) -> tuple[Spans, _TokenPoints]:
        if self._whole is None:
            spans, tokens = _generate_code(self._module, self._module)
            self._whole = (spans, _TokenPoints(tokens))
        return self._whole

    def _by_statement(self, node: cst.CSTNode) -> CodeRange | None:
        placed = self.holding_statement(node)
        if placed is None or node not in placed.spans:
            return None
        start, end = placed.spans[node]
        return CodeRange(placed.position(start), placed.position(end))

    def holding_statement(self, node: cst.CSTNode) -> PlacedStatement | None:
        """The innermost statement in the body of the module, a class or a function that
        holds ``node``, with its code and where that code is in the text; None when it
        cannot be placed (no text, or the generated code is not exactly the text there).

        Fixes use it to regenerate only the statements they change.
        """
        found = self._holding_statement(node)
        if found is None:
            return None
        statement, indents = found
        if statement not in self._statements:
            self._statements[statement] = self._place(statement, indents)
        return self._statements[statement]

    def _holding_statement(self, node: cst.CSTNode) -> tuple[cst.CSTNode, list[str]] | None:
        """The innermost statement in the body of the module, a class or a function that
        holds ``node``, and the indentation of the blocks around it."""
        parents, module = self._parents, self._module
        if parents is None or self._text is None or node is module:
            return None
        path = [node]
        while path[-1] is not module:
            parent = parents.get(path[-1])
            if parent is None:
                return None
            path.append(parent)
        path.reverse()  # module, top-level statement, ..., node
        depth, indents = 1, []
        while depth + 2 < len(path):  # down through definition, its block, a statement
            definition, block = path[depth], path[depth + 1]
            if not isinstance(definition, (cst.FunctionDef, cst.ClassDef)):
                break
            if type(block) is not cst.IndentedBlock:
                break
            if definition.body is not block:
                break
            indents.append(module.default_indent if block.indent is None else block.indent)
            depth += 2
        return path[depth], indents

    def _place(self, statement: cst.CSTNode, indents: list[str]) -> PlacedStatement | None:
        """The statement's own spans and the line it starts on, if the text confirms it."""
        if self._layout is None:
            assert self._text is not None
            self._layout = _Layout.of(self._module, self._text)
        first_code_line = self._layout.first_code_line(statement, self._parents)
        if first_code_line is None:
            return None
        spans: Spans = {}  # placing only: libcst's own provider gives the positions
        if self._placing_only:
            code = _public_statement_code(self._module, statement, indents)
            tokens = [code]
        else:
            spans, tokens = _generate_code(self._module, statement, indents)
            code = "".join(tokens)
        leading = 0
        position = 0
        while (line := _BLANK_OR_COMMENT_LINE.match(code, position)) is not None:
            leading += 1
            position = line.end()
        first_line = first_code_line - leading  # 1-based
        starts = self._layout.line_starts
        if not 1 <= first_line <= len(starts):
            return None
        begin = starts[first_line - 1]
        if self._layout.text[begin : begin + len(code)] != code:
            return None
        return PlacedStatement(
            statement, tuple(indents), begin, code, spans, _TokenPoints(tokens), first_line - 1
        )


@dataclass(frozen=True)
class PlacedStatement:
    """A statement whose code (leading comment lines included) is ``text[begin:end]``,
    generated with ``indents``, the indentation of the blocks around it."""

    statement: cst.CSTNode
    indents: tuple[str, ...]
    begin: int
    code: str
    spans: Spans
    points: _TokenPoints
    lines_before: int

    @property
    def end(self) -> int:
        return self.begin + len(self.code)

    def position(self, index: int) -> CodePosition:
        within = self.points.position(index)
        return CodePosition(within.line + self.lines_before, within.column)


@dataclass(frozen=True)
class _Layout:
    """Where the module's lines start, and which :mod:`ast` statement each statement is.

    libcst's statements map onto :mod:`ast`'s in order, in the module's body as in a
    class's or function's: a simple statement line holds one ``ast`` statement per small
    statement, a compound statement is one; a decorated definition starts at its first
    decorator. Empty when Python cannot parse the text or the two do not line up.
    """

    text: str
    line_starts: list[int]
    counterparts: dict[cst.CSTNode, ast.stmt]

    @classmethod
    def of(cls, module: cst.Module, text: str) -> _Layout:
        line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]
        tree = python_ast(text)
        counterparts = {} if tree is None else _pair(module.body, tree.body) or {}
        return cls(text, line_starts, counterparts)

    def first_code_line(
        self, statement: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode] | None
    ) -> int | None:
        counterpart = self._counterpart(statement, parents)
        if counterpart is None:
            return None
        decorators = getattr(counterpart, "decorator_list", None)
        return decorators[0].lineno if decorators else counterpart.lineno

    def _counterpart(
        self, statement: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode] | None
    ) -> ast.stmt | None:
        """The ``ast`` statement of a statement of the module's body, or of the body of a
        class or function whose own counterpart is known (paired body by body)."""
        counterpart = self.counterparts.get(statement)
        if counterpart is not None or parents is None:
            return counterpart
        block = parents.get(statement)
        definition = parents.get(block) if block is not None else None
        if not isinstance(definition, (cst.FunctionDef, cst.ClassDef)) or not isinstance(
            block, cst.IndentedBlock
        ):
            return None
        outer = self._counterpart(definition, parents)
        if not isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return None
        self.counterparts.update(_pair(block.body, outer.body) or {})
        return self.counterparts.get(statement)


def _pair(
    statements: Sequence[cst.BaseStatement], counterparts: Sequence[ast.stmt]
) -> dict[cst.CSTNode, ast.stmt] | None:
    """Each libcst statement with the ``ast`` statement it starts with; None when the
    two sequences do not line up."""
    found: dict[cst.CSTNode, ast.stmt] = {}
    remaining = iter(counterparts)
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            taken = list(itertools.islice(remaining, len(statement.body)))
            if len(taken) != len(statement.body):
                return None
            found[statement] = taken[0]
            continue
        counterpart = next(remaining, None)
        if counterpart is None:
            return None
        found[statement] = counterpart
    if next(remaining, None) is not None:
        return None
    return found


def statement_code(module: cst.Module, statement: cst.CSTNode, indents: Sequence[str]) -> str:
    """The code of ``statement`` (which need not be in ``module``) in ``module``'s style,
    indented as in the blocks of ``indents``: as the whole module would generate it.

    On the fast path libcst's private ``CodegenState`` is started at that indentation;
    otherwise (:func:`.libcst_internals.fast_path` off) the same code comes from
    libcst's public ``Module.code_for_node``, by :func:`_public_statement_code`."""
    private = internals()
    if private is None or not fast_path():
        return _public_statement_code(module, statement, indents)
    state = private.codegen_state(
        default_indent=module.default_indent, default_newline=module.default_newline
    )
    for indent in indents:
        state.increase_indent(indent)
    statement._codegen(state)
    return "".join(state.tokens)


_HEADER_TEST = cst.Name("_")


def _public_statement_code(
    module: cst.Module, statement: cst.CSTNode, indents: Sequence[str]
) -> str:
    """:func:`statement_code` on libcst's public API: the statement is put in one
    ``if _:`` block per indentation level, so libcst indents it as its own blocks would,
    and the header lines of those blocks (one line each) are cut off the code."""
    if not indents:
        return module.code_for_node(statement)
    if not isinstance(statement, cst.BaseStatement):
        raise TypeError(f"not a statement: {type(statement).__name__}")
    nested: cst.BaseStatement = statement
    for indent in reversed(indents):
        nested = cst.If(test=_HEADER_TEST, body=cst.IndentedBlock(body=[nested], indent=indent))
    code = module.code_for_node(nested)
    start = 0
    for _ in indents:
        start = code.index(module.default_newline, start) + len(module.default_newline)
    return code[start:]


def _generate_code(
    module: cst.Module, node: cst.CSTNode, indents: Sequence[str] = ()
) -> tuple[Spans, list[str]]:
    state = _span_recording_state()(
        default_indent=module.default_indent, default_newline=module.default_newline
    )
    for indent in indents:
        state.increase_indent(indent)
    node._codegen(state)
    return state.spans, state.tokens


@cache
def _span_recording_state() -> Any:
    """Code generation recording spans; a class made on first use, since its base is
    libcst's private ``CodegenState`` (:func:`.metadata.seed` seeds no positions when
    :func:`.libcst_internals.internals` cannot find it)."""
    private = internals()
    if private is None:
        raise LookupError("libcst's CodegenState")

    codegen_state: Any = private.codegen_state  # a class known at run time only

    class _SpanRecordingState(codegen_state):
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

    return _SpanRecordingState


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
