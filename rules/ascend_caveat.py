"""PC011: torch features that run on Ascend with different behaviour or coverage.

channels_last and TorchScript are not CUDA APIs, but a port trips over them:
channels_last is not supported under automatic migration, and ``torch.jit.script``
becomes a no-op there. Which names count, and why, is curated data in the knowledge
base. float64 and complex dtypes are PC013's (``npu-dtype``), which knows whether the
tensor is on the CPU.
"""

from __future__ import annotations

from functools import lru_cache

import libcst as cst

from portcheck import expressions
from portcheck.knowledge import Knowledge
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

from .npu_dtype import FLOAT64_NAMES

HANDLED_ELSEWHERE = (
    "torch.cuda",
    "torch.backends.",
    "torch.utils.cpp_extension",
    "torch.distributed",
    "torch.profiler",
    "torch.version",
    "torch.compile",
)
"""Reported by other rules; ``torch.compile`` is explained (``portcheck explain torch.compile``)
but not reported: its needle ``compile`` would send every file using ``re.compile`` to libcst."""


@lru_cache(maxsize=8)
def _caveat_names(knowledge: Knowledge) -> frozenset[str]:
    return frozenset(
        fact.api
        for fact in knowledge.module_facts()
        if fact.category == "caution"
        and fact.api.startswith("torch.")
        and not fact.api.startswith(HANDLED_ELSEWHERE)
        and fact.api not in FLOAT64_NAMES
    )


class AscendCaveat(Rule):
    id = "PC011"
    name = "ascend-caveat"
    summary = "torch feature with different behaviour on Ascend (channels_last, jit.script)"
    category = "caution"

    VALID = (
        Valid("import torch\nx = torch.zeros(2, dtype=torch.float32)\n"),
        Valid("float64 = 'just a name'\n"),
        Valid("import torch\nx = torch.zeros(2, dtype=torch.float64, device='cpu')\n"),
    )
    INVALID = (
        Invalid(
            "import torch\n\n@torch.jit.script\ndef f(x):\n    return x\n", api="torch.jit.script"
        ),
        Invalid("import torch\nx = x.to(memory_format=torch.channels_last)\n", count=1),
    )

    @classmethod
    def needles(cls, knowledge: Knowledge) -> Needles:
        names = _caveat_names(knowledge)
        return Needles(names=frozenset(name.rsplit(".", 1)[-1] for name in names))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not expressions.is_dotted_name(node):
            return
        names = self.qualified_names(node) & _caveat_names(self.knowledge)
        if not names:
            return
        api = min(names)
        fact = self.knowledge.api(api)
        if fact is None:
            return
        self.report(
            node,
            api=api,
            message=f"`{api}` behaves differently or has limited support on Ascend",
            suggestion=fact.note or None,
            evidence=fact.evidence,
        )
