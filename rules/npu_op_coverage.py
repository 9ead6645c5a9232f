"""PC012: a PyTorch API without NPU support on the chosen chip.

Not a CUDA name at all: ``torch.linalg.eig(x)`` is a porting problem because torch_npu has
no kernel for it (it falls back to the CPU or fails), and ``nn.RNN`` because Ascend's
support list marks it unsupported. The facts, per release and chip, are generated data
(``rules/knowledge/coverage-torch_npu-*.json``); how the two sources are weighed is in
``knowledge_builder/coverage.py``.

Functions, classes and submodule functions are matched by qualified name, so aliases and
from-imports count. Tensor methods have no import to go by, so only method calls whose
name no common non-tensor type shares are reported (not ``.mode()``, which pandas has).
"Listed, may fall back to the CPU" notes are left to ``portcheck explain``: the op has a
kernel and the list calls it supported.
"""

from __future__ import annotations

from functools import lru_cache

import libcst as cst

from portcheck.knowledge import CoverageFact, Knowledge
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

FAMILY_NEEDLES = frozenset({"export"})
"""Submodules that stand for their functions in the prefilter: ``load`` of
``torch.export.load`` is a common attribute, ``export`` a rarer one."""
AMBIGUOUS_METHODS = frozenset({"mode", "to_dense", "to_sparse", "is_shared"})
"""Tensor methods that pandas, scipy or plain Python objects also have."""
LEFT_TO_EXPLAIN = frozenset({"cpu-fallback"})


@lru_cache(maxsize=8)
def _last_names(knowledge: Knowledge) -> frozenset[str]:
    """The last parts of every reported name: an attribute spelled otherwise is never one."""
    functions, methods = _facts(knowledge)
    return frozenset(api.rsplit(".", 1)[1] for api in functions) | frozenset(methods)


@lru_cache(maxsize=8)
def _facts(knowledge: Knowledge) -> tuple[dict[str, CoverageFact], dict[str, CoverageFact]]:
    """(qualified name -> fact, Tensor method name -> fact) reported on this chip."""
    functions: dict[str, CoverageFact] = {}
    methods: dict[str, CoverageFact] = {}
    for fact in knowledge.coverage.api_facts() if knowledge.coverage else ():
        if fact.reason in LEFT_TO_EXPLAIN:
            continue
        name = fact.api.rsplit(".", 1)[1]
        if not fact.method:
            functions[fact.api] = fact
        elif fact.category != "caution" and name not in AMBIGUOUS_METHODS:
            methods[name] = fact
    return functions, methods


def _needle(api: str) -> str:
    parts = api.split(".")
    return next((p for p in parts[1:-1] if p in FAMILY_NEEDLES), parts[-1])


class NpuOpCoverage(Rule):
    id = "PC012"
    name = "npu-op-coverage"
    summary = "PyTorch API without NPU support on the target chip (no kernel, or listed ✘)"
    category = "rewrite"

    VALID = (
        Valid("import torch\ny = torch.fft.rfft(x)\n"),
        Valid("import torch\ny = torch.isin(x, t)\n"),
        Valid("import torch\ny = torch.matmul(a, b)\n"),
        Valid("import torch\ny = x.mode()\n"),
        Valid("import scipy.special\ny = scipy.special.digamma(x)\n"),
        Valid("def f(mode='a', det=None):\n    return mode\n"),
        Valid("import torch\ny = torch.std(x)\n"),
    )
    INVALID = (
        Invalid("import torch\nw = torch.linalg.eig(a)\n", api="torch.linalg.eig"),
        Invalid(
            "import torch.nn.functional as F\ny = F.embedding_bag(i, w, o)\n",
            api="torch.nn.functional.embedding_bag",
            category="rewrite",
        ),
        Invalid("from torch import lgamma as lg\ny = lg(x)\n", api="torch.lgamma"),
        Invalid("from torch import nn\nrnn = nn.RNN(4, 8)\n", api="torch.nn.RNN"),
        Invalid("import torch\ny = x.digamma()\n", api="torch.Tensor.digamma"),
        Invalid("import torch\nm, s = torch.std_mean(x)\n", category="caution"),
        Invalid("from torch.func import vmap\n\n@vmap\ndef f(x):\n    return x\n", count=1),
    )

    @classmethod
    def needles(cls, knowledge: Knowledge) -> Needles:
        functions, methods = _facts(knowledge)
        return Needles(
            torch_attributes=frozenset(map(_needle, functions)), method_calls=frozenset(methods)
        )

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node.func, call=True)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._check(node.decorator, call=False)

    def _check(self, node: cst.BaseExpression, call: bool) -> None:
        if isinstance(node, cst.Attribute):
            if node.attr.value not in _last_names(self.knowledge):
                return
        elif not isinstance(node, cst.Name):
            return
        functions, methods = _facts(self.knowledge)
        names = self.qualified_names(node)
        found = sorted(names & functions.keys())
        if found:
            self._report(node, functions[found[0]])
        elif call and not names and isinstance(node, cst.Attribute):
            fact = methods.get(node.attr.value)
            if fact is not None:
                self._report(node, fact)

    def _report(self, node: cst.CSTNode, fact: CoverageFact) -> None:
        self.report(
            node,
            api=fact.api,
            category=fact.category,  # type: ignore[arg-type]
            message=fact.message(self.knowledge.chip) + ".",
            suggestion=fact.suggestion,
            evidence=fact.evidence,
        )
