"""Derivation logic on tiny synthetic wheel-like zips (no torch, no torch_npu needed)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from knowledge_builder.derive import derive_release, dumps
from knowledge_builder.metadata import torch_requirement
from knowledge_builder.shim import derive_shim
from knowledge_builder.strings import env_strings
from knowledge_builder.wheel import WheelReader

TORCH = {
    "torch/cuda/__init__.py": (
        '__all__ = ["synchronize", "ExternalStream", "CUDAGraph", "DoubleTensor",\n'
        '           "get_arch_list", "jiterator", "nvtx", "amp"]\n'
    ),
    "torch/cuda/nvtx.py": '__all__ = ["range_push", "mark", "range"]\n',
    "torch/cuda/jiterator.py": "__all__ = []\n",
    "torch/cuda/amp/__init__.py": '__all__ = ["autocast"]\n',
    "torch/backends/cuda/__init__.py": (
        '__all__ = ["matmul", "enable_flash_sdp", "cufft_plan_cache"]\n'
        "class cuBLASModule:\n"
        "    def __getattr__(self, name):\n"
        '        if name == "allow_tf32":\n'
        "            return 1\n"
        '        elif name == "allow_fp16_reduced_precision_reduction":\n'
        "            return 2\n"
    ),
    "torch/backends/cudnn/__init__.py": (
        "def version():\n    return None\n"
        "class CudnnModule(PropModule):\n"
        "    benchmark = ContextProp(get, set)\n"
        "    deterministic = ContextProp(get, set)\n"
        "    allow_tf32 = ContextProp(get, set)\n"
    ),
}

SHIM = """
torch_fn_white_list = ['zeros', 'ones']
torch_tensor_fn_white_list = ['to']
torch_module_fn_white_list = ['to']
torch_cuda_fn_white_list = ['synchronize', 'set_device']
device_kwargs_list = ['device', 'map_location']

def _patch_cuda():
    patchs = [['cuda', torch_npu.npu], ['cuda.amp', torch_npu.npu.amp]]
    torch_npu._apply_patches(patchs)

def _patch_has_triton():
    return False

def _init():
    _patch_cuda()
    _device_wrapper(torch.cuda, torch_cuda_fn_white_list)
    _device_wrapper(torch, torch_fn_white_list)
    torch.Tensor.cuda = torch.Tensor.npu
    torch.Tensor.is_cuda = torch.Tensor.is_npu
    torch.cuda.DoubleTensor = torch.npu.FloatTensor
    torch.cuda.CUDAGraph = torch.npu.NPUGraph
    torch.distributed.init_process_group = _wrapper_hccl(torch.distributed.init_process_group)
    torch.jit.script = _jit_script
    setattr(torch._inductor.utils, 'has_triton', _patch_has_triton)

def _never_called():
    torch.cuda.never = torch.npu.never

