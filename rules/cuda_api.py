"""PC001: every use of ``torch.cuda``, ``torch.backends.cuda`` and ``torch.backends.cudnn``.

Names are resolved through imports and aliases, so ``tc.synchronize()`` after
``import torch.cuda as tc`` is ``torch.cuda.synchronize``. Only the outermost name of
an attribute chain is reported: ``torch.cuda.amp.autocast`` is one finding, not three.
The category and the replacement come from the knowledge base of the target release.
"""

from __future__ import annotations

import libcst as cst

from portcheck import resolve
from portcheck.knowledge import ApiFact
from portcheck.rule import Edit, Fix, Invalid, Rule, Valid

CUDA_NAMESPACES = (
    "torch.cuda",
    "torch.backends.cuda",
    "torch.backends.cudnn",
    "torch.profiler.ProfilerActivity.CUDA",
    "torch.autograd.profiler.ProfilerActivity.CUDA",
)
FIXABLE_CATEGORIES = ("auto", "caution")


def is_cuda_name(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in CUDA_NAMESPACES)


class CudaApi(Rule):
    id = "PC001"
    name = "cuda-api"
    summary = "Use of a torch.cuda / torch.backends.cuda / torch.backends.cudnn API"
    category = "auto"
    fixable = True
    TRIGGERS = ("cuda", "cudnn")

    VALID = (
        Valid("import torch\nimport torch_npu\ntorch.npu.synchronize()\n"),
        Valid("import torch\nx = torch.device('cpu')\n"),
        Valid("class Cfg:\n    cuda_graph_enabled = False\n\nCfg().cuda_graph_enabled\n"),
        Valid("from . import cuda_utils\ncuda_utils.batch_size()\n"),
        Valid("use_cuda = True\nif use_cuda:\n    pass\n"),
    )
    INVALID = (
        Invalid(
            "import torch\ntorch.cuda.synchronize()\n",
            api="torch.cuda.synchronize",
            category="auto",
            expected_fix="import torch\nimport torch_npu\ntorch.npu.synchronize()\n",
        ),
        Invalid(
            "import torch.cuda as tc\ntc.current_stream()\n",
            api="torch.cuda.current_stream",
            category="auto",
        ),
        Invalid("from torch import cuda\ncuda.device_count()\n", api="torch.cuda.device_count"),
        Invalid(
            "from torch.cuda import amp\nwith amp.autocast():\n    pass\n",
            api="torch.cuda.amp.autocast",
        ),
        Invalid(
            "import torch\n\n@torch.cuda.amp.autocast()\ndef f():\n    pass\n",
            api="torch.cuda.amp.autocast",
            expected_fix="import torch\nimport torch_npu\n\n@torch.npu.amp.autocast()\n"
            "def f():\n    pass\n",
        ),
        Invalid(
            "import torch\nclass G(torch.cuda.CUDAGraph):\n    pass\n",
            api="torch.cuda.CUDAGraph",
            expected_fix="import torch\nimport torch_npu\nclass G(torch.npu.NPUGraph):\n    pass\n",
        ),
        Invalid(
            "import torch\ntorch.backends.cudnn.benchmark = True\n",
            api="torch.backends.cudnn.benchmark",
            category="caution",
        ),
        Invalid(
            "import torch\nfn = torch.cuda.jiterator._create_jit_fn('code')\n",
            api="torch.cuda.jiterator._create_jit_fn",
            category="blocker",
        ),
        Invalid(
            "import torch\nx = torch.cuda.FloatTensor(2)\n",
            api="torch.cuda.FloatTensor",
            expected_fix="import torch\nimport torch_npu\nx = torch.npu.FloatTensor(2)\n",
        ),
    )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._check(node)

    def visit_Name(self, node: cst.Name) -> None:
        self._check(node)

    def _check(self, node: cst.Attribute | cst.Name) -> None:
        if not resolve.is_dotted_name(node):
            return
        names = sorted(name for name in self.qualified_names(node) if is_cuda_name(name))
        if not names or self._is_covered_by_parent(node) or self._is_in_import(node):
            return
        api = names[0]
        fact = self.knowledge.api(api)
        if fact is None:
            self._report_unknown(node, api)
            return
        self.report(
            node,
            api=api,
            category=fact.category,  # type: ignore[arg-type]
            message=_message(fact, api, self.knowledge.target),
            suggestion=_suggestion(fact),
            evidence=fact.evidence,
            fix=self._fix(node, fact),
        )

    def _is_covered_by_parent(self, node: cst.CSTNode) -> bool:
        parent = self.parent(node)
        return (
            isinstance(parent, cst.Attribute)
            and parent.value is node
            and any(is_cuda_name(name) for name in self.qualified_names(parent))
        )

    def _is_in_import(self, node: cst.CSTNode) -> bool:
        current = self.parent(node)
        while current is not None and not isinstance(current, cst.BaseSmallStatement):
            current = self.parent(current)
        return isinstance(current, (cst.Import, cst.ImportFrom))

    def _report_unknown(self, node: cst.CSTNode, api: str) -> None:
        self.report(
            node,
            api=api,
            category="rewrite",
            message=f"`{api}` is not in the knowledge base of {self.knowledge.target}; "
            "no evidence of an Ascend equivalent",
            suggestion="Check the torch_npu documentation for this API, or keep it behind "
            "a device check.",
        )

    def _fix(self, node: cst.Attribute | cst.Name, fact: ApiFact) -> Fix | None:
        """Rewrite only a name spelled out from ``torch``: an alias may be used elsewhere."""
        if fact.category not in FIXABLE_CATEGORIES or not fact.replacement:
            return None
        if not self.context.module.code_for_node(node).startswith("torch."):
            return None
        if not fact.replacement.startswith(("torch.", "torch_npu.")):
            return None
        replacement = cst.parse_expression(fact.replacement)
        return Fix(edits=(Edit(node, replacement),), needs_torch_npu_import=True)


def _message(fact: ApiFact, api: str, target: str) -> str:
    if fact.category == "auto" and fact.replacement:
        return f"`{api}` has an Ascend equivalent in {target}: `{fact.replacement}`"
    if fact.category == "caution":
        return f"`{api}` runs on Ascend but behaves differently"
    if fact.category == "blocker":
        return f"`{api}` has no known Ascend equivalent in {target}"
    return f"`{api}` needs a manual rewrite for Ascend"


def _suggestion(fact: ApiFact) -> str | None:
    if fact.replacement and fact.category == "auto":
        return f"Use `{fact.replacement}` (after `import torch_npu`). {fact.note}".strip()
    return fact.note or None
