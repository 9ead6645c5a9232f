"""--fix never rewrites CUDA code that is CUDA on purpose, nor code that already runs on NPU.

Each case is cut down from a real project where a fix broke working code: the finding
is still reported (the NPU path is still to be written) or counted as handled, and the
file is left byte for byte.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import check_json, run_cli, write

KEPT = {
    # diffusers models/attention.py: the xformers switch checks for CUDA on purpose
    "xformers-method": (
        "import torch\n\n"
        "class Attention:\n"
        "    def set_use_memory_efficient_attention_xformers(self, valid):\n"
        "        if not torch.cuda.is_available():\n"
        '            raise ValueError("xformers needs a GPU")\n'
        '        q = torch.randn((1, 2, 40), device="cuda")\n',
        "cuda-definition",
    ),
    # diffusers quantizers/gguf/utils.py: may the CUDA kernels of gguf run?
    "gguf-kernels-gate": (
        "import os\nimport torch\n\n"
        "can_use_kernels = (\n"
        '    os.getenv("GGUF_KERNELS", "0") == "1"\n'
        "    and torch.cuda.is_available()\n"
        "    and torch.cuda.get_device_capability()[0] >= 7\n"
        ")\n",
        "cuda-only-gate",
    ),
    "gguf-forward-gate": (
        "import torch\n\n"
        "class Linear(torch.nn.Linear):\n"
        "    def forward(self, inputs):\n"
        "        if ops is not None and self.weight.is_cuda and inputs.is_cuda:\n"
        "            return self.forward_cuda(inputs)\n"
        "        return self.forward_native(inputs)\n",
        "cuda-only-gate",
    ),
    # diffusers quantizers/bfl/utils.py: FP8/FP4 kernels of flashinfer
    "flashinfer-gate": (
        "import torch\n\n"
        "def forward(inputs):\n"
        "    if inputs.is_cuda and is_flashinfer_available():\n"
        "        return quantize(inputs)\n"
        "    return inputs\n",
        "cuda-only-gate",
    ),
    # timm optim/_optim_factory.py: APEX optimizers need CUDA
    "apex-assert": (
        "import torch\n\n"
        "def make(name):\n"
        '    if name.startswith("apex."):\n'
        '        assert torch.cuda.is_available(), "CUDA required for APEX optimizers"\n'
        "        return load(name)\n",
        "cuda-only-gate",
    ),
    # colossalai extensions/cuda_extension.py: "is the CUDA extension available?"
    "cuda-extension-class": (
        "import torch\n\n"
        "class _CudaExtension(_CppExtension):\n"
        "    def is_available(self) -> bool:\n"
        "        return torch.cuda.is_available()\n",
        "cuda-definition",
    ),
    # colossalai accelerator/cuda_accelerator.py beside npu_accelerator.py
    "cuda-accelerator-class": (
        "import torch\n\n"
        "class CudaAccelerator(BaseAccelerator):\n"
        "    def synchronize(self, device=None):\n"
        "        torch.cuda.synchronize(device)\n",
        "cuda-definition",
    ),
    # diffusers models/modeling_utils.py: an override of Module.cuda
    "cuda-method-override": (
        "import torch\n\n"
        "class Model(torch.nn.Module):\n"
        "    def cuda(self, *args, **kwargs):\n"
        "        return super().cuda(*args, **kwargs)\n",
        "cuda-definition",
    ),
    # diffusers utils/testing_utils.py: a table keyed by accelerator
    "device-keyed-table": (
        "import torch\n\n"
        "BACKEND_EMPTY_CACHE = {\n"
        '    "cuda": torch.cuda.empty_cache,\n'
        '    "xpu": torch.xpu.empty_cache,\n'
        '    "cpu": None,\n'
        "}\n",
        "device-dispatch",
    ),
    # diffusers quantizers/bitsandbytes: CUDA beside XPU, not instead of it
    "xpu-or-cuda": (
        "import torch\n\n"
        "def check():\n"
        "    if not (torch.cuda.is_available() or torch.xpu.is_available()):\n"
        '        raise RuntimeError("No GPU found")\n',
        "device-dispatch",
    ),
    "cuda-fallback-of-xpu": (
        "import torch\n\n"
        "def place(model):\n"
        "    if torch.xpu.is_available():\n"
        "        model.to(torch.xpu.current_device())\n"
        "    else:\n"
        "        model.to(torch.cuda.current_device())\n",
        "device-dispatch",
    ),
    # colossalai zero/gemini/chunk/manager.py: NPU memory is counted as "cuda" on purpose
    "npu-normalised-to-cuda": (
        "import torch\n\n"
        "def add(total, tensor):\n"
        "    device_type = tensor.device.type\n"
        '    if device_type == "npu":\n'
        '        device_type = "cuda"\n'
        "    total[device_type] += tensor.numel()\n",
        "npu-branch",
    ),
    # lightning trainer/connectors/accelerator_connector.py
    "accelerator-name": (
        'def device_of(flag):\n    return flag if flag in ("cpu", "mps") else "cuda"\n',
        "device-dispatch",
    ),
}

HANDLED = {
    # timm data/loader.py and utils/distributed.py: the NPU twin is the next statement
    "npu-twin-assignment": (
        "import torch\n\n"
        "class Loader:\n"
        "    def __init__(self, device):\n"
        "        self.is_cuda = device.type == 'cuda' and torch.cuda.is_available()\n"
        "        self.is_npu = device.type == 'npu' and torch.npu.is_available()\n",
        "npu-mirror",
    ),
    "npu-twin-if": (
        "import torch\n\n"
        "def init(device_type, device):\n"
        "    if device_type == 'cuda':\n"
        "        assert torch.cuda.is_available(), f'CUDA is not available but {device}'\n"
        "    if device_type == 'npu':\n"
        "        assert torch.npu.is_available(), f'Ascend NPU is not available but {device}'\n",
        "npu-mirror",
    ),
}


def _report_after_fix(root: Path, code: str) -> dict[str, Any]:
    """The JSON report of ``code`` after ``--fix --unsafe-fixes``, which must not change it."""
    path = write(root, "mod.py", code)
    run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=root)
    assert path.read_text(encoding="utf-8") == code
    return check_json(".", cwd=root)[1]


def _fixed_only_unsafely(root: Path, code: str) -> list[tuple[int, bool, bool]]:
    """(line, fixable, unsafe_fix) of each finding of ``code``, which ``--fix`` must leave
    alone and ``--fix --unsafe-fixes`` must port whole (every ``"cuda"`` to ``"npu"``)."""
    path = write(root, "mod.py", code)
    run_cli("check", "--fix", ".", cwd=root)
    assert path.read_text(encoding="utf-8") == code
    findings = check_json(".", cwd=root)[1]["findings"]
    run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=root)
    assert path.read_text(encoding="utf-8") == code.replace('"cuda"', '"npu"')
    return [(f["line"], f["fixable"], f["unsafe_fix"]) for f in findings]


@pytest.mark.parametrize("case", sorted(KEPT))
def test_cuda_on_purpose_is_reported_and_never_fixed(tmp_path: Path, case: str) -> None:
    code, reason = KEPT[case]
    report = _report_after_fix(tmp_path, code)
    reasons = {finding.get("kept_cuda") for finding in report["findings"]}
    assert reason in reasons
    assert not any(finding["fixable"] for finding in report["findings"])


@pytest.mark.parametrize("case", sorted(HANDLED))
def test_code_that_already_covers_npu_is_handled_and_never_fixed(tmp_path: Path, case: str) -> None:
    code, reason = HANDLED[case]
    report = _report_after_fix(tmp_path, code)
    assert reason in {finding["handled"] for finding in report["handled"]}
    assert not any(finding["line"] in (5, 6) for finding in report["findings"])


@pytest.mark.parametrize(
    ("code", "fixed"),
    [
        (
            'import torch\ndevice = "cuda" if torch.cuda.is_available() else "cpu"\n',
            "import torch\nimport torch_npu  # noqa: F401\n"
            'device = "npu" if torch.npu.is_available() else "cpu"\n',
        ),
        (
            "import torch\nuse_cuda = torch.cuda.is_available()\n",
            "import torch\nimport torch_npu  # noqa: F401\nuse_cuda = torch.npu.is_available()\n",
        ),
        (
            "import torch\n\ndef cleanup():\n    if torch.cuda.is_available():\n"
            "        torch.cuda.empty_cache()\n",
            "import torch\nimport torch_npu  # noqa: F401\n\ndef cleanup():\n"
            "    if torch.npu.is_available():\n        torch.npu.empty_cache()\n",
        ),
    ],
    ids=["cpu-fallback", "assignment", "plain-gate"],
)
def test_plain_cuda_code_is_still_fixed(tmp_path: Path, code: str, fixed: str) -> None:
    path = write(tmp_path, "mod.py", code)
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == fixed


def test_torch_npu_import_goes_under_the_guard_of_the_torch_import(tmp_path: Path) -> None:
    """diffusers utils/torch_utils.py imports torch only when it is installed."""
    code = (
        "from .import_utils import is_torch_available\n\n"
        "if is_torch_available():\n"
        "    import torch\n"
        "    from torch.fft import fftn\n\n"
        "def sync():\n"
        "    torch.cuda.synchronize()\n"
    )
    path = write(tmp_path, "mod.py", code)
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == code.replace(
        "    import torch\n", "    import torch\n    import torch_npu  # noqa: F401\n"
    ).replace("torch.cuda", "torch.npu")


def test_inserted_import_is_marked_as_a_side_effect_import(tmp_path: Path) -> None:
    """Without ``# noqa: F401`` ruff --fix deletes the import and undoes the port."""
    path = write(tmp_path, "mod.py", "import torch; torch.cuda.synchronize()\n")
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == (
        "import torch; import torch_npu; torch.npu.synchronize()  # noqa: F401\n"
    )


