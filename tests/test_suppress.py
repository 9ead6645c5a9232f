"""Inline ``# portcheck: ignore`` comments: what they hide, how the hidden findings are
counted, and how a comment that hides nothing is reported (PC900, like ruff's RUF100)."""

from __future__ import annotations

from pathlib import Path

from conftest import check_json, run_cli, write


def _findings(report: dict) -> list[tuple[int, str]]:
    return [(finding["line"], finding["rule"]) for finding in report["findings"]]


def test_coded_ignore_hides_only_the_named_rule_on_its_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.py",
        "import torch\n"
        "x = torch.zeros(1).cuda(); torch.cuda.synchronize()  # portcheck: ignore[PC002]\n"
        "torch.cuda.synchronize()\n",
    )
    code, report = check_json(".", cwd=tmp_path)
    assert _findings(report) == [(2, "PC001"), (3, "PC001")]
    assert report["summary"]["suppressed"] == 1
    assert code == 1


def test_bare_ignore_hides_every_rule_on_its_line(tmp_path: Path) -> None:
    write(
        tmp_path, "a.py", "import torch\nx = torch.zeros(1).cuda('cuda:0')  # portcheck: ignore\n"
    )
    code, report = check_json(".", cwd=tmp_path)
    assert report["findings"] == []
    assert report["summary"]["suppressed"] >= 1
    assert code == 0


def test_comment_goes_where_the_finding_starts_in_a_multiline_call(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.py",
        "import torch\ntorch.cuda.set_device(  # portcheck: ignore[PC001]\n    0,\n)\n"
        "torch.cuda.set_device(\n    0,\n)  # portcheck: ignore[PC001]\n",
    )
    _, report = check_json(".", cwd=tmp_path)
    assert _findings(report) == [(5, "PC001"), (7, "PC900")]


def test_ignore_file_at_the_top_hides_the_whole_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.py",
        "#!/usr/bin/env python\n# portcheck: ignore-file[PC001]\n"
        "import torch\ntorch.cuda.synchronize()\nx = torch.zeros(1).cuda()\n",
    )
    _, report = check_json(".", cwd=tmp_path)
    assert _findings(report) == [(5, "PC002")]
    assert report["summary"]["suppressed"] == 1


def test_ignore_file_below_code_is_reported_not_obeyed(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\n# portcheck: ignore-file\ntorch.cuda.synchronize()\n")
    _, report = check_json(".", cwd=tmp_path)
    assert _findings(report) == [(2, "PC900"), (3, "PC001")]
    assert "top of a file" in report["findings"][0]["message"]


def test_unused_suppression_is_reported_as_pc900(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\nx = 1  # portcheck: ignore[PC001]\n")
    code, report = check_json(".", cwd=tmp_path)
    assert _findings(report) == [(2, "PC900")]
    finding = report["findings"][0]
    assert finding["column"] == 10
    assert "`PC001` matches no finding on this line" in finding["message"]
    assert code == 1


def test_unused_suppression_can_be_ignored_like_any_rule(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "x = 1  # portcheck: ignore[PC001]\n")
    code, report = check_json("--ignore", "PC900", ".", cwd=tmp_path)
    assert report["findings"] == []
    assert code == 0


def test_codes_of_rules_that_did_not_run_are_not_judged(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\ntorch.cuda.synchronize()  # portcheck: ignore[PC001]\n")
    _, report = check_json("--select", "PC002,PC900", ".", cwd=tmp_path)
    assert report["findings"] == []


def test_unknown_code_in_a_comment_is_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.py",
        "import torch\ntorch.cuda.synchronize()  # portcheck: ignore[PC001,PC777]\n",
    )
    _, report = check_json(".", cwd=tmp_path)
    assert _findings(report) == [(2, "PC900")]
    assert "unknown rule `PC777`" in report["findings"][0]["message"]


def test_directive_inside_a_string_is_not_a_suppression(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.py",
        'import torch\ntorch.cuda.synchronize(); s = "# portcheck: ignore"\n',
    )
    _, report = check_json(".", cwd=tmp_path)
    assert _findings(report) == [(2, "PC001")]


def test_suppressions_work_in_requirements_and_cuda_sources(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "cupy-cuda12x==13.0  # portcheck: ignore[PC009]\n")
    write(tmp_path, "kernels/k.cu", "// portcheck: ignore-file[PC007]\n__global__ void k() {}\n")
    _, report = check_json(".", cwd=tmp_path)
    assert report["findings"] == []
    assert report["summary"]["suppressed"] == 2


def test_text_summary_counts_suppressed_findings(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\ntorch.cuda.synchronize()  # portcheck: ignore\n")
    result = run_cli("check", ".", cwd=tmp_path)
    assert "Found 0 findings" in result.stdout
    assert "1 suppressed by `# portcheck: ignore`" in result.stdout
