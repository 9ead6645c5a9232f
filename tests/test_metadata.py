"""The cheap parent map and qualified names are exactly libcst's, node for node."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from conftest import FIXTURES
from libcst.metadata import MetadataWrapper, ParentNodeProvider, QualifiedNameProvider

from portcheck.metadata import LazyQualifiedNames, parent_map, seed

SOURCES = sorted(FIXTURES.rglob("*.py"))


def _module(path: Path) -> cst.Module:
    try:
        return cst.parse_module(path.read_bytes())
    except cst.ParserSyntaxError:
        pytest.skip("not Python 3")


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.relative_to(FIXTURES).as_posix())
def test_seeded_metadata_equals_libcsts(path: Path) -> None:
    module = _module(path)
    libcst_own = MetadataWrapper(module, unsafe_skip_copy=True)
    parents = libcst_own.resolve(ParentNodeProvider)
    names = libcst_own.resolve(QualifiedNameProvider)
    seeded = MetadataWrapper(module, unsafe_skip_copy=True)
    seed(seeded)
    fast_parents = seeded.resolve(ParentNodeProvider)
    fast_names = seeded.resolve(QualifiedNameProvider)
    assert isinstance(fast_names, LazyQualifiedNames), "the wrapper was not seeded"
    assert set(map(id, fast_parents)) == set(map(id, parents))
    assert all(fast_parents[node] is parent for node, parent in parents.items())
    assert set(map(id, fast_names)) == set(map(id, names))
    for node, value in names.items():
        expected = value() if callable(value) else value
        assert fast_names[node] == set(expected), cst.Module([]).code_for_node(node)


def test_a_node_used_twice_is_left_to_libcst() -> None:
    name = cst.Name("x")
    module = cst.Module(body=[cst.SimpleStatementLine([cst.Expr(name), cst.Expr(name)])])
    assert parent_map(module) is None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    seed(wrapper)
    assert wrapper.resolve(ParentNodeProvider)[name] is not None
