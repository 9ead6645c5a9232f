"""PC016: ``ProcessGroupNCCL``, the NCCL process group; Ascend's is ProcessGroupHCCL."""

from __future__ import annotations

import libcst as cst

from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

from ._behaviour import report_behaviour

FACT = "torch.distributed.ProcessGroupNCCL"
NAMES = frozenset(
    {
        FACT,
        "torch.distributed.distributed_c10d.ProcessGroupNCCL",
        "torch._C._distributed_c10d.ProcessGroupNCCL",
    }
)


class ProcessGroupNccl(Rule):
    id = "PC016"
    name = "process-group-nccl"
    summary = "`torch.distributed.ProcessGroupNCCL` (no NCCL on Ascend)"
    category = "rewrite"
    NEEDLES = Needles(names=frozenset({"ProcessGroupNCCL"}))

    VALID = (Valid("import torch.distributed as dist\ng = dist.new_group(backend='hccl')\n"),)
    INVALID = (
        Invalid(
            "import torch.distributed as dist\nopts = dist.ProcessGroupNCCL.Options()\n",
            api=FACT,
            category="rewrite",
        ),
        Invalid("from torch.distributed import ProcessGroupNCCL\nProcessGroupNCCL\n", count=1),
    )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "ProcessGroupNCCL":
            self._check(node)

    def visit_Name(self, node: cst.Name) -> None:
        if not isinstance(self.parent(node), (cst.Attribute, cst.ImportAlias, cst.AsName)):
            self._check(node)

    def _check(self, node: cst.Attribute | cst.Name) -> None:
        names = self.qualified_names(node) & NAMES
        if names:
            what = "`ProcessGroupNCCL` is NCCL's process group; Ascend's collectives are HCCL"
            report_behaviour(self, node, FACT, min(names), what)
