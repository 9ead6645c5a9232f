"""Code that already handles Ascend beside CUDA: not a finding, never fixed.

A project that supports several accelerators names CUDA next to NPU on purpose:
``device.type == "cuda" or device.type == "npu"``, ``["cuda", "npu"]``,
``{"cuda": "nccl", "npu": "hccl"}``, ``if is_npu_available(): ... else: <CUDA code>``.
Reporting those as touchpoints is noise, and "fixing" them writes nonsense (a
duplicate dict key, ``"npu" or "npu"``) and breaks the CUDA path that works today.
:func:`handled_reason` recognises them from the syntax around a finding's node; the
rule engine then records the finding as *handled*: listed apart, outside the score,
with no fix.

The patterns, each walked up from the node through its enclosing expressions and
statements:

- ``npu-alongside``: an operand of ``and``/``or`` whose other operand names NPU; an
  item of a list, tuple, set or dict whose other items (or keys) name NPU; a branch of
  an ``if``/``elif`` chain or of ``a if c else b`` where another branch's test, or the
  other branch of the conditional expression, names NPU.
- ``npu-mirror``: a statement next to its NPU twin in the same block, the two equal
  once NPU is read as CUDA and string contents are ignored
  (``self.is_cuda = ...`` beside ``self.is_npu = ...``; ``if t == "cuda": assert ...``
  beside ``if t == "npu": assert ...``).
- ``npu-fallback``: the ``else`` branch of an ``if``/``elif`` chain, or the body of
  ``if not <NPU test>``, where a test names NPU: the CUDA path that runs when there
  is no NPU.

"Names NPU" is read from the code's text: the word ``npu``, ``hccl`` or ``ascend``
at the start of a word or identifier part (``is_npu_available``, ``torch_npu``,
``"npu:0"``, ``NPUAccelerator``), never inside another word (``input``, ``ascending``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import libcst as cst

from portcheck.expressions import ParentOf, ancestors

CodeOf = Callable[[cst.CSTNode], str]

ALONGSIDE = "npu-alongside"
MIRROR = "npu-mirror"
FALLBACK = "npu-fallback"
REASONS = {
    ALONGSIDE: "handled beside NPU (a comparison, table or branch that covers NPU too)",
    MIRROR: "next to the same statement written for NPU",
    FALLBACK: "in the fallback branch of an NPU check",
}

NPU_WORD = re.compile(r"(?<![a-z])(?:npu|hccl)|(?<![a-z])ascend(?!ing)", re.IGNORECASE)


def names_npu(text: str) -> bool:
    return NPU_WORD.search(text) is not None


class StatementIndex:
    """Where a statement is in its block, each block read once: a finding in a module of
    100,000 statements looked for its own among them all."""

    def __init__(self) -> None:
        self._blocks: dict[int, tuple[cst.CSTNode, dict[int, int]]] = {}

    def __call__(self, block: cst.IndentedBlock | cst.Module, statement: cst.CSTNode) -> int | None:
        known = self._blocks.get(id(block))
        if known is None or known[0] is not block:
            known = (block, {id(found): index for index, found in enumerate(block.body)})
            self._blocks[id(block)] = known
        return known[1].get(id(statement))


def handled_reason(
    node: cst.CSTNode,
    parent_of: ParentOf,
    code_of: CodeOf,
    index_of: StatementIndex | None = None,
) -> str | None:
    """One of :data:`REASONS`, or None when nothing around ``node`` covers NPU.

    ``index_of``: the file's :class:`StatementIndex`, shared by its findings."""
    index_of = index_of or StatementIndex()
    child = node
    in_definition = False
    for ancestor in ancestors(node, parent_of):
        reason = _reason_at(ancestor, child, parent_of, code_of)
        if reason is not None:
            return reason
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            in_definition = True
        elif (
            not in_definition
            and isinstance(ancestor, (cst.SimpleStatementLine, cst.If))
            and _has_npu_twin(ancestor, parent_of, code_of, index_of)
        ):
            return MIRROR
        child = ancestor
    return None


_STRING = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_COMMENT = re.compile(r"#[^\n]*")
_TWIN_WORDS = {"npu": "cuda", "hccl": "nccl", "ascend": "cuda"}
_TWIN_WORD = re.compile(r"(?<![a-z])(npu|hccl|ascend)", re.IGNORECASE)