# colossalai legacy/pipeline/pipeline_process_group.py: the test picks the backend
PICKED_BACKEND = (
    "import torch.distributed as dist\n\n"
    "def init(device):\n"
    '    backend = "nccl" if device == "cuda" else "gloo"\n'
    "    dist.init_process_group(backend)\n"
)


def test_a_test_and_the_backend_it_picks_are_fixed_together(tmp_path: Path) -> None:
    """Fixing the test alone asked for NCCL on an NPU."""
    path = write(tmp_path, "mod.py", PICKED_BACKEND)
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == PICKED_BACKEND.replace(
        "import torch.distributed as dist\n",
        "import torch.distributed as dist\nimport torch_npu  # noqa: F401\n",
    ).replace('"nccl" if device == "cuda"', '"hccl" if device == "npu"')


def test_a_test_is_not_fixed_without_the_backend_it_picks(tmp_path: Path) -> None:
    """The value's own finding is suppressed: the test stays as it is too."""
    code = PICKED_BACKEND.replace('"gloo"\n', '"gloo"  # portcheck: ignore[PC004]\n')
    path = write(tmp_path, "mod.py", code)
    run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == code


def test_a_test_that_picks_an_uncertain_backend_is_an_unsafe_fix(tmp_path: Path) -> None:
    code = 'def pick(device):\n    return ("nccl", "gloo") if device == "cuda" else ("gloo",)\n'
    path = write(tmp_path, "mod.py", code)
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == code
    test = next(f for f in check_json(".", cwd=tmp_path)[1]["findings"] if f["rule"] == "PC003")
    assert (test["fixable"], test["category"], test["unsafe_fix"]) == (False, "rewrite", True)
    assert "nccl" in test["suggestion"]
    run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == code.replace("nccl", "hccl").replace("cuda", "npu")


