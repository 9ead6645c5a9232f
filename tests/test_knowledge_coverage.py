"""Coverage derivation on small synthetic YAML and Markdown (no wheel, no network)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

from knowledge_builder.ascend_docs import parse_markdown
from knowledge_builder.coverage import derive_coverage, in_scope
from knowledge_builder.derive import dumps
from knowledge_builder.kernels import NPU_YAMLS, TORCH_YAML
from knowledge_builder.wheel import WheelReader
from portcheck.knowledge import known_targets

NATIVE = """
- func: lgamma.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)
  structured: True
  dispatch:
    CPU, CUDA: lgamma_out
- func: lgamma(Tensor self) -> Tensor
  structured_delegate: lgamma.out
  variants: method, function
- func: matmul(Tensor self, Tensor other) -> Tensor
  variants: function, method
  dispatch:
    CompositeImplicitAutograd: matmul
- func: isin.Tensor_Tensor(Tensor elements, Tensor test_elements) -> Tensor
  variants: function
  structured_delegate: isin.Tensor_Tensor_out
- func: isin.Tensor_Tensor_out(Tensor elements, *, Tensor(a!) out) -> Tensor(a!)
  dispatch:
    CPU, CUDA: isin_out
- func: linalg_eig(Tensor self) -> (Tensor eigenvalues, Tensor eigenvectors)
  python_module: linalg
  dispatch:
    CPU, CUDA: linalg_eig
- func: std_mean(Tensor self) -> (Tensor, Tensor)
  dispatch:
    CPU, CUDA: std_mean
- func: poisson(Tensor self, Generator? generator=None) -> Tensor
  dispatch:
    CPU: _s_poisson_cpu
    CUDA: _s_poisson_cuda
- func: cpu_only(Tensor self) -> Tensor
  dispatch:
    CPU: cpu_only
"""

NPU = """
backend: NPU
supported:
  - func: isin.Tensor_Tensor(Tensor elements, Tensor test_elements) -> Tensor
  - std_mean
custom:
  - func: npu_thing(Tensor self) -> Tensor
