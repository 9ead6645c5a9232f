"""The cheap parent map, qualified names and positions are exactly libcst's, node for node."""

from __future__ import annotations

import contextlib
from pathlib import Path

import libcst as cst
import pytest
from conftest import FIXTURES, parsed_or_skip
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
)

from portcheck.fastcst.metadata import LazyQualifiedNames, imported_names, parent_map, seed
from portcheck.fastcst.positions import LazyPositions
from portcheck.fastcst.walk import formatting_types, read_only_visits

SOURCES = sorted(FIXTURES.rglob("*.py"))


@pytest.mark.parametrize("read_only", [False, True], ids=["libcst walk", "read-only walk"])
@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.relative_to(FIXTURES).as_posix())
def test_seeded_metadata_equals_libcsts(path: Path, read_only: bool) -> None:
    module = parsed_or_skip(path.read_bytes())
    libcst_own = MetadataWrapper(module, unsafe_skip_copy=True)
    parents = libcst_own.resolve(ParentNodeProvider)
    names = libcst_own.resolve(QualifiedNameProvider)
    seeded = MetadataWrapper(module, unsafe_skip_copy=True)
    with read_only_visits() if read_only else contextlib.nullcontext():
        seed(seeded, path.read_text("utf-8"))
    fast_parents = seeded.resolve(ParentNodeProvider)
    fast_names = seeded.resolve(QualifiedNameProvider)
    assert isinstance(fast_names, LazyQualifiedNames), "the wrapper was not seeded"
    formatting = formatting_types()
    parents = {node: parent for node, parent in parents.items() if type(node) not in formatting}
    assert set(map(id, fast_parents)) == set(map(id, parents))
    assert all(fast_parents[node] is parent for node, parent in parents.items())
    for node, value in names.items():
        if type(node) in formatting:
            assert not (value() if callable(value) else value), "formatting has no names"
            assert node not in fast_names
            continue
        expected = value() if callable(value) else value
        assert fast_names[node] == set(expected), cst.Module([]).code_for_node(node)
        assert fast_names.imported(node) == imported_names(expected)
    assert len(fast_names) == 1 + len(parents)
    _assert_positions_equal(seeded, libcst_own, by_statement=bool(module.body))


AWKWARD_SOURCES = {
    "crlf": 'import torch\r\nif x:\r\n\tb = torch.device("cuda")\r\n  # c\r\n',
    "lone carriage returns": "a = 1\rb = (\r  2)\r",
    "tabs and a continuation": "def f():\n\tx = (1 +\n\t\t2) \\\n\t\t+ 3\n",
    "unicode": 'print("日本語", 世界.cuda())  # ü\n',
    "no trailing newline": "x = [\n  (torch).cuda(),\n]",
    "empty": "",
    "parenthesised and decorated": "@(deco)\nclass A((B)):\n    x: (int) = ((1))\n",
    "multi-line strings": 'x = """a\r\nb\r\n""" + f"{y!r:>{w}}"\r\n',
    "mixed line breaks in a string": 'x = """a\nb\r\n"""\n',
    "comments, semicolons and decorators": (
        "# head\n\nimport torch; x = 1\n\n# lead\n@a\n# between\n@b(\n  1)\ndef f():\n"
        "    torch.cuda.x()\n    # trailing\n# after\nclass C: pass\nif x:\n  y\nelse:\n  z\n"
    ),
    "a decorator continued with a backslash": "@\\\ndeco\ndef f(): torch.cuda.x()\ny = 1\n",
    "methods, nested functions and their comments": (
        'import torch\n\nclass A:\n    """Doc."""\n\n    # a comment\n    @property\n'
        "    def d(self):\n        x = 1; y = torch.cuda.x()\n\n        # inner\n"
        "        def inner():\n           return torch.device('cuda')\n        return inner\n"
        "    class B:\n      async def g(self): await torch.cuda.y()\n"
        "      def k(self):\n          pass\n"
        "def h(): return 1\n"
    ),
}


@pytest.mark.parametrize("code", AWKWARD_SOURCES.values(), ids=AWKWARD_SOURCES.keys())
def test_positions_equal_libcsts_on_awkward_text(code: str) -> None:
    module = cst.parse_module(code)
    for text in (None, code):
        seeded = MetadataWrapper(module, unsafe_skip_copy=True)
        seed(seeded, text)
        _assert_positions_equal(seeded, MetadataWrapper(module, unsafe_skip_copy=True))


def _assert_positions_equal(
    seeded: MetadataWrapper, libcst_own: MetadataWrapper, by_statement: bool = False
) -> None:
    positions = libcst_own.resolve(PositionProvider)
    fast_positions = seeded.resolve(PositionProvider)
    assert isinstance(fast_positions, LazyPositions), "the wrapper was not seeded"
    formatting = formatting_types()
    code = cst.Module([]).code_for_node
    # what rules report first: these can be answered statement by statement
    for node, position in positions.items():
        if type(node) not in formatting and node is not seeded.module:
            assert fast_positions[node] == position, code(node)
    if by_statement:
        assert fast_positions._whole is None, "fell back to the whole-module pass"
    for node, position in positions.items():
        assert fast_positions[node] == position, code(node)
    assert set(map(id, fast_positions)) == set(map(id, positions))


def test_a_node_used_twice_is_left_to_libcst() -> None:
    name = cst.Name("x")
    module = cst.Module(body=[cst.SimpleStatementLine([cst.Expr(name), cst.Expr(name)])])
    assert parent_map(module) is None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    seed(wrapper)
    assert wrapper.resolve(ParentNodeProvider)[name] is not None


def test_a_node_in_a_method_is_placed_by_the_method_alone() -> None:
    code = "class A:\n    def f(self):\n        return torch.cuda.x()\n\n    def g(self):\n"
    code += "        pass\n"
    module = cst.parse_module(code)
    seeded = MetadataWrapper(module, unsafe_skip_copy=True)
    seed(seeded, code)
    positions = seeded.resolve(PositionProvider)
    assert isinstance(positions, LazyPositions)
    class_body = cst.ensure_type(module.body[0], cst.ClassDef).body.body
    method = cst.ensure_type(class_body[0], cst.FunctionDef)
    returned = cst.ensure_type(method.body.body[0], cst.SimpleStatementLine)
    call = cst.ensure_type(returned.body[0], cst.Return).value
    assert call is not None
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)[call]
    assert positions[call] == expected
    assert positions._whole is None
    assert list(positions._statements) == [returned]