def test_a_test_that_picks_a_value_no_fix_rewrites_is_kept(tmp_path: Path) -> None:
    code = 'def pick(device):\n    return "NCCL" if device == "cuda" else "GLOO"\n'
    report = _report_after_fix(tmp_path, code)
    (test,) = report["findings"]
    assert test["kept_cuda"].startswith("a test whose branch holds a CUDA value")
    assert not test["fixable"]


# lightning fabric/connector.py:289: the branch picks the accelerator by its name
PICKED_ACCELERATOR = (
    "def select(self):\n"
    '    if self.devices[0].type == "cuda":\n'
    '        self.accelerator_flag = "cuda"\n'
)


def test_a_test_is_not_fixed_alone_when_its_branch_names_the_cuda_accelerator(
    tmp_path: Path,
) -> None:
    assert _fixed_only_unsafely(tmp_path, PICKED_ACCELERATOR) == [
        (2, False, True),
        (3, False, True),
    ]


def test_a_cuda_string_no_rule_reports_does_not_hold_a_test_back(tmp_path: Path) -> None:
    code = 'import torch\n\ndef run(x):\n    if x.device.type == "cuda":\n        print("cuda")\n'
    path = write(tmp_path, "mod.py", code)
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert 'if x.device.type == "npu":\n        print("cuda")\n' in path.read_text(encoding="utf-8")


# colossalai booster/accelerator.py: the comparison fixed alone let "npu" into the CUDA
# branch while the table still rejected it
DEVICE_TABLE = (
    '_supported_devices = ["cpu", "cuda"]\n\n\n'
    "def check(device):\n"
    "    assert device in _supported_devices\n"
    '    return device == "cuda"\n'
)


def test_a_comparison_is_fixed_only_with_the_device_table_of_its_module(tmp_path: Path) -> None:
    assert _fixed_only_unsafely(tmp_path, DEVICE_TABLE) == [(1, False, True), (6, False, True)]


ACCELERATOR = "import torch\n\ndef sync():\n    torch.cuda.synchronize()\n"


def test_the_cuda_module_beside_other_devices_modules_is_kept(tmp_path: Path) -> None:
    """lightning accelerators/cuda.py beside mps.py and xla.py; colossalai
    accelerator/cuda_accelerator.py beside npu_accelerator.py."""
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/accelerators/__init__.py", "")
    write(tmp_path, "pkg/accelerators/mps.py", "import torch\n")
    cuda = write(tmp_path, "pkg/accelerators/cuda.py", ACCELERATOR)
    plain = write(tmp_path, "pkg/utils/cuda.py", ACCELERATOR)
    write(tmp_path, "pkg/utils/__init__.py", "")
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert cuda.read_text(encoding="utf-8") == ACCELERATOR
    assert "torch.npu.synchronize()" in plain.read_text(encoding="utf-8")
    (finding,) = check_json(".", cwd=tmp_path)[1]["findings"]
    assert (finding["path"], finding["kept_cuda"]) == ("pkg/accelerators/cuda.py", "cuda-module")