def _has_npu_twin(
    statement: cst.CSTNode, parent_of: ParentOf, code_of: CodeOf, index_of: StatementIndex
) -> bool:
    """Whether the statement before or after ``statement`` in its block names NPU and
    is ``statement`` with NPU read as CUDA (string contents ignored)."""
    block = parent_of(statement)
    if not isinstance(block, (cst.IndentedBlock, cst.Module)):
        return False
    body = block.body
    index = index_of(block, statement)
    if index is None:
        return False
    neighbours = [body[i] for i in (index - 1, index + 1) if 0 <= i < len(body)]
    own: list[str] | None = None
    for neighbour in neighbours:
        if not isinstance(neighbour, type(statement)):
            continue
        text = code_of(neighbour)
        if not names_npu(text):
            continue
        if own is None:
            own = _shape(code_of(statement))
        if _shape(_TWIN_WORD.sub(lambda word: _TWIN_WORDS[word[1].lower()], text)) == own:
            return True
    return False


def _shape(code: str) -> list[str]:
    """The words of ``code`` in lower case, strings emptied: what two twins share."""
    return re.findall(r"\w+", _COMMENT.sub("", _STRING.sub("''", code)).lower())


def _reason_at(
    ancestor: cst.CSTNode, child: cst.CSTNode, parent_of: ParentOf, code_of: CodeOf
) -> str | None:
    if isinstance(ancestor, (cst.List, cst.Tuple, cst.Set)):
        others = (element for element in ancestor.elements if element is not child)
        return ALONGSIDE if _any_names_npu(others, code_of) else None
    if isinstance(ancestor, cst.Dict):
        keys = (
            element.key
            for element in ancestor.elements
            if isinstance(element, cst.DictElement) and element is not child
        )
        return ALONGSIDE if _any_names_npu(keys, code_of) else None
    if isinstance(ancestor, cst.BooleanOperation):
        other = ancestor.right if child is ancestor.left else ancestor.left
        return ALONGSIDE if names_npu(code_of(other)) else None
    if isinstance(ancestor, cst.IfExp) and child is not ancestor.test:
        other = ancestor.orelse if child is ancestor.body else ancestor.body
        if names_npu(code_of(ancestor.test)):
            return FALLBACK if child is ancestor.orelse else None
        return ALONGSIDE if names_npu(code_of(other)) else None
    if isinstance(ancestor, cst.If) and child is not ancestor.orelse:
        return _branch_reason(ancestor, child, parent_of, code_of)
    if isinstance(ancestor, cst.Else):
        chain = parent_of(ancestor)
        if isinstance(chain, cst.If):
            tests = chain_tests(chain, parent_of)
            return FALLBACK if _any_names_npu(tests, code_of) else None
    return None


def _branch_reason(
    branch: cst.If, child: cst.CSTNode, parent_of: ParentOf, code_of: CodeOf
) -> str | None:
    """``child`` is the test or the body of ``branch``, one link of an if/elif chain."""
    own = branch.test
    if names_npu(code_of(own)):
        negated = isinstance(own, cst.UnaryOperation) and isinstance(own.operator, cst.Not)
        return FALLBACK if negated and child is branch.body else None
    others = [test for test in chain_tests(branch, parent_of) if test is not own]
    return ALONGSIDE if _any_names_npu(others, code_of) else None


def chain_tests(branch: cst.If, parent_of: ParentOf) -> list[cst.BaseExpression]:
    """The tests of every ``if``/``elif`` of the chain ``branch`` belongs to."""
    head = branch
    parent = parent_of(head)
    while isinstance(parent, cst.If) and parent.orelse is head:
        head = parent
        parent = parent_of(head)
    tests: list[cst.BaseExpression] = []
    link: cst.If | cst.Else | None = head
    while isinstance(link, cst.If):
        tests.append(link.test)
        link = link.orelse
    return tests


def _any_names_npu(nodes: Iterable[cst.CSTNode | None], code_of: CodeOf) -> bool:
    return any(node is not None and names_npu(code_of(node)) for node in nodes)