"""

OK, NO = "✔", "✘"


def _entry(name: str, a2: str, a3: str, dt: str, note: str = "") -> str:
    rows = [("Atlas A2 训练系列产品", a2), ("Atlas A3 训练系列产品", a3), ("Ascend 950DT", dt)]
    table = "\n".join(f"| <term>{p}</term> | {m} |" for p, m in rows)
    link = f"**原生文档**：[{name}](https://pytorch.org/docs/{name}.html)"
    head = "**支持情况**：\n\n| 硬件 | 是否支持 |\n| ---- | :----: |"
    return f"### {name}\n\n{link}\n\n{head}\n{table}\n{note}\n"


TORCH_MD = "\n".join(
    [
        "# torch\n",
        _entry("torch.std_mean", NO, NO, NO),
        _entry("torch.poisson", NO, NO, OK),
        _entry("torch.matmul", OK, OK, NO),
        _entry("torch.isin", OK, OK, OK, "**限制与说明**： 可能回退至CPU执行"),
        _entry("torch.nn.RNN", NO, NO, NO),
        _entry("torch.nn.RNN.forward", NO, NO, NO),
    ]
)
STORAGE_MD = (
    "### <code><i>class</i></code> torch.UntypedStorage\n\n"
    '> <font size="3">float8_e4m3fn()</font>\n\n'
    "| <term>Atlas A2 训练系列产品</term> | ✘ |\n| <term>Ascend 950DT</term> | &#10004; |\n"
)


def _inputs(tmp_path: Path) -> tuple[WheelReader, WheelReader, Path]:
    torch_dir, npu_dir = tmp_path / "torch", tmp_path / "npu"
    for root, member, text in (
        (torch_dir, TORCH_YAML, NATIVE),
        (torch_dir, "torch/nn/functional.py", "def embedding_bag():\n    pass\n"),
        (npu_dir, NPU_YAMLS[0], NPU),
    ):
        (root / member).parent.mkdir(parents=True, exist_ok=True)
        (root / member).write_text(text, encoding="utf-8")
    docs = tmp_path / "docs" / "pytorch_2-13-0"
    docs.mkdir(parents=True)
    (docs / "torch.md").write_text(TORCH_MD, encoding="utf-8")
    (docs / "torch-Storage.md").write_text(STORAGE_MD, encoding="utf-8")
    return WheelReader(torch_dir, "torch T wheel"), WheelReader(npu_dir, "torch_npu N wheel"), docs


def _derive(tmp_path: Path) -> dict[str, object]:
    torch, npu, docs = _inputs(tmp_path)
    return derive_coverage(torch, npu, docs.parent, "a" * 40, "2.14.0", {})


def _chips(document: dict[str, object], api: str) -> dict[str, str]:
    fact = next((f for f in document["apis"] if f["api"] == api), None)  # type: ignore[union-attr]
    return {chip: v["reason"] for chip, v in fact["chips"].items()} if fact else {}


def test_markdown_verdicts_per_chip_and_cpu_fallback():
    entries = {e.api: e for e in parse_markdown(TORCH_MD + STORAGE_MD, "torch.md")}
    assert dict(entries["torch.poisson"].support) == {
        "atlas-a2": False,
        "atlas-a3": False,
        "950dt": True,
    }
    assert entries["torch.isin"].cpu_fallback and entries["torch.isin"].restricted
    assert not entries["torch.matmul"].cpu_fallback
    storage = entries["torch.UntypedStorage.float8_e4m3fn"]
    assert dict(storage.support) == {"atlas-a2": False, "950dt": True}
    assert storage.heading == "torch.UntypedStorage > float8_e4m3fn"


def test_disagreement_rule(tmp_path):
    document = _derive(tmp_path)
    # no NPU kernel, not in the list: rewrite on every chip, 910A included
    assert set(_chips(document, "torch.lgamma").values()) == {"no-kernel"}
    assert set(_chips(document, "torch.lgamma")) == {"910a", "950dt", "atlas-a2", "atlas-a3"}
    assert _chips(document, "torch.Tensor.lgamma")["atlas-a2"] == "no-kernel"
    assert _chips(document, "torch.linalg.eig")["atlas-a2"] == "no-kernel"
    # listed ✘ with a kernel: caution; ✘ without one: rewrite; ✔ without one: caution
    assert _chips(document, "torch.std_mean")["atlas-a2"] == "listed-unsupported-kernel"
    assert _chips(document, "torch.poisson") == {
        "910a": "no-kernel",
        "atlas-a2": "listed-unsupported",
        "atlas-a3": "listed-unsupported",
        "950dt": "listed-no-kernel",
    }
    # composite and ✔: nothing, except where the list says ✘ (950DT)
    assert _chips(document, "torch.matmul") == {"950dt": "listed-unsupported"}
    # a kernel and ✔, but the list warns of a CPU fallback
    assert _chips(document, "torch.isin") == {
        "atlas-a2": "cpu-fallback",
        "atlas-a3": "cpu-fallback",
        "950dt": "cpu-fallback",
    }
    assert _chips(document, "torch.nn.RNN")["atlas-a2"] == "listed-unsupported"
    assert _chips(document, "torch.nn.RNN.forward") == {}  # a member: out of scope
    assert _chips(document, "torch.cpu_only") == {}  # no CUDA kernel either: not a port issue


def test_categories_and_evidence(tmp_path):
    document = _derive(tmp_path)
    fact = next(f for f in document["apis"] if f["api"] == "torch.poisson")
    assert fact["chips"]["atlas-a2"]["category"] == "rewrite"
    assert fact["chips"]["950dt"]["category"] == "caution"
    assert "Ascend/pytorch@aaaaaaaaaaaa" in fact["evidence"]
    assert "pytorch_2-13-0/torch.md § torch.poisson" in fact["evidence"]
    assert TORCH_YAML in fact["evidence"] and NPU_YAMLS[0] in fact["evidence"]
    (fp8,) = document["dtypes"]
    assert fp8["dtype"] == "torch.float8_e4m3fn"
    assert fp8["chips"] == {"atlas-a2": {"category": "blocker", "reason": "dtype-unsupported"}}
    assert document["inputs"]["docs"]["commit"] == "a" * 40


def test_byte_reproducible(tmp_path):
    first = dumps(_derive(tmp_path / "one"))
    second = dumps(_derive(tmp_path / "two"))
    assert first == second
    assert json.loads(first)["summary"]["atlas-a2 no-kernel"] >= 3


def test_scope():
    assert in_scope("torch.linalg.eig") and in_scope("torch.nn.Linear")
    assert in_scope("torch.Tensor.lgamma") and in_scope("torch.nn.functional.pdist")
    assert not in_scope("torch.nn.init") and not in_scope("torch.optim.Adam.step")
    assert not in_scope("torch.export.ExportedProgram.module")
    assert not in_scope("torch._scaled_mm") and not in_scope("numpy.float64")


def test_explain_shows_coverage_per_chip_and_release():
    result = run_cli("explain", "torch.linalg.eig")
    assert result.exit_code == 0
    everywhere = "atlas-a2, atlas-a3, 950dt, 910a: rewrite (no-kernel)"
    assert f"coverage on torch_npu==2.14.0, {everywhere}" in result.stdout
    assert "npu_native_functions_by_codegen.yaml" in result.stdout
    assert f"coverage on torch_npu==2.1.0.post17, {everywhere}" in result.stdout
    assert "torch 2.1.0 wheel: torchgen/packaged/ATen" in result.stdout
    assert "coverage on torch_npu==2.1.0.post17: kernel comparison only" in result.stdout
    assert "coverage on torch_npu==2.14.0: kernel comparison only" not in result.stdout
    bag = run_cli("explain", "torch.nn.functional.embedding_bag").stdout
    assert "atlas-a2, atlas-a3, 950dt: rewrite (listed-unsupported)" in bag
    assert "Ascend/pytorch@9e73e708ab93: docs/zh/api/native_api/pytorch_2-13-0/" in bag
    assert run_cli("explain", "torch.fft.rfft").exit_code == 2  # composite, listed ✔: no fact


def test_explain_shows_behaviour_per_release_and_chip():
    """get_device_capability: rewrite on every bundled release, each with its wheel line;
    the CUDA graph APIs: caution from Ascend's list, unverified where no list covers the
    release."""
    text = run_cli("explain", "torch.cuda.get_device_capability").stdout
    assert "auto" not in text
    for target in known_targets():
        version = target.split("==")[1]
        assert f"evidence ({target}): torch_npu {version} wheel: torch_npu/npu/" in text
    assert text.count("  rewrite -> torch.npu.get_device_capability") == len(known_targets())
    assert "__init__.py:600 returns None unless TORCH_NPU_DEVICE_CAPABILITY is set" in text
    assert "chips: atlas-a2, atlas-a3, 950dt, 910a" in text
    graph = run_cli("explain", "torch.cuda.CUDAGraph").stdout
    assert "torch_npu==2.9.1, torch_npu==2.14.0:\n  caution -> torch.npu.NPUGraph" in graph
    assert "pytorch_2-13-0/torch-cuda.md § class torch.cuda.CUDAGraph (restriction" in graph
    assert "UNVERIFIED" in graph.partition("torch_npu==2.9.1, ")[0]
    assert "UNVERIFIED" not in graph.partition("torch_npu==2.9.1, ")[2]
