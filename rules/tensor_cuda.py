"""PC002: ``.cuda()`` on tensors and modules, and ``.is_cuda`` checks.

These are method calls on objects whose type a static tool cannot know, so the rule
goes by the method name; a call that resolves to an imported name (``torch.cuda``
itself, a library's ``cuda`` function) is left to the rules that know those names.
``self.is_cuda = ...`` defines an attribute of the project's own class: neither that
assignment nor its reads through ``self`` are the tensor property (renaming only the
assignment broke timm's data loader on every device). ``x.is_cuda()`` is not the
tensor property either: ``Tensor.is_cuda`` is a bool, so a call is some other class's
method, such as vllm's ``current_platform.is_cuda()`` (643 of vllm 0.33.0's findings),
a platform check that is already False on Ascend.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from portcheck import expressions
from portcheck.prefilter import Needles
from portcheck.rule import Edit, Fix, Invalid, Rule, Valid

EVIDENCE = (
    "torch_npu wheel: torch_npu/contrib/transfer_to_npu.py aliases torch.Tensor.cuda to "
    "torch.Tensor.npu, torch.nn.Module.cuda to torch.nn.Module.npu and "
    "torch.Tensor.is_cuda to torch.Tensor.is_npu"
)


class TensorCuda(Rule):
    id = "PC002"
    name = "tensor-cuda"
    summary = "Tensor or module `.cuda()` call, or an `.is_cuda` check"
    category = "auto"
    fixable = True
    NEEDLES = Needles(names=frozenset({"cuda", "is_cuda"}))

    VALID = (
        Valid("x = x.npu()\n"),
        Valid("use_cuda = args.cuda\n"),
        Valid("import torch\ntorch.cuda.synchronize()\n"),
        Valid("x = model.cuda_graph_enabled\n"),
        Valid(
            "import torch\nclass Loader:\n    def __init__(self, device):\n"
            "        self.is_cuda = device.type == 'cuda'\n"
            "    def run(self):\n        if self.is_cuda:\n            pass\n"
        ),
        Valid(
            "from vllm.platforms import current_platform\n"
            "if current_platform.is_cuda():\n    pass\n"
        ),
    )
    INVALID = (
        Invalid(
            "import torch\nx = torch.ones(2).cuda()\n",
            api="torch.Tensor.cuda",
            expected_fix="import torch\nimport torch_npu  # noqa: F401\nx = torch.ones(2).npu()\n",
        ),
        Invalid(
            "import torch\nx = x.cuda(0, non_blocking=True)\n",
            api="torch.Tensor.cuda",
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            "x = x.npu(0, non_blocking=True)\n",
        ),
        Invalid(
            "import torch\nif x.is_cuda:\n    pass\n",
            api="torch.Tensor.is_cuda",
            expected_fix="import torch\nimport torch_npu  # noqa: F401\nif x.is_npu:\n    pass\n",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "cuda":
            return
        if expressions.is_dotted_name(func) and self.qualified_names(func):
            return
        self.report(
            func,
            api="torch.Tensor.cuda",
            message="`.cuda()` moves to a CUDA device; on Ascend use `.npu()`",
            suggestion="Replace `.cuda(...)` with `.npu(...)` (same arguments).",
            evidence=EVIDENCE,
            fix=_rename_attribute(func, "npu"),
        )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "is_cuda":
            return
        if expressions.is_dotted_name(node) and self.qualified_names(node):
            return
        if self._is_own_attribute(node) or self._is_called(node):
            return
        self.report(
            node,
            api="torch.Tensor.is_cuda",
            message="`.is_cuda` is False for every NPU tensor; use `.is_npu`",
            suggestion="Replace `.is_cuda` with `.is_npu`.",
            evidence=EVIDENCE,
            fix=_rename_attribute(node, "is_npu"),
        )

    def _is_own_attribute(self, node: cst.Attribute) -> bool:
        """An ``is_cuda`` the project assigns itself: a store target, or a read of
        ``self.is_cuda`` in a module that assigns ``self.is_cuda``."""
        parent = self.parent(node)
        if isinstance(parent, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign)):
            return parent.target is node
        if not m.matches(node.value, m.Name("self")):
            return False
        if self._assigns_self_is_cuda is None:
            self._assigns_self_is_cuda = bool(
                m.findall(self.context.module, m.AssignTarget(target=_SELF_IS_CUDA))
                or m.findall(self.context.module, m.AnnAssign(target=_SELF_IS_CUDA))
            )
        return self._assigns_self_is_cuda

    _assigns_self_is_cuda: bool | None = None

    def _is_called(self, node: cst.Attribute) -> bool:
        """``x.is_cuda()``: a method of another class (the tensor's is a property)."""
        parent = self.parent(node)
        return isinstance(parent, cst.Call) and parent.func is node


_SELF_IS_CUDA = m.Attribute(value=m.Name("self"), attr=m.Name("is_cuda"))


def _rename_attribute(node: cst.Attribute, new_name: str) -> Fix:
    renamed = node.with_changes(attr=node.attr.with_changes(value=new_name))
    return Fix(edits=(Edit(node, renamed),), needs_torch_npu_import=True)
