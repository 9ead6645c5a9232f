"""Behaviour facts derived from small synthetic torch_npu sources and support lists
(nothing imported)."""

from __future__ import annotations

import ast
from pathlib import Path

from knowledge_builder.ascend_docs import parse_markdown
from knowledge_builder.behaviour import (
    CudaSide,
    classify,
    derive_behaviour,
    docs_for,
    pattern_facts,
)
from knowledge_builder.wheel import WheelReader

SOURCE = """
import os, warnings

def get_device_capability(device=None):
    if not os.getenv("TORCH_NPU_DEVICE_CAPABILITY"):
        warnings.warn("set TORCH_NPU_DEVICE_CAPABILITY")
        return None
    return (8, 0)

def enable_flash_sdp(enabled):
    warnings.warn("the device does not support flash sdp and only sets the global variable!")
    torch._C._set_sdp_use_flash(enabled)

def preferred_linalg_library(backend=None):
    warnings.warn("torch.npu.preferred_linalg_library isn't implemented!")

class NPUGraph:
    def capture_begin(self, pool=None, capture_error_mode="global"):
        if capture_error_mode != "global":
            raise RuntimeError(f"mode {capture_error_mode} is not supported")

def get_device_properties(device=None):
    return torch_npu._C._npu_getDeviceProperties(0)

def synchronize(device=None):
    torch_npu._C._npu_synchronize()
"""


def _fact(name: str, replacement: str) -> dict[str, object] | None:
    return classify(name, replacement, "torch_npu/npu/x.py", ast.parse(SOURCE), "torch_npu T wheel")


def test_returning_none_is_a_rewrite_with_the_line():
    fact = _fact("torch.cuda.get_device_capability", "torch.npu.get_device_capability")
    assert fact is not None and fact["category"] == "rewrite"
    assert fact["evidence"] == (
        "torch_npu T wheel: torch_npu/npu/x.py:7 returns None unless "
        "TORCH_NPU_DEVICE_CAPABILITY is set"
    )
    assert "returns None unless TORCH_NPU_DEVICE_CAPABILITY is set" in str(fact["note"])


def test_flag_only_unsupported_and_not_implemented_are_caution():
    flag = _fact("torch.backends.cuda.enable_flash_sdp", "torch.npu.enable_flash_sdp")
    assert flag is not None and flag["category"] == "caution"
    assert "only sets a global flag" in str(flag["note"])
    name = "preferred_linalg_library"
    linalg = _fact(f"torch.backends.cuda.{name}", f"torch.npu.{name}")
    assert linalg is not None and linalg["category"] == "caution"
    graph = _fact("torch.cuda.CUDAGraph", "torch.npu.NPUGraph")
    assert graph is not None and str(graph["evidence"]).endswith("x.py:20 raises")


def test_properties_object_is_caution_and_unverified():
    fact = _fact("torch.cuda.get_device_properties", "torch.npu.get_device_properties")
    assert fact is not None and fact["category"] == "caution" and fact["verified"] is False


def test_plain_counterpart_has_no_behaviour_fact():
    assert _fact("torch.cuda.synchronize", "torch.npu.synchronize") is None


def test_what_cuda_does_too_is_no_difference():
    """torch.cuda.make_graphed_callables refuses autocast caching with the same error, and
    CUDA's CUDAGraph has no update(): neither is something torch_npu does differently."""
    source = (
        "class NPUGraph:\n"
        "    def replay(self):\n        pass\n"
        "    def update(self, x):\n"
        "        raise RuntimeError('The current graph configuration does not support update')\n"
        "def make_graphed_callables(c):\n"
        "    raise RuntimeError('make_graphed_callables does not support the autocast caching.')\n"
    )
    tree, member = ast.parse(source), "torch_npu/npu/graphs.py"
    cuda = CudaSide(
        frozenset({"make_graphed_callables does not support the autocast caching."}),
        {"CUDAGraph": frozenset({"replay"})},
    )
    for api, npu in (
        ("torch.cuda.CUDAGraph", "torch.npu.NPUGraph"),
        ("torch.cuda.make_graphed_callables", "torch.npu.make_graphed_callables"),
    ):
        assert classify(api, npu, member, tree, "W", cuda) is None
        assert classify(api, npu, member, tree, "W") is not None  # without torch's view


def _entry(name: str, restriction: str) -> str:
    rows = "| <term>Atlas A2 训练系列产品</term> | ✔ |\n| <term>Ascend 950DT</term> | ✔ |"
    return f"### {name}\n\n| 硬件 | 是否支持 |\n| ---- | :----: |\n{rows}\n\n{restriction}\n"


CUDA_MD = _entry(
    "<code><i>class</i></code> torch.cuda.CUDAGraph",
    "**限制与说明**： 当前仅支持推理场景，不支持训练场景",
) + _entry(
    "torch.cuda.get_device_properties",
    "**限制与说明**： 仅支持name、total_memory和cube_core_num属性，原CUDA上的其余属性返回空字段",
)


