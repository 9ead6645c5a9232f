"""Behaviour facts derived from small synthetic torch_npu sources (nothing imported)."""

from __future__ import annotations

import ast

from knowledge_builder.behaviour import classify

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
    assert fact["evidence"] == "torch_npu T wheel: torch_npu/npu/x.py:7 returns None"


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
