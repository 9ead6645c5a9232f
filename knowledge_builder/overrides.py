"""Hand-kept classification for CUDA names whose Ascend path is not a same-name lookup.

One entry per line of reasoning, each with the source it rests on.  ``replacement`` is
checked against each release's wheel by :mod:`knowledge_builder.derive`; an entry whose
replacement is missing from a release falls back to the generic rule for that release.
"""

from __future__ import annotations

from dataclasses import dataclass

TORCH_SRC = "torch 2.13.0 wheel"


@dataclass(frozen=True)
class Override:
    category: str
    replacement: str | None
    note: str
    source: str
    prefix: bool = False


_CUDNN_NOOP = (
    "torch_npu does not use cuDNN, so this flag has no effect on NPU kernels; "
    "keep it only on the CUDA code path."
)
_CUBLAS_NOOP = (
    "cuBLAS-only setting that torch_npu does not read; it has no effect on NPU matmuls "
    "(Ascend's precision knobs are torch.npu.matmul.allow_hf32 / cube_math_type)."
)
_NPU_CONFIG = "torch_npu/npu/npu_config.py"

OVERRIDES: dict[str, Override] = {
    "torch.backends.cuda.matmul.allow_tf32": Override(
        "caution",
        "torch.npu.matmul.allow_hf32",
        "Ascend has no TF32; the closest switch is HF32 via torch.npu.matmul.allow_hf32, "
        "whose rounding differs.",
        f"{_NPU_CONFIG} class _allowHF32Matmul",
    ),
    "torch.backends.cudnn.allow_tf32": Override(
        "caution",
        "torch.npu.conv.allow_hf32",
        "Ascend has no TF32; convolutions use HF32 via torch.npu.conv.allow_hf32, which reads "
        "as enabled unless set (its getter returns True when ALLOW_CONV_HF32 is unset).",
        f"{_NPU_CONFIG} class _allowHF32Conv",
    ),
    "torch.backends.cudnn.benchmark": Override(
        "caution", None, _CUDNN_NOOP, f"{TORCH_SRC}: torch/backends/cudnn/__init__.py CudnnModule"
    ),
    "torch.backends.cudnn.benchmark_limit": Override(
        "caution", None, _CUDNN_NOOP, f"{TORCH_SRC}: torch/backends/cudnn/__init__.py CudnnModule"
    ),
    "torch.backends.cudnn.enabled": Override(
        "caution", None, _CUDNN_NOOP, f"{TORCH_SRC}: torch/backends/cudnn/__init__.py CudnnModule"
    ),
    "torch.backends.cudnn.deterministic": Override(
        "caution",
        "torch.use_deterministic_algorithms",
        "cudnn.deterministic has no effect on NPU; use torch.use_deterministic_algorithms(True) "
        "(torch_npu also has the per-tensor torch.npu.enable_deterministic_with_backward).",
        "torch_npu/npu/deterministic.py __all__",
    ),
    "torch.cuda.is_tf32_supported": Override(
        "rewrite",
        "torch.npu.matmul.allow_hf32",
        "Ascend has no TF32 to query; decide on HF32 via torch.npu.matmul.allow_hf32 instead.",
        f"{_NPU_CONFIG} class _allowHF32Matmul",
    ),
    "torch.cuda.nccl": Override(
        "rewrite",
        "torch.distributed",
        "Direct NCCL calls have no torch_npu counterpart; use torch.distributed collectives "
        "with backend='hccl'.",
        "torch_npu/contrib/transfer_to_npu.py _wrapper_hccl (nccl -> hccl)",
        prefix=True,
    ),
    "torch.cuda.profiler": Override(
        "rewrite",
        "torch_npu.profiler.profile",
        "cudaProfilerStart/Stop hooks have no NPU counterpart; profile with torch_npu.profiler.",
        "torch_npu/profiler/__init__.py",
        prefix=True,
    ),
    "torch.cuda.cudart": Override(
        "rewrite",
        "torch.npu.npurt",
        "torch.npu.npurt() returns the NPU runtime bindings, whose functions differ from "
        "cudart's; port each runtime call by hand.",
        "torch_npu/npu/__init__.py def npurt",
    ),
    "torch.cuda.jiterator": Override(
        "blocker",
        None,
        "Jiterator compiles CUDA C++ at run time; there is no NPU counterpart, so express the "
        "op with torch ops or write an Ascend C custom operator.",
        "torch_npu/npu/__init__.py has no jiterator",
        prefix=True,
    ),
    "torch.cuda.tunable": Override(
        "blocker",
        None,
        "TunableOp tunes cuBLAS/hipBLASLt GEMMs; torch_npu has no counterpart, remove it.",
        "torch_npu/npu/__init__.py has no tunable",
        prefix=True,
    ),
}

CUBLAS_MATMUL_NOOP = _CUBLAS_NOOP
