"""Import statements as data: which local names they bind, and where those names are used.

Rewriting an aliased import (``import torch.cuda as tc``) is only correct when every use
of the alias is rewritten with it, so rules need the complete list of a binding's uses;
libcst's scope analysis has it, this module asks for it in the terms rules use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import ImportAssignment, Scope

ScopeOf = Callable[[cst.CSTNode], "Scope | None"]


@dataclass(frozen=True)
class ImportBinding:
    """One local name an import statement binds: ``tc`` in ``import torch.cuda as tc``."""

    statement: cst.Import | cst.ImportFrom
    alias: cst.ImportAlias
    local: str
    target: str
    """The fully qualified name the local name stands for, e.g. ``torch.cuda``."""


def dotted_name(node: cst.CSTNode | None) -> str:
    """``a.b.c`` for a Name/Attribute chain, ``""`` for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def dotted_expression(name: str) -> cst.Attribute | cst.Name:
    """The expression node of a dotted name (``torch_npu.npu.amp``)."""
    expression = cst.parse_expression(name)
    assert isinstance(expression, (cst.Attribute, cst.Name)), name
    return expression


def aliased_bindings(statement: cst.Import | cst.ImportFrom) -> Iterator[ImportBinding]:
    """The names a statement binds to something other than a top-level package.

    ``import torch.cuda`` binds ``torch`` (uses are spelled out in full, so it is not an
    alias); ``import torch.cuda as tc`` and ``from torch import cuda`` are. Relative and
    star imports bind nothing here.
    """
    if isinstance(statement, cst.Import):
        for alias in statement.names:
            if alias.asname is not None:
                yield ImportBinding(statement, alias, _as_name(alias), dotted_name(alias.name))
        return
    if statement.relative or statement.module is None:
        return
    if isinstance(statement.names, cst.ImportStar):
        return
    module = dotted_name(statement.module)
    for alias in statement.names:
        local = _as_name(alias) if alias.asname is not None else dotted_name(alias.name)
        yield ImportBinding(statement, alias, local, f"{module}.{dotted_name(alias.name)}")


def binding_references(binding: ImportBinding, scope_of: ScopeOf) -> set[int] | None:
    """``id()`` of every Name node that reads the binding; None if the name is rebound.

    A name that is also assigned elsewhere in its scope may mean something else at
    some of its uses, so no rewrite of its import can be proven correct.
    """
    scope = scope_of(binding.statement)
    if scope is None:
        return None
    assignments = list(scope.assignments[binding.local])
    if len(assignments) != 1:
        return None
    (assignment,) = assignments
    if not isinstance(assignment, ImportAssignment) or assignment.node is not binding.statement:
        return None
    return {id(access.node) for access in assignment.references}


def base_name(node: cst.CSTNode) -> cst.Name | None:
    """The leftmost Name of a dotted chain (``tc`` in ``tc.amp.autocast``)."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def _as_name(alias: cst.ImportAlias) -> str:
    assert alias.asname is not None
    name = alias.asname.name
    assert isinstance(name, cst.Name)
    return name.value
