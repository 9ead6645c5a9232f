"""`portcheck report`: one self-contained HTML page with the score, the work and where it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, check_json, run_cli, write
from report_pages import Page, read_page

EXAMPLE = FIXTURES / "example_repo"


@pytest.fixture(scope="module")
def example() -> tuple[Page, str, dict[str, Any]]:
    """The example repository's HTML audit (parsed and raw) and its JSON report."""
    _, report = check_json(".", cwd=EXAMPLE)
    result = run_cli("report", ".", cwd=EXAMPLE)
    assert result.exit_code == 0, result.output
    return read_page(result.stdout), result.stdout, report


def test_page_shows_both_scores_and_says_which_one_gates(
    example: tuple[Page, str, dict[str, Any]],
) -> None:
    page, _, report = example
    assert page.by_id["score"] == f"{report['scores']['per_api']:g}"
    assert page.by_id["score-per-occurrence"] == f"{report['scores']['per_occurrence']:g}"
    assert "per distinct API (used by the gate)" in page.text


def test_page_shows_every_effort_bucket_with_native_code_size(
    example: tuple[Page, str, dict[str, Any]],
) -> None:
    page, _, report = example
    for bucket in report["effort"]:
        card = page.by_id[f"bucket-{bucket['bucket']}"]
        assert card.startswith(f"{bucket['label']} {bucket['findings']}")
    assert page.by_id["native-lines"] == "incl. 57 lines of CUDA C++"


def test_top_blockers_come_with_their_locations(
    example: tuple[Page, str, dict[str, Any]],
) -> None:
    page, _, _ = example
    blockers = page.by_id["blockers"]
    assert blockers.index("cuda-source") < blockers.index("cupy")
    assert "kernels/fused_softmax.cu:1" in blockers
    assert "utils/gpu.py:5" in blockers


def test_directories_and_dependencies_are_listed(
    example: tuple[Page, str, dict[str, Any]],
) -> None:
    page, _, report = example
    where = page.by_id["where"]
    for area in report["breakdown"]["directories"]:
        assert f"{area['score']:g}" in where
    assert "utils/" in where and "kernels/" in where
    inventory = page.by_id["inventory"]
    assert "flash-attn rewrite torch_npu.npu_fusion_attention" in inventory
    assert "cupy-cuda12x blocker none known" in inventory
    assert "fused_softmax.cu 50" in inventory
    assert "torch.utils.cpp_extension.CUDAExtension" in inventory
    assert "triton.jit" in inventory


def test_page_is_self_contained_and_runs_nothing(
    example: tuple[Page, str, dict[str, Any]],
) -> None:
    page, raw, _ = example
    assert page.tags().isdisjoint({"script", "link", "iframe", "img", "object", "embed"})
    assert "svg" in page.tags(), "the chart is inline SVG"
    for _, attributes in page.elements:
        for name, value in attributes.items():
            assert not name.startswith("on"), name
            assert name not in ("src", "href") or not (value or "").startswith(("http", "//"))
    policy = next(a for tag, a in page.elements if a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in (policy["content"] or "")


def test_check_format_html_writes_the_same_page(
    tmp_path: Path, example: tuple[Page, str, dict[str, Any]]
) -> None:
    _, raw, _ = example
    out = tmp_path / "audit.html"
    result = run_cli("check", ".", "--format", "html", "-o", str(out), cwd=EXAMPLE)
    assert result.exit_code == 1, "check keeps its gate; `report` never fails"
    assert out.read_text(encoding="utf-8") == raw


def test_codebase_without_cuda_scores_100_with_nothing_to_do(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "import numpy as np\nprint(np.zeros(3))\n")

    result = run_cli("report", ".", cwd=tmp_path)

    page = read_page(result.stdout)
    assert result.exit_code == 0
    assert page.by_id["score"] == "100"
    assert "No CUDA touchpoint found" in page.by_id["verdict"]
    assert "No blocker" in page.by_id["blockers"]


def test_report_accepts_the_cache_options_of_check(tmp_path: Path) -> None:
    page = tmp_path / "audit.html"
    result = run_cli(
        "report", "--no-cache", "-o", str(page), str(FIXTURES / "example_repo"), cwd=tmp_path
    )
    assert result.exit_code == 0
    assert not (tmp_path / ".portcheck_cache").exists()
    assert "Ascend readiness" in page.read_text(encoding="utf-8")
