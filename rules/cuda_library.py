"""PC008: imports and call sites of CUDA-only libraries and of frameworks that need an
Ascend counterpart.

flash_attn, xformers, apex, bitsandbytes, triton, cupy, pycuda, numba.cuda, tensorrt,
pynvml, nvidia.dali, cuda-python, flashinfer, transformer_engine, CUTLASS/CuTe, deep_ep,
liger-kernel, the GPTQ/AWQ kernels, mamba-ssm, causal-conv1d, nvtx, PyNvVideoCodec,
cudnn-frontend and GPUtil ship CUDA binaries or drive NVIDIA tools; vllm, sglang,
Megatron and deepspeed.ops run on Ascend through a counterpart or with limits
(``caution``). Which library a name belongs
to, its category and its Ascend alternative come from the knowledge base (curated
entries, each with its source). Kernels are reported once, at their decorator
(``@triton.jit``, ``@cute.kernel``, ``@cute.jit``), rather than once per call of the same
library inside them (``tl.load``, ``cute.arch.sync_threads``): in vllm the CuTe DSL alone
made 8,926 call findings in 95 files, which drowned every other finding.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from portcheck import expressions
from portcheck.knowledge import ApiFact, Knowledge
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

from ._advice import api_suggestion

CALLS_NOT_REPORTED = ("triton.language",)
"""Calls inside kernels (``tl.load``) are noise: the kernel's decorator says it all.
Host-side calls such as ``triton.cdiv`` are still reported."""


class CudaOnlyLibrary(Rule):
    id = "PC008"
    name = "cuda-only-library"
    summary = "Import or call of a CUDA-only library (flash_attn, apex, triton, cupy, ...)"
    category = "rewrite"

    VALID = (
        Valid("import numpy as np\nnp.zeros(3)\n"),
        Valid("import numba\n\n@numba.njit\ndef f(x):\n    return x\n"),
        Valid("from . import cuda\ncuda.helper()\n"),
        Valid("import torch.nn.functional as F\ny = F.scaled_dot_product_attention(q, k, v)\n"),
    )
    INVALID = (
        Invalid("from flash_attn import flash_attn_func\n", api="flash_attn.flash_attn_func"),
        Invalid(
            "from flash_attn import flash_attn_func\nout = flash_attn_func(q, k, v)\n",
            count=2,
        ),
        Invalid("import xformers.ops as xops\ny = xops.memory_efficient_attention(q, k, v)\n"),
        Invalid("import cupy as cp\n", api="cupy", category="blocker"),
        Invalid("from numba import cuda\n", api="numba.cuda"),
        Invalid("import flashinfer\n", api="flashinfer"),
        Invalid("from vllm import LLM\n", api="vllm.LLM", category="caution"),
        Invalid("import megatron.core.parallel_state as ps\n", category="caution"),
        Invalid("from mamba_ssm import Mamba\n", category="blocker"),
        Invalid(
            "import triton\nimport triton.language as tl\n\n@triton.jit\ndef k(x):\n"
            "    tl.load(x)\n",
            count=3,
        ),
        Invalid(
            "import cutlass.cute as cute\n\n@cute.kernel\ndef k(x):\n"
            "    cute.arch.sync_threads()\n    def inner():\n        cute.arch.thread_idx()\n"
            "\ncute.compile(k)\n",
            api="cutlass.cute",
            category="blocker",
            count=3,
        ),
    )

    @classmethod
    def needles(cls, knowledge: Knowledge) -> Needles:
        """A reported name starts with a library's top-level module, imported in the file."""
        return Needles(
            modules=frozenset(
                fact.api.split(".")[0]
                for fact in knowledge.module_facts()
                if not fact.api.startswith("torch.")
            )
        )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._report_name(alias, get_full_name_for_node(alias.name), "import")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            if not node.relative and node.module is not None:
                self._report_name(node, get_full_name_for_node(node.module), "import")
            return
        module = get_full_name_for_node(node.module)
        for alias in node.names:
            self._report_name(alias, f"{module}.{get_full_name_for_node(alias.name)}", "import")

    def visit_Call(self, node: cst.Call) -> None:
        if self._is_decorator(node) or not expressions.is_dotted_name(node.func):
            return
        for name in sorted(self.qualified_names(node.func)):
            fact = self._library_fact(name)
            if fact is not None and fact.api in self._kernel_libraries(node):
                return  # inside a kernel of this library: its decorator is the finding
            if self._report_name(node.func, name, "call"):
                return

    def _kernel_libraries(self, node: cst.CSTNode) -> set[str]:
        """The libraries whose decorators mark a function enclosing ``node`` as a kernel."""
        libraries: set[str] = set()
        for ancestor in expressions.ancestors(node, self.parent):
            if isinstance(ancestor, cst.FunctionDef):
                for decorator in ancestor.decorators:
                    target = decorator.decorator
                    if isinstance(target, cst.Call):
                        target = target.func
                    for name in self.qualified_names(target):
                        fact = self._library_fact(name)
                        if fact is not None:
                            libraries.add(fact.api)
        return libraries

    def visit_Decorator(self, node: cst.Decorator) -> None:
        target = node.decorator.func if isinstance(node.decorator, cst.Call) else node.decorator
        if not expressions.is_dotted_name(target):
            return
        for name in sorted(self.qualified_names(target)):
            if self._report_name(target, name, "decorator"):
                return

    def _is_decorator(self, node: cst.Call) -> bool:
        return isinstance(self.parent(node), cst.Decorator)

    def _report_name(self, node: cst.CSTNode, name: str | None, how: str) -> bool:
        if name is not None and how == "import":  # calls come through qualified_names
            name = self.context.project.resolve(name)
        fact = self._library_fact(name)
        if name is None or fact is None:
            return False
        if how == "call" and name.startswith(CALLS_NOT_REPORTED):
            return False
        self.report(
            node,
            api=name,
            category=fact.category,  # type: ignore[arg-type]
            message=_message(fact, name, how),
            suggestion=api_suggestion(fact),
            evidence=fact.evidence,
        )
        return True

    def _library_fact(self, name: str | None) -> ApiFact | None:
        if not name or name.startswith("torch."):
            return None
        fact = self.knowledge.api(name)
        return fact if fact is not None and fact.category != "auto" else None


def _message(fact: ApiFact, name: str, how: str) -> str:
    library = fact.api
    verb = {"import": "Import of", "call": "Call to", "decorator": "Kernel decorated with"}[how]
    if fact.category == "caution":  # runs on Ascend, through a counterpart or with limits
        where = "" if name == library else f" from `{library}`"
        text = f"{verb} `{name}`{where}, which needs its Ascend set-up or has limits there"
    elif name == library:  # the fact is about this very name: say it once
        what = "the CUDA-only library" if "." not in name else "CUDA-only"
        text = f"{verb} {what} `{name}`"
    else:
        text = f"{verb} `{name}` from the CUDA-only library `{library}`"
    if fact.replacement:
        text += f"; Ascend alternative: `{fact.replacement}`"
    return text