_init()
"""


def _npu_files(new: bool) -> dict[str, str]:
    exported = ["synchronize", "NPUGraph", "DoubleTensor", "FloatTensor", "matmul", "mstx"]
    exported += ["ExternalStream"] if new else []
    push = "    @staticmethod\n    def range_push(message):\n        pass\n" if new else ""
    return {
        "torch_npu/__init__.py": "",
        "torch_npu/npu/__init__.py": (
            f"__all__ = {exported!r}\n"
            "from .utils import synchronize\n"
            "from .graphs import NPUGraph\n"
            "from .mstx import mstx\n"
            "from ._backends import *\n"
            + ("from .streams import ExternalStream\n" if new else "")
            + "matmul = npu_config._allowHF32Matmul()\n"
        ),
        "torch_npu/npu/utils.py": "def synchronize():\n    pass\n",
        "torch_npu/npu/graphs.py": "class NPUGraph:\n    pass\n",
        "torch_npu/npu/streams.py": "class ExternalStream:\n    pass\n",
        "torch_npu/npu/_backends.py": "def enable_flash_sdp(enabled):\n    pass\n",
        "torch_npu/npu/amp/__init__.py": '__all__ = ["autocast"]\nclass autocast:\n    pass\n',
        "torch_npu/npu/mstx.py": (
            '__all__ = ["mstx"]\nclass mstx:\n'
            "    @staticmethod\n    def mark(message):\n        pass\n" + push
        ),
        "torch_npu/npu/npu_config.py": (
            "class _allowHF32Matmul:\n"
            "    def __getattr__(cls, name):\n"
            '        if name == "allow_hf32":\n'
            "            return True\n"
        ),
        "torch_npu/contrib/transfer_to_npu.py": SHIM,
    }


def _zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    return path


@pytest.fixture()
def wheels(tmp_path: Path) -> dict[str, WheelReader]:
    return {
        "torch": WheelReader(_zip(tmp_path / "torch.whl", TORCH), "torch 9.9 wheel"),
        "new": WheelReader(_zip(tmp_path / "new.whl", _npu_files(True)), "torch_npu 2.0 wheel"),
        "old": WheelReader(_zip(tmp_path / "old.whl", _npu_files(False)), "torch_npu 1.0 wheel"),
    }


def _apis(wheels: dict[str, WheelReader], which: str) -> dict[str, dict[str, object]]:
    doc = derive_release(wheels["torch"], wheels[which], which, {}, ())
    return {str(a["api"]): a for a in doc["apis"]}  # type: ignore[union-attr]


def test_same_name_is_auto_and_migrated_by_the_shim(wheels):
    fact = _apis(wheels, "new")["torch.cuda.synchronize"]
    assert (fact["category"], fact["replacement"], fact["shim"]) == (
        "auto",
        "torch.npu.synchronize",
        True,
    )
    assert "torch_npu/npu/utils.py" in str(fact["evidence"])


def test_renamed_class_is_auto_via_the_cuda_to_npu_rename(wheels):
    fact = _apis(wheels, "new")["torch.cuda.CUDAGraph"]
    assert fact["replacement"] == "torch.npu.NPUGraph" and fact["shim"] is True


def test_name_missing_in_one_release_differs(wheels):
    new, old = _apis(wheels, "new"), _apis(wheels, "old")
    assert new["torch.cuda.ExternalStream"]["category"] == "auto"
    assert old["torch.cuda.ExternalStream"]["category"] == "blocker"
    assert new["torch.cuda.nvtx.range_push"]["replacement"] == "torch_npu.npu.mstx.range_push"
    assert old["torch.cuda.nvtx.range_push"]["category"] == "blocker"
    assert new["torch.cuda.nvtx.mark"]["category"] == "rewrite"


def test_overrides_and_fallbacks(wheels):
    apis = _apis(wheels, "new")
    tf32 = apis["torch.backends.cuda.matmul.allow_tf32"]
    assert (tf32["category"], tf32["replacement"]) == ("caution", "torch.npu.matmul.allow_hf32")
    assert (
        apis["torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction"]["category"]
        == "caution"
    )
    assert apis["torch.backends.cudnn.benchmark"]["category"] == "caution"
    assert apis["torch.cuda.jiterator"]["category"] == "blocker"
    assert apis["torch.cuda.jiterator"]["prefix"] is True
    assert apis["torch.cuda.get_arch_list"]["category"] == "blocker"
    sdp = apis["torch.backends.cuda.enable_flash_sdp"]
    assert sdp["replacement"] == "torch.npu.enable_flash_sdp"


def test_double_tensor_alias_is_a_caution(wheels):
    fact = _apis(wheels, "new")["torch.cuda.DoubleTensor"]
    assert fact["category"] == "caution" and "torch.npu.FloatTensor" in str(fact["note"])


def test_shim_aliases_become_facts(wheels):
    fact = _apis(wheels, "old")["torch.Tensor.cuda"]
    expected = ("auto", "torch.Tensor.npu", True)
    assert (fact["category"], fact["replacement"], fact["shim"]) == expected


def test_shim_facts(wheels):
    shim = derive_shim(wheels["new"])
    assert shim is not None
    assert shim["white_lists"]["torch_cuda_fn_white_list"] == ["set_device", "synchronize"]
    assert "torch.cuda.synchronize" in shim["device_wrapped"]
    assert "torch.zeros" in shim["device_wrapped"]
    assert shim["hccl_wrapped"] == ["torch.distributed.init_process_group"]
    assert shim["jit_script_disabled"] is True
    assert shim["triton_disabled"] == ["torch._inductor.utils.has_triton"]
    assert shim["patched_modules"] == {
        "torch.cuda": "torch_npu.npu",
        "torch.cuda.amp": "torch_npu.npu.amp",
    }
    assert "torch.cuda.never" not in shim["aliases"]  # unreachable code does not count


def test_derivation_is_byte_reproducible(wheels, tmp_path):
    first = dumps(derive_release(wheels["torch"], wheels["new"], "2.0", {}, ("torch_npu.npu",)))
    second = dumps(derive_release(wheels["torch"], wheels["new"], "2.0", {}, ("torch_npu.npu",)))
    assert first == second and first.endswith("}\n")
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(wheels["new"].path) as archive:
        archive.extractall(unpacked)
    from_dir = WheelReader(unpacked, "torch_npu 2.0 wheel")
    assert dumps(derive_release(wheels["torch"], from_dir, "2.0", {}, ("torch_npu.npu",))) == first


def test_probes_record_only_existing_symbols(wheels):
    doc = derive_release(
        wheels["torch"], wheels["old"], "1.0", {}, ("torch_npu.npu.synchronize", "torch_npu.nope")
    )
    expected = {"torch_npu.npu.synchronize": "torch_npu 1.0 wheel: torch_npu/npu/utils.py"}
    assert doc["symbols"] == expected


def test_env_strings_are_whole_words_in_py_and_so_members(tmp_path):
    files = {
        "torch_npu/lib/libtorch_npu.so": "\x00HCCL_EXEC_TIMEOUT\x00TORCH_HCCL_BLOCKING_WAIT\x00",
        "torch_npu/notes.txt": "HCCL_CONNECT_TIMEOUT",
        "torch_npu/a.py": 'os.getenv("HCCL_EXEC_TIMEOUT")\n',
    }
    reader = WheelReader(_zip(tmp_path / "s.whl", files), "torch_npu 9.9 wheel")
    probes = ("HCCL_EXEC_TIMEOUT", "HCCL_BLOCKING_WAIT", "HCCL_CONNECT_TIMEOUT")
    assert env_strings(reader, probes) == {
        "HCCL_EXEC_TIMEOUT": "torch_npu 9.9 wheel: torch_npu/a.py"
    }


def test_torch_requirement_from_metadata(tmp_path):
    for line, torch in (
        ("Requires-Dist: torch (==2.1.0+cpu)", "2.1.0"),
        ("Requires-Dist: torch ==2.9.1+cpu", "2.9.1"),
        ("Requires-Dist: torch==2.14.0.*", "2.14.0"),
    ):
        meta = f"Metadata-Version: 2.1\nName: torch_npu\nRequires-Dist: numpy\n{line}\n"
        wheel = _zip(tmp_path / f"{torch}.whl", {"torch_npu-1.dist-info/METADATA": meta})
        row = torch_requirement(WheelReader(wheel, "torch_npu 1 wheel"), "1")
        assert row["torch"] == torch
        assert row["evidence"] == f"torch_npu 1 wheel: torch_npu-1.dist-info/METADATA ({line})"
    wheel = _zip(tmp_path / "none.whl", {"x-1.dist-info/METADATA": "Requires-Dist: torch>=2\n"})
    with pytest.raises(ValueError):
        torch_requirement(WheelReader(wheel, "x"), "1")
