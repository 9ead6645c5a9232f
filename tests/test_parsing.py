"""Parsing without validation builds libcst's tree, and validation comes back after."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from conftest import FIXTURES

from portcheck.fastcst.parsing import parse_module

SOURCES = sorted(FIXTURES.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.relative_to(FIXTURES).as_posix())
def test_the_tree_is_libcsts(path: Path) -> None:
    text = path.read_text("utf-8")
    try:
        expected = cst.parse_module(text)
    except cst.ParserSyntaxError:
        with pytest.raises(cst.ParserSyntaxError):
            parse_module(text)
        return
    parsed = parse_module(text)
    assert parsed.deep_equals(expected)
    assert parsed.code == text


def test_nodes_built_afterwards_are_validated() -> None:
    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_a_syntax_error_still_restores_validation() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")
