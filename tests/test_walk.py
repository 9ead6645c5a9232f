"""The read-only traversal gives visitors exactly what libcst's own traversal gives them."""

from __future__ import annotations

import contextlib

import libcst as cst
import pytest
from conftest import FIXTURES, parsed_or_skip
from libcst.metadata import MetadataWrapper, ScopeProvider

from portcheck import analyze
from portcheck.analyze import Analyzer
from portcheck.discover import discover
from portcheck.fastcst.walk import read_only_visits
from portcheck.model import FileResult
from portcheck.registry import all_rules

EVERY_KIND_OF_STATEMENT = '''
"""Docstring."""
from __future__ import annotations
import torch.cuda as tc, os
from torch import (cuda as c,)
from . import sibling
from torch.cuda import *

@decorate(1)
@other
class Model(Base, metaclass=Meta):
    field: "torch.Tensor" = tc.current_device()

    async def run(self, x, /, y=1, *args, z: int = 2, **kwargs) -> "c.Stream":
        global counter
        async with tc.stream(s) as (a, b):
            async for item in aiter():
                await item
        def inner():
            nonlocal x
            x = lambda q=x: q + 1
        try:
            pass
        except* ValueError as error:
            raise RuntimeError("no") from error
        finally:
            del x
        return [i for i in range(3) if i if i > 0], {k: v for k, v in y}, {*args}, (yield)

match command:
    case [1, *rest] | {"k": _, **others} if (n := len(rest)):
        print(f"{n!r:>{width}} {n=}")
    case Point(x=0, y=y2) as point:
        pass
    case _:
        pass

while (chunk := read()) is not None and not done:
    x[1:2, ::3] @= -~chunk ** 2 // 3 % 4 << 1 >> 2 & 3 | 4 ^ 5
else:
    assert x, "message"; x += 1; print(*a, **b)
with open(p) as f, other(): pass
if a: pass
elif b: pass
else: pass
for (i, j) in zip(a, b): continue
else: break
t = 1 if x else 2; u = a < b <= c != d in e not in f is g is not h
s = ("a" "b" f"c{d}", b"x" rb"y")
'''


class CallbackLog(cst.CSTVisitor):
    """Every callback, with the node and field: a visitor that sees every node."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, int, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", id(node), ""))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", id(original_node), ""))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("visit attribute", id(node), attribute))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("leave attribute", id(original_node), attribute))


class NamesAndBases(cst.CSTVisitor):
    """A visitor with typed callbacks only, one of them for a field."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str]] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.log.append(("name", node.value))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.log.append(("call", cst.Module([]).code_for_node(original_node.func)))

    def visit_ClassDef_bases(self, node: cst.ClassDef) -> None:
        self.log.append(("bases of", node.name.value))

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False  # children of a lambda are skipped, as libcst does


def _sources() -> list[tuple[str, str]]:
    fixtures = [
        (path.relative_to(FIXTURES).as_posix(), path.read_text("utf-8"))
        for path in sorted(FIXTURES.rglob("*.py"))
    ]
    return [("every kind of statement", EVERY_KIND_OF_STATEMENT), *fixtures]


SOURCES = _sources()


@pytest.mark.parametrize("visitor_type", [CallbackLog, NamesAndBases])
@pytest.mark.parametrize("code", [code for _, code in SOURCES], ids=[name for name, _ in SOURCES])
def test_visitors_get_the_same_callbacks_in_the_same_order(
    code: str, visitor_type: type[CallbackLog | NamesAndBases]
) -> None:
    module = parsed_or_skip(code)
    by_libcst = visitor_type()
    assert module.visit(by_libcst) is module
    read_only = visitor_type()
    with read_only_visits() as in_use:
        assert module.visit(read_only) is module
    assert in_use
    assert read_only.log == by_libcst.log


@pytest.mark.parametrize("code", [code for _, code in SOURCES], ids=[name for name, _ in SOURCES])
def test_scopes_assignments_and_accesses_are_libcsts(code: str) -> None:
    module = parsed_or_skip(code)
    by_libcst = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    with read_only_visits():
        read_only = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    in_module = CallbackLog()
    module.visit(in_module)
    nodes = {node_id for _, node_id, _ in in_module.log}
    # string annotations are parsed anew on each run: only the module's own nodes compare
    by_libcst_own = {id(node): scope for node, scope in by_libcst.items() if id(node) in nodes}
    read_only_own = {id(node): scope for node, scope in read_only.items() if id(node) in nodes}
    assert any(by_libcst_own.values()), "nothing to compare"
    for node_id, scope in read_only_own.items():
        assert _describe(scope) == _describe(by_libcst_own[node_id])
    assert {_describe(scope) for scope in read_only_own.values()} == {
        _describe(scope) for scope in by_libcst_own.values()
    }
    # the read-only walk leaves out whitespace and punctuation only, never an expression
    expressions = [
        node for node in by_libcst if isinstance(node, (cst.BaseExpression, cst.BaseStatement))
    ]
    assert all(id(node) in read_only_own for node in expressions if id(node) in nodes)


def _describe(scope: object) -> tuple[object, ...]:
    """A scope by what it binds and reads, node identities included."""
    assert isinstance(scope, cst.metadata.Scope)
    assignments = sorted(
        (assignment.name, id(getattr(assignment, "node", None)), assignment._index)
        for assignment in scope.assignments
    )
    accesses = sorted(
        (
            access.node.value if isinstance(access.node, cst.Name) else "",
            id(access.node),
            tuple(sorted(id(getattr(referent, "node", None)) for referent in access.referents)),
        )
        for access in scope.accesses
    )
    return (
        type(scope).__name__,
        id(getattr(scope, "node", None)),
        tuple(assignments),
        tuple(accesses),
    )


def test_transformers_and_code_outside_the_block_use_libcsts_traversal() -> None:
    original = cst.CSTNode.visit

    class Rename(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            return updated_node.with_changes(value=updated_node.value.upper())

    module = cst.parse_module("torch.cuda.synchronize()\n")
    with read_only_visits():
        with read_only_visits():
            renamed = module.visit(Rename())
        assert cst.CSTNode.visit is not original
    assert cst.CSTNode.visit is original
    assert renamed.code == "TORCH.CUDA.SYNCHRONIZE()\n"


def test_the_engine_finds_the_same_with_either_traversal(monkeypatch: pytest.MonkeyPatch) -> None:
    files, _ = discover([FIXTURES], FIXTURES)
    analyzer = Analyzer("2.14.0", tuple(rule.id for rule in all_rules()))
    fast = [analyzer.analyze_file(source, keep_fixes=True) for source in files]
    monkeypatch.setattr(analyze, "read_only_visits", lambda: contextlib.nullcontext(False))
    slow = [analyzer.analyze_file(source, keep_fixes=True) for source in files]
    assert sum(len(result.findings) for result in fast) > 100
    assert [result.findings for result in fast] == [result.findings for result in slow]
    assert list(map(_fixes, fast)) == list(map(_fixes, slow))


def _fixes(result: FileResult) -> list[object]:
    """Each fix as the code it replaces and the code it writes (nodes compare by identity)."""
    code = cst.Module([]).code_for_node
    return [
        (fix.unsafe, [(code(edit.original), code(edit.replacement)) for edit in fix.edits])
        for _, fix in result.fixes
        if fix is not None
    ]
