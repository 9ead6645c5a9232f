"""PC006: native CUDA extension builds through ``torch.utils.cpp_extension``.

``CUDAExtension`` and ``load``/``load_inline`` with CUDA sources compile kernels with
nvcc; nothing of that runs on Ascend, so each build is a blocker until the kernels are
ported (Ascend C, or triton-ascend) or kept behind a CUDA-only code path.
"""

from __future__ import annotations

import libcst as cst

from portcheck import expressions
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

CUDA_EXTENSION = "torch.utils.cpp_extension.CUDAExtension"
LOADERS = frozenset({"torch.utils.cpp_extension.load", "torch.utils.cpp_extension.load_inline"})
CUDA_SOURCE_SUFFIXES = (".cu", ".cuh")
SUGGESTION = (
    "No Ascend path for CUDA kernels: port them to Ascend C (or triton-ascend), or keep the "
    "extension behind a CUDA-only code path and fall back to PyTorch ops on NPU."
)


class CudaExtensionBuild(Rule):
    id = "PC006"
    name = "cuda-extension-build"
    summary = "CUDA extension build (CUDAExtension, load/load_inline with CUDA sources)"
    category = "blocker"
    NEEDLES = Needles(names=frozenset({"cpp_extension"}))

    VALID = (
        Valid(
            'from torch.utils.cpp_extension import load\next = load(name="x", sources=["x.cpp"])\n'
        ),
        Valid("from torch.utils.cpp_extension import BuildExtension\ncmd = BuildExtension\n"),
    )
    INVALID = (
        Invalid(
            "from torch.utils.cpp_extension import CUDAExtension\n"
            'ext = CUDAExtension("k", ["k.cu"])\n',
            api=CUDA_EXTENSION,
            category="blocker",
        ),
        Invalid(
            "from torch.utils import cpp_extension\n"
            'ext = cpp_extension.load(name="k", sources=["k.cpp", "k_kernel.cu"])\n',
            api="torch.utils.cpp_extension.load",
        ),
        Invalid(
            "from torch.utils.cpp_extension import load_inline\n"
            'ext = load_inline(name="k", cpp_sources=CPP, cuda_sources=CUDA)\n',
            api="torch.utils.cpp_extension.load_inline",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified_names(node.func)
        if CUDA_EXTENSION in names:
            fact = self.knowledge.api(CUDA_EXTENSION)
            self.report(
                node.func,
                api=CUDA_EXTENSION,
                category=fact.category if fact else "blocker",  # type: ignore[arg-type]
                message="`CUDAExtension` builds CUDA kernels with nvcc; they cannot run on Ascend",
                suggestion=(fact.note if fact and fact.note else SUGGESTION),
                evidence=fact.evidence if fact else "",
            )
            return
        loader = names & LOADERS
        if loader and _builds_cuda(node):
            self.report(
                node.func,
                api=min(loader),
                message="JIT extension build with CUDA sources; they cannot run on Ascend",
                suggestion=SUGGESTION,
            )


def _builds_cuda(call: cst.Call) -> bool:
    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword else None
        if keyword == "cuda_sources":
            return True
        if keyword == "with_cuda" and isinstance(arg.value, cst.Name):
            return arg.value.value == "True"
        if keyword in (None, "sources") and _mentions_cuda_source(arg.value):
            return True
    return False


def _mentions_cuda_source(node: cst.BaseExpression) -> bool:
    """A ``.cu`` file named anywhere in the argument: a list, ``os.path.join(...)``, ..."""
    for string in expressions.string_literals(node):
        text = expressions.string_value(string)
        if text is not None and text.endswith(CUDA_SOURCE_SUFFIXES):
            return True
    return False
