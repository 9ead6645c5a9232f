"""The JSON report is a contract other tools read: its names and types must not drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import check_json, run_cli, write

FINDING_FIELDS = {
    "path": str,
    "line": int,
    "column": int,
    "end_line": int,
    "end_column": int,
    "rule": str,
    "api": str,
    "category": str,
    "message": str,
    "fixable": bool,
    "evidence": str,
}


def test_report_has_the_documented_top_level_fields(tmp_path: Path) -> None:
    write(tmp_path, "pkg/train.py", "import torch\ntorch.cuda.synchronize()\n")
    code, report = check_json(".", cwd=tmp_path)
    assert code == 1
    assert {"version", "target", "score", "summary", "findings", "diagnostics"} <= set(report)
    assert report["target"] == "torch_npu==2.14.0"
    assert 0 <= report["score"] < 100
    assert report["summary"]["findings"] == 1


def test_finding_fields_and_positions_are_one_based(tmp_path: Path) -> None:
    write(tmp_path, "pkg/train.py", "import torch\n\nx = torch.cuda.synchronize()\n")
    _, report = check_json(".", cwd=tmp_path)
    (finding,) = report["findings"]
    for name, kind in FINDING_FIELDS.items():
        assert isinstance(finding[name], kind), name
    assert "suggestion" in finding
    assert finding["path"] == "pkg/train.py"
    assert (finding["line"], finding["column"]) == (3, 5)
    assert (finding["end_line"], finding["end_column"]) == (3, 27)
    assert finding["api"] == "torch.cuda.synchronize"
    assert finding["category"] in {"auto", "rewrite", "blocker", "caution"}
    assert finding["evidence"]


def test_clean_code_exits_zero_with_full_score(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", "import torch\nx = torch.ones(2, device='cpu')\n")
    code, report = check_json(".", cwd=tmp_path)
    assert code == 0
    assert report["score"] == 100.0
    assert report["findings"] == []


def test_exit_zero_reports_but_passes(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\ntorch.cuda.synchronize()\n")
    result = run_cli("check", "--exit-zero", ".", cwd=tmp_path)
    assert result.exit_code == 0
    assert "PC001" in result.stdout


def test_unknown_target_is_a_usage_error_listing_known_ones(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "x = 1\n")
    result = run_cli("check", "--target", "torch_npu==9.9", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "torch_npu==2.14.0" in result.stderr
    assert "torch_npu==2.1.0.post17" in result.stderr


def test_unknown_rule_in_select_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", "--select", "XX999", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "XX999" in result.stderr


def test_target_changes_the_classification(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\ns = torch.cuda.ExternalStream(0)\n")
    _, new = check_json("--target", "torch_npu==2.14.0", ".", cwd=tmp_path)
    _, old = check_json("--target", "torch_npu==2.1.0.post17", ".", cwd=tmp_path)
    assert new["findings"][0]["category"] == "auto"
    assert old["findings"][0]["category"] != "auto"
    assert old["target"] == "torch_npu==2.1.0.post17"


def test_rules_command_lists_every_rule() -> None:
    result = run_cli("rules")
    assert result.exit_code == 0
    for rule_id in ("PC001", "PC003", "PC007", "PC010"):
        assert rule_id in result.stdout


def test_explain_shows_category_replacement_and_evidence() -> None:
    result = run_cli("explain", "torch.cuda.synchronize")
    assert result.exit_code == 0
    assert "torch.npu.synchronize" in result.stdout
    assert "auto" in result.stdout


def test_explain_unknown_name_exits_two() -> None:
    result = run_cli("explain", "torch.cuda.not_a_real_name_at_all")
    assert result.exit_code == 2
    assert "did you mean" not in result.stderr


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("torch.cuda.synchronise", "did you mean torch.cuda.synchronize?"),
        ("CUDA_VISIBLE_DEVICE", "did you mean CUDA_VISIBLE_DEVICES?"),
        ("flash_atn", "did you mean flash_attn or flash-attn?"),
    ],
)
def test_explain_suggests_near_names_for_an_unknown_one(typed: str, meant: str) -> None:
    result = run_cli("explain", typed)
    assert result.exit_code == 2
    assert f"{typed}: not in the knowledge base ({meant})" in result.stderr