def test_support_list_restrictions_become_flags_and_attribute_names():
    entries = {e.api: e for e in parse_markdown(CUDA_MD, "torch-cuda.md")}
    assert entries["torch.cuda.CUDAGraph"].inference_only
    properties = entries["torch.cuda.get_device_properties"]
    assert properties.attributes == ("name", "total_memory", "cube_core_num")
    assert not properties.inference_only


def _wheels(tmp_path: Path) -> tuple[WheelReader, WheelReader, Path]:
    files = {
        "torch/cuda/__init__.py": (
            "from .graphs import CUDAGraph\n"
            "__all__ = ['CUDAGraph', 'get_device_properties', 'synchronize']\n"
        ),
        "torch/cuda/graphs.py": "class CUDAGraph:\n    def replay(self):\n        pass\n",
        "torch_npu/npu/__init__.py": (
            "from .graphs import NPUGraph\n"
            "__all__ = ['NPUGraph', 'get_device_properties', 'synchronize']\n"
            "def get_device_properties(d=None):\n"
            "    return torch_npu._C._npu_getDeviceProperties(d)\n"
            "def synchronize(d=None):\n    pass\n"
        ),
        "torch_npu/npu/graphs.py": (
            "class NPUGraph:\n    def replay(self):\n        pass\n"
            "    def update(self, x):\n        raise RuntimeError('does not support update')\n"
        ),
        "docs/pytorch_2-7-1/torch-cuda.md": CUDA_MD,
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    torch, npu = WheelReader(tmp_path, "torch T wheel"), WheelReader(tmp_path, "torch_npu N wheel")
    return torch, npu, tmp_path / "docs"


def _apis(tmp_path: Path, version: str) -> dict[str, dict[str, object]]:
    torch, npu, docs = _wheels(tmp_path)
    found = docs_for(docs, "c" * 40, version)
    document = derive_behaviour(torch, npu, version, found)
    return {str(f["api"]): f for f in document["apis"]}  # type: ignore[union-attr]


def test_graphs_are_inference_only_with_the_list_as_evidence(tmp_path):
    graph = _apis(tmp_path, "2.9.1")["torch.cuda.CUDAGraph"]
    assert (graph["category"], graph["verified"]) == ("caution", True)
    assert graph["evidence"] == (
        "Ascend/pytorch@cccccccccccc: docs/zh/api/native_api/pytorch_2-7-1/torch-cuda.md § "
        "class torch.cuda.CUDAGraph (restriction: inference only, not training)"
    )
    properties = _apis(tmp_path, "2.9.1")["torch.cuda.get_device_properties"]
    assert properties["verified"] is True
    assert "only name, total_memory, cube_core_num are filled in" in str(properties["note"])


def test_a_release_older_than_every_list_gets_an_unverified_fact(tmp_path):
    apis = _apis(tmp_path, "2.1.0.post17")
    graph, properties = apis["torch.cuda.CUDAGraph"], apis["torch.cuda.get_device_properties"]
    assert (graph["category"], graph["verified"]) == ("caution", False)
    assert "Unverified for this release: the oldest list" in str(graph["note"])
    assert (properties["category"], properties["verified"]) == ("caution", False)
    assert "torch.cuda.synchronize" not in apis


def test_process_group_nccl_is_missing_where_no_library_registers_it(tmp_path):
    """The CPU build of torch binds ProcessGroupNCCL only if torch._C has it; without
    transfer_to_npu rebinding it, the name is missing on Ascend."""
    c10d = tmp_path / "torch" / "distributed" / "distributed_c10d.py"
    c10d.parent.mkdir(parents=True)
    c10d.write_text(
        "try:\n    from torch._C._distributed_c10d import ProcessGroupNCCL\n"
        "except ImportError:\n    pass\n",
        encoding="utf-8",
    )
    library = tmp_path / "torch" / "lib" / "libtorch_python.so"
    library.parent.mkdir(parents=True)
    library.write_bytes(b"\x00ProcessGroupGloo\x00 see ``ProcessGroupNCCL``'s docs\x00")
    npu_root = tmp_path / "npu"
    npu_root.mkdir()
    torch, npu = WheelReader(tmp_path, "torch T wheel"), WheelReader(npu_root, "N")
    facts = {f["api"]: f for f in pattern_facts(torch, npu)}
    fact = facts["torch.distributed.ProcessGroupNCCL"]
    assert fact["category"] == "rewrite"
    assert fact["evidence"] == (
        "torch T wheel: torch/distributed/distributed_c10d.py:2 binds ProcessGroupNCCL only if "
        "torch._C has it; torch/lib/libtorch_python.so registers no class of that name"
    )
    library.write_bytes(b"\x00ProcessGroupNCCL\x00")  # a CUDA build registers it
    torch = WheelReader(tmp_path, "torch T wheel")
    assert "torch.distributed.ProcessGroupNCCL" not in {f["api"] for f in pattern_facts(torch, npu)}
