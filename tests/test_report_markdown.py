"""The Markdown summary: rendered by a real CommonMark/GFM parser, short enough for a PR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, check_json, run_cli
from markdown_it import MarkdownIt
from report_pages import Page, read_page

from portcheck.model import Finding

EXAMPLE = FIXTURES / "example_repo"
GITHUB_COMMENT_LIMIT = 65536


def render_markdown(text: str) -> Page:
    """As GitHub would: GFM tables, raw HTML allowed (so escaping is what keeps it safe)."""
    return read_page(MarkdownIt("commonmark", {"html": True}).enable("table").render(text))


@pytest.fixture(scope="module")
def example() -> tuple[str, dict[str, Any]]:
    _, report = check_json(".", cwd=EXAMPLE)
    result = run_cli("report", ".", "--format", "markdown", cwd=EXAMPLE)
    assert result.exit_code == 0
    return result.stdout, report


def test_summary_leads_with_the_gate_score(example: tuple[str, dict[str, Any]]) -> None:
    text, report = example
    first_line = text.splitlines()[0]
    assert first_line == f"## Ascend readiness: **{report['score']:g}/100**"
    assert f"{report['scores']['per_occurrence']:g}/100 per occurrence" in text


def test_summary_renders_tables_for_effort_blockers_and_directories(
    example: tuple[str, dict[str, Any]],
) -> None:
    text, report = example
    page = render_markdown(text)
    assert sum(1 for tag, _ in page.elements if tag == "table") == 5
    for bucket in report["effort"]:
        assert f"{bucket['label']} {bucket['findings']}" in page.text
    assert "cuda-source 2 57 kernels/fused_softmax.cu:1" in page.text
    assert "utils/" in page.text
    assert "flash-attn rewrite torch_npu.npu_fusion_attention" in page.text
    assert "cupy-cuda12x blocker none known" in page.text


def test_summary_of_a_huge_audit_fits_in_a_pull_request_comment(tmp_path: Path) -> None:
    _, report = check_json(".", cwd=EXAMPLE)
    template = report["findings"][0]
    findings = [
        Finding.from_json(
            {
                **template,
                "path": f"pkg{index % 300}/module{index}.py",
                "api": f"vendor{index}.kernel",
                "category": "blocker",
            }
        ).to_json()
        for index in range(20000)
    ]
    big = tmp_path / "big.json"
    big.write_text(json.dumps({**report, "findings": findings}), encoding="utf-8")

    result = run_cli("merge", str(big), "--format", "markdown")

    assert result.exit_code == 0
    assert len(result.stdout) < GITHUB_COMMENT_LIMIT
    assert "more blocking APIs in the full report" in result.stdout
