"""The requirement strings of a ``setup(...)`` call, shared by PC010 and PC022.

``setup.py`` is a program, so it is read as Python: only string literals inside the
``install_requires`` / ``extras_require`` / ``setup_requires`` keyword arguments of a
call of ``setuptools.setup`` or ``distutils.core.setup`` count as declarations.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from portcheck import expressions
from portcheck.rule import Rule

REQUIREMENT_KEYWORDS = frozenset({"install_requires", "extras_require", "setup_requires"})
SETUP_FUNCTIONS = frozenset({"setuptools.setup", "distutils.core.setup"})


def setup_requirements(rule: Rule, node: cst.Call) -> Iterator[tuple[cst.SimpleString, str]]:
    """Each non-empty string literal of ``node``'s requirement arguments, with its value;
    nothing when ``node`` is no ``setup(...)`` call."""
    if not rule.qualified_names(node.func) & SETUP_FUNCTIONS:
        return
    for arg in node.args:
        if arg.keyword is None or arg.keyword.value not in REQUIREMENT_KEYWORDS:
            continue
        for string in expressions.string_literals(arg.value):
            text = expressions.string_value(string)
            if text:
                yield string, text
