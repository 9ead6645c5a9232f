"""PC015: ``torch.version.cuda``, which is None on the CPU build torch_npu runs on."""

from __future__ import annotations

import libcst as cst

from portcheck import expressions
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

from ._behaviour import report_behaviour

API = "torch.version.cuda"


class TorchVersionCuda(Rule):
    id = "PC015"
    name = "torch-version-cuda"
    summary = "`torch.version.cuda` (None on Ascend)"
    category = "caution"
    NEEDLES = Needles(names=frozenset({"cuda"}))

    VALID = (
        Valid("import torch\nv = torch.version.git_version\n"),
        Valid("import torch\nv = torch.__version__\n"),
    )
    INVALID = (
        Invalid("import torch\nmajor = int(torch.version.cuda.split('.')[0])\n", api=API),
        Invalid("from torch.version import cuda\nok = cuda is not None\n", api=API),
    )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "cuda":
            self._check(node)

    def visit_Name(self, node: cst.Name) -> None:
        parent = self.parent(node)
        if not isinstance(parent, (cst.Attribute, cst.ImportAlias, cst.AsName)):
            self._check(node)

    def _check(self, node: cst.Attribute | cst.Name) -> None:
        if isinstance(node, cst.Attribute) and not expressions.is_dotted_name(node):
            return
        if API in self.qualified_names(node):
            report_behaviour(self, node, API, API, "`torch.version.cuda` is None on Ascend")
