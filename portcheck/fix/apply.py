"""Turning chosen fixes into a new module: node replacement, then the torch_npu import."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from portcheck.fix.plan import FixPair
from portcheck.fix.torch_npu_import import ensure_torch_npu_import


class ReplaceNodes(cst.CSTTransformer):
    """Swap each edited node (matched by identity) for its replacement."""

    def __init__(self, replacements: dict[int, cst.CSTNode]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(  # type: ignore[override]  # libcst's stub wants the node's own type back
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        return self.replacements.get(id(original_node), updated_node)


def apply_fixes(module: cst.Module, chosen: Sequence[FixPair]) -> cst.Module:
    """``module`` with every edit of ``chosen`` made, importing torch_npu if one needs it."""
    replacements = {id(edit.original): edit.replacement for _, fix in chosen for edit in fix.edits}
    updated = module.visit(ReplaceNodes(replacements))
    if any(fix.needs_torch_npu_import for _, fix in chosen):
        updated = ensure_torch_npu_import(updated)
    return updated
