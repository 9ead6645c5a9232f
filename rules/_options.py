"""Where a string literal is the value of something named for what it is.

A ``"cuda"`` or ``"nccl"`` literal is only certainly a device or a backend when its
position says so. Besides the call arguments ``resolve`` knows, two places name the
value: an argparse option (``add_argument("--device", default="cuda", choices=[...])``)
and a comparison or assignment with a variable or attribute of that name.
"""

from __future__ import annotations

import re

import libcst as cst

from portcheck import expressions
from portcheck.expressions import ParentOf


def is_option_value(node: cst.CSTNode, parent_of: ParentOf, option: re.Pattern[str]) -> bool:
    """``default=``/``choices=`` of an argparse option whose name matches ``option``."""
    arg = parent_of(node)
    if isinstance(arg, cst.Element):
        container = parent_of(arg)
        arg = parent_of(container) if container is not None else None
        keywords: tuple[str, ...] = ("choices",)
    else:
        keywords = ("default", "const")
    if not isinstance(arg, cst.Arg) or arg.keyword is None or arg.keyword.value not in keywords:
        return False
    call = parent_of(arg)
    if not isinstance(call, cst.Call) or not _is_add_argument(call.func):
        return False
    names = [
        expressions.string_value(candidate.value)
        for candidate in call.args
        if candidate.keyword is None or candidate.keyword.value == "dest"
    ]
    return any(name and option.search(name.lstrip("-")) for name in names)


def is_named_value(node: cst.CSTNode, parent_of: ParentOf, name: re.Pattern[str]) -> bool:
    """Compared with, or assigned to, a variable or attribute whose name matches ``name``
    (also as a branch of a conditional expression: ``backend = "nccl" if c else "gloo"``)."""
    parent = parent_of(node)
    while isinstance(parent, cst.IfExp) and node is not parent.test:
        node, parent = parent, parent_of(parent)
    if isinstance(parent, cst.ComparisonTarget):
        parent = parent_of(parent)
    if isinstance(parent, cst.Comparison):
        sides = [parent.left, *(target.comparator for target in parent.comparisons)]
        return any(_named(side, name) for side in sides if side is not node)
    if isinstance(parent, cst.Assign):
        return len(parent.targets) == 1 and _named(parent.targets[0].target, name)
    if isinstance(parent, cst.AnnAssign) and parent.value is node:
        return _named(parent.target, name)
    return False


def _named(node: cst.CSTNode, name: re.Pattern[str]) -> bool:
    if isinstance(node, cst.Name):
        return name.search(node.value) is not None
    if isinstance(node, cst.Attribute):
        return name.search(node.attr.value) is not None
    return False


def _is_add_argument(func: cst.BaseExpression) -> bool:
    return isinstance(func, cst.Attribute) and func.attr.value == "add_argument"
