"""The bundled example project: every touchpoint family is found, no look-alike is."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from conftest import REPO, check_json, run_cli

EXPECTED = [
    ("train.py", 27, "PC003", "cuda", "auto"),
    ("train.py", 29, "PC005", "CUDA_VISIBLE_DEVICES", "auto"),
    ("train.py", 37, "PC001", "torch.cuda.jiterator._create_jit_fn", "blocker"),
    ("train.py", 43, "PC003", "cuda", "auto"),
    ("train.py", 56, "PC005", "CUDA_LAUNCH_BLOCKING", None),
    ("train.py", 58, "PC001", "torch.cuda.set_device", "auto"),
    ("train.py", 59, "PC004", "nccl", "auto"),
    ("train.py", 60, "PC004", "nccl", "auto"),
    ("train.py", 62, "PC003", "cuda", "auto"),
    ("train.py", 63, "PC003", "cuda", "auto"),
    ("train.py", 82, "PC001", "torch.cuda.amp.autocast", "auto"),
    ("train.py", 89, "PC001", "torch.cuda.CUDAGraph", "caution"),  # inference only on NPU
    ("train.py", 90, "PC001", "torch.cuda.current_stream", "auto"),
    ("train.py", 92, "PC001", "torch.cuda.graph", "caution"),  # inference only on NPU
    ("train.py", 106, "PC003", "cuda", "auto"),
    ("train.py", 107, "PC001", "torch.cuda.device_count", "auto"),
    ("train.py", 110, "PC001", "torch.backends.cudnn.benchmark", "caution"),
    ("train.py", 111, "PC001", "torch.backends.cuda.matmul.allow_tf32", "caution"),
    ("train.py", 116, "PC002", "torch.Tensor.cuda", "auto"),
    ("train.py", 118, "PC003", "cuda", "auto"),
    ("train.py", 124, "PC001", "torch.cuda.FloatTensor", "auto"),
    ("train.py", 127, "PC001", "torch.profiler.ProfilerActivity.CUDA", None),
    ("train.py", 130, "PC001", "torch.cuda.nvtx.range_push", "rewrite"),
    ("train.py", 133, "PC002", "torch.Tensor.is_cuda", "auto"),
    ("train.py", 136, "PC001", "torch.cuda.amp.autocast", "auto"),
    ("train.py", 138, "PC003", "cuda", "auto"),
    ("train.py", 76, "PC008", "apex.optimizers.FusedAdam", "rewrite"),
    ("model.py", 31, "PC008", "flash_attn.flash_attn_func", "rewrite"),
    ("model.py", 34, "PC008", "xformers.ops.memory_efficient_attention", None),
    ("kernels/fused_softmax.cu", 1, "PC007", "cuda-source", "blocker"),
    ("kernels/fused_softmax.cuh", 1, "PC007", "cuda-source", "blocker"),
    ("kernels/ops.py", 33, "PC006", "torch.utils.cpp_extension.load", "blocker"),
    ("kernels/ops.py", 43, "PC006", "torch.utils.cpp_extension.load_inline", "blocker"),
    ("kernels/triton_ops.py", 7, "PC008", "triton.jit", None),
    ("utils/gpu.py", 5, "PC008", "cupy", "blocker"),
    ("utils/gpu.py", 14, "PC008", "numba.cuda.jit", "blocker"),
    ("setup.py", 9, "PC006", "torch.utils.cpp_extension.CUDAExtension", "blocker"),
    ("setup.py", 16, "PC010", "flash-attn", None),
    ("requirements.txt", 2, "PC009", "torch-cuda-build", "caution"),
    ("requirements.txt", 5, "PC009", "flash-attn", None),
    ("requirements.txt", 10, "PC009", "cupy-cuda12x", "blocker"),
    ("pyproject.toml", 12, "PC009", "xformers", None),
]

LOOKALIKE_LINES = [
    ("train.py", 42),  # --cuda flag
    ("train.py", 49),  # --cuda-graphs
    ("train.py", 61),  # logger.info("using nccl")
    ("train.py", 103),  # print("running on cuda")
    ("train.py", 123),  # local cuda_utils module
    ("train.py", 155),  # args.cuda_graphs
    ("model.py", 37),  # F.scaled_dot_product_attention
    ("model.py", 59),  # torch.device("cpu")
    ("model.py", 60),  # self.cuda_graph_enabled
    ("utils/cuda_utils.py", None),
    ("utils/__init__.py", None),
]


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    code, document = check_json("fixtures/example_repo", cwd=REPO)
    assert code == 1
    return document


def _at(report: dict[str, Any], path: str, line: int | None) -> list[dict[str, Any]]:
    full = f"fixtures/example_repo/{path}"
    return [f for f in report["findings"] if f["path"] == full and line in (None, f["line"])]


@pytest.mark.parametrize(("path", "line", "rule", "api", "category"), EXPECTED)
def test_touchpoint_is_found_with_its_category(
    report: dict[str, Any], path: str, line: int, rule: str, api: str, category: str | None
) -> None:
    matches = [f for f in _at(report, path, line) if f["rule"] == rule and f["api"] == api]
    assert matches, f"no {rule} {api} at {path}:{line}"
    if category is not None:
        assert matches[0]["category"] == category


@pytest.mark.parametrize(("path", "line"), LOOKALIKE_LINES)
def test_lookalike_in_example_repo_is_not_flagged(
    report: dict[str, Any], path: str, line: int | None
) -> None:
    assert _at(report, path, line) == []


def test_lookalike_files_have_no_finding() -> None:
    code, document = check_json("fixtures/lookalikes", cwd=REPO)
    assert document["findings"] == []
    assert code == 0


def test_every_rule_family_fires_on_the_example(report: dict[str, Any]) -> None:
    rules = Counter(finding["rule"] for finding in report["findings"])
    assert set(rules) >= {f"PC00{n}" for n in range(1, 10)} | {"PC010"}


def test_text_output_is_ruff_style_with_summary() -> None:
    result = run_cli("check", "fixtures/example_repo/train.py", cwd=REPO)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("fixtures/example_repo/train.py:58:5: PC001 [auto] ") for line in lines
    )
    assert any(line.startswith("  help: Use `torch.npu.set_device`") for line in lines)
    assert lines[-2].startswith("Found ")
    assert "fixable with --fix" in lines[-2]
    assert lines[-1].startswith("Readiness score: ")
