"""A project on the LLM stack: one finding per touchpoint, each with its Ascend alternative
and evidence; the torch pin checked against the target in both directions."""

from __future__ import annotations

from conftest import check_json, run_cli, write

LIBRARIES = {
    # import line -> (api reported by PC008, category)
    "import vllm": ("vllm", "caution"),
    "import megatron.core": ("megatron.core", "caution"),
    "import transformer_engine.pytorch as te": ("transformer_engine.pytorch", "rewrite"),
    "import flashinfer": ("flashinfer", "rewrite"),
    "import cutlass.cute as cute": ("cutlass.cute", "blocker"),
    "import deep_ep": ("deep_ep", "blocker"),
    "from liger_kernel.transformers import apply_liger_kernel_to_llama": (
        "liger_kernel.transformers.apply_liger_kernel_to_llama",
        "rewrite",
    ),
    "import auto_gptq": ("auto_gptq", "rewrite"),
    "import awq": ("awq", "rewrite"),
    "import gptqmodel": ("gptqmodel", "rewrite"),
    "from mamba_ssm import Mamba": ("mamba_ssm.Mamba", "blocker"),
    "import causal_conv1d": ("causal_conv1d", "blocker"),
    "import sglang": ("sglang", "caution"),
    "import nvtx": ("nvtx", "rewrite"),
    "import PyNvVideoCodec": ("PyNvVideoCodec", "blocker"),
    "import cudnn": ("cudnn", "blocker"),
    "import GPUtil": ("GPUtil", "rewrite"),
}
REQUIREMENTS = {
    "vllm==0.9.2": "vllm",
    "megatron-core==0.12.1": "megatron-core",
    "transformer-engine[pytorch]": "transformer-engine",
    "flashinfer-python": "flashinfer-python",
    "nvidia-cutlass-dsl": "nvidia-cutlass-dsl",
    "deep-ep": "deep-ep",
    "liger-kernel": "liger-kernel",
    "auto-gptq": "auto-gptq",
    "autoawq": "autoawq",
    "gptqmodel": "gptqmodel",
    "mamba-ssm": "mamba-ssm",
    "causal-conv1d>=1.4": "causal-conv1d",
    "sglang": "sglang",
    "nvtx": "nvtx",
    "PyNvVideoCodec": "pynvvideocodec",
    "nvidia-cudnn-frontend": "nvidia-cudnn-frontend",
    "GPUtil": "gputil",
}
ENV = {
    "TORCH_NCCL_ASYNC_ERROR_HANDLING": "HCCL_ASYNC_ERROR_HANDLING",
    "TORCH_NCCL_BLOCKING_WAIT": "HCCL_BLOCKING_WAIT",
    "TORCH_CUDA_ARCH_LIST": None,
    "TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC": "TORCH_HCCL_HEARTBEAT_TIMEOUT_SEC",
    "NCCL_IB_TIMEOUT": None,
}


def _project(root):
    code = "\n".join(LIBRARIES) + "\nimport os\nimport subprocess\n"
    code += "".join(f'os.environ["{name}"] = "1"\n' for name in ENV)
    code += 'subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv"])\n'
    write(root, "app.py", code)
    write(root, "requirements.txt", "torch==2.3.1\n" + "\n".join(REQUIREMENTS) + "\n")
    write(
        root,
        "setup.py",
        'from setuptools import setup\nsetup(name="x", install_requires=["torch==2.3.1"])\n',
    )


def test_one_finding_per_touchpoint_with_alternative_and_evidence(tmp_path):
    _project(tmp_path)
    _, report = check_json(".", "--select", "PC005,PC008,PC009,PC020,PC021,PC022", cwd=tmp_path)
    findings = report["findings"]
    assert all(f["evidence"] for f in findings)
    by_line = {}
    for finding in findings:
        by_line.setdefault((finding["path"], finding["line"]), []).append(finding)
    assert all(len(group) == 1 for group in by_line.values()), by_line
    for line, (api, category) in enumerate(LIBRARIES.values(), start=1):
        [finding] = by_line[("app.py", line)]
        assert (finding["rule"], finding["api"], finding["category"]) == ("PC008", api, category)
    env_start = len(LIBRARIES) + 3
    for offset, (name, replacement) in enumerate(ENV.items()):
        [finding] = by_line[("app.py", env_start + offset)]
        assert (finding["rule"], finding["api"]) == ("PC005", name)
        assert (replacement is None) == (f"`{replacement}`" not in finding["message"])
    [smi] = by_line[("app.py", env_start + len(ENV))]
    assert (smi["rule"], smi["api"]) == ("PC021", "nvidia-smi") and "npu-smi" in smi["message"]
    for line, distribution in enumerate(REQUIREMENTS.values(), start=2):
        [finding] = by_line[("requirements.txt", line)]
        assert (finding["rule"], finding["api"]) == ("PC009", distribution)
    [pin] = by_line[("requirements.txt", 1)]
    assert (
        pin["rule"] == "PC020"
        and "torch_npu release for this pin is 2.3.1.post6" in (pin["message"])
    )
    assert "METADATA" in pin["evidence"]
    [setup_pin] = by_line[("setup.py", 2)]
    assert setup_pin["rule"] == "PC022"


def test_torch_pin_in_both_directions(tmp_path):
    write(tmp_path, "requirements.txt", "torch==2.3.1\n")
    _, old_target = check_json(".", "--select", "PC020", "--target", "2.3.1.post6", cwd=tmp_path)
    assert old_target["findings"] == []
    _, new_target = check_json(".", "--select", "PC020", "--target", "2.14.0", cwd=tmp_path)
    [finding] = new_target["findings"]
    assert "cannot run with torch_npu 2.14.0" in finding["message"]
    assert "2.3.1.post6" in finding["message"] and finding["category"] == "rewrite"
    write(tmp_path, "requirements.txt", "torch==2.14.0\n")
    _, matching = check_json(".", "--select", "PC020", "--target", "2.14.0", cwd=tmp_path)
    assert matching["findings"] == []
    _, older = check_json(".", "--select", "PC020", "--target", "2.1.0.post17", cwd=tmp_path)
    [finding] = older["findings"]
    assert "the torch_npu release for this pin is 2.14.0" in finding["message"]
    write(tmp_path, "requirements.txt", "torch==2.2.1\n")
    _, none = check_json(".", "--select", "PC020", cwd=tmp_path)
    [finding] = none["findings"]
    assert finding["category"] == "blocker" and "no torch_npu release" in finding["message"]


def test_explain_packages_and_env_vars():
    flashinfer = run_cli("explain", "flashinfer")
    assert flashinfer.exit_code == 0
    assert "torch_npu.npu_fused_infer_attention_score" in flashinfer.stdout
    assert "distribution flashinfer-python: rewrite" in flashinfer.stdout
    blocking = run_cli("explain", "TORCH_NCCL_BLOCKING_WAIT")
    assert blocking.exit_code == 0 and "HCCL_BLOCKING_WAIT" in blocking.stdout
    assert "libtorch_npu.so" in blocking.stdout
