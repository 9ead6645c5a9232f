"""The real CLI on fixtures/coverage_project: operator, dtype and chip coverage and what
torch_npu really does, with the issue's done-when cases."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, check_json, run_cli

from portcheck.knowledge import known_targets

PROJECT = "fixtures/coverage_project"

EXPECTED = [
    ("ops.py", 10, "PC012", "torch.linalg.eig", "rewrite"),
    ("ops.py", 18, "PC012", "torch.nn.functional.embedding_bag", "rewrite"),
    ("ops.py", 22, "PC012", "torch.lgamma", "rewrite"),
    ("ops.py", 22, "PC012", "torch.Tensor.digamma", "rewrite"),
    ("ops.py", 27, "PC012", "torch.std_mean", "caution"),
    ("ops.py", 30, "PC012", "torch.nn.RNN", "rewrite"),
    ("dtypes.py", 8, "PC013", "torch.float8_e4m3fn", "blocker"),
    ("dtypes.py", 9, "PC013", "torch.float64", "caution"),
    ("dtypes.py", 10, "PC013", "torch.float64", "caution"),
    ("dtypes.py", 14, "PC013", "torch.uint64", "caution"),
    ("runtime.py", 8, "PC001", "torch.cuda.get_device_capability", "rewrite"),
    ("runtime.py", 9, "PC001", "torch.backends.cuda.enable_flash_sdp", "caution"),
    ("runtime.py", 10, "PC014", "multiprocessing.set_start_method", "rewrite"),
    ("runtime.py", 11, "PC015", "torch.version.cuda", "caution"),
    ("runtime.py", 12, "PC016", "torch.distributed.ProcessGroupNCCL", "rewrite"),
]
NO_FINDING = [
    ("ops.py", 11),  # torch.fft.rfft
    ("ops.py", 12),  # torch.isin
    ("ops.py", 13),  # torch.matmul
    ("ops.py", 26),  # x.mode(): ambiguous method name
    ("dtypes.py", 11),  # float64 explicitly on the CPU
    ("dtypes.py", 12),  # numpy float64
    ("dtypes.py", 13),  # bf16 on the Atlas A2
]


def _found(document: dict[str, Any]) -> set[tuple[str, int, str, str, str]]:
    prefix = f"{PROJECT}/"
    return {
        (f["path"].removeprefix(prefix), f["line"], f["rule"], f["api"], f["category"])
        for f in document["findings"]
    }


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    _, document = check_json("--no-cache", PROJECT, cwd=REPO)
    return document


def test_every_case_is_found_once_with_its_category(report: dict[str, Any]) -> None:
    assert _found(report) == set(EXPECTED)
    assert len(report["findings"]) == len(EXPECTED)
    assert report["chip"] == "atlas-a2"


@pytest.mark.parametrize(("path", "line"), NO_FINDING)
def test_lines_that_run_on_the_npu_have_no_finding(
    report: dict[str, Any], path: str, line: int
) -> None:
    assert not [f for f in _found(report) if f[0] == path and f[1] == line]


def test_every_finding_carries_evidence(report: dict[str, Any]) -> None:
    for finding in report["findings"]:
        assert finding["evidence"], finding


def test_bf16_is_a_finding_on_the_910a_only() -> None:
    _, document = check_json("--no-cache", "--chip", "910a", PROJECT, cwd=REPO)
    assert ("dtypes.py", 13, "PC013", "torch.bfloat16", "caution") in _found(document)
    # Ascend's list has no 910A column: FP8 and uint64 are not claimed there
    assert not {f for f in _found(document) if f[3] in ("torch.float8_e4m3fn", "torch.uint64")}


def test_fix_leaves_behaviour_findings_alone(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(REPO / PROJECT, copy)
    before = (copy / "runtime.py").read_text(encoding="utf-8")
    run_cli("check", "--no-cache", "--fix", ".", cwd=copy)
    assert (copy / "runtime.py").read_text(encoding="utf-8") == before


@pytest.mark.parametrize("target", known_targets())
def test_same_name_behaviour_is_never_auto_nor_fixed_on_any_release(
    tmp_path: Path, target: str
) -> None:
    """Every release's wheel returns None from get_device_capability (2.9.1 on: unless
    TORCH_NPU_DEVICE_CAPABILITY is set) and only sets a flag in enable_flash_sdp; no
    release has ProcessGroupNCCL (2.9.1 on: transfer_to_npu rebinds it to HCCL's)."""
    copy = tmp_path / "project"
    shutil.copytree(REPO / PROJECT, copy)
    before = (copy / "runtime.py").read_text(encoding="utf-8")
    _, document = check_json("--no-cache", "--target", target, "runtime.py", cwd=copy)
    found = {(f["api"], f["category"], f["fixable"]) for f in document["findings"]}
    assert ("torch.cuda.get_device_capability", "rewrite", False) in found
    assert ("torch.backends.cuda.enable_flash_sdp", "caution", False) in found
    assert ("torch.distributed.ProcessGroupNCCL", "rewrite", False) in found
    run_cli("check", "--no-cache", "--fix", "--target", target, ".", cwd=copy)
    assert (copy / "runtime.py").read_text(encoding="utf-8") == before


def test_markdown_report_groups_the_findings_beyond_cuda_names() -> None:
    result = run_cli("report", "--no-cache", "--format", "markdown", PROJECT, cwd=REPO)
    text = result.stdout
    assert "### What runs on `atlas-a2`" in text
    needs, runs = text.index("**Needs work**"), text.index("**Runs, but not as on CUDA**")
    assert needs < text.index("`torch.linalg.eig`") < runs < text.index("`torch.uint64`")


def test_html_report_groups_the_findings_beyond_cuda_names() -> None:
    result = run_cli("report", "--no-cache", "--format", "html", PROJECT, cwd=REPO)
    assert 'id="beyond-names"' in result.stdout
    assert "Runs, but not as on CUDA" in result.stdout
