"""``portcheck check --fix`` / ``--diff`` / ``--unsafe-fixes`` through the real CLI."""

from __future__ import annotations

import difflib
import os
import shutil
import stat
from pathlib import Path

import libcst as cst
import pytest
from conftest import FIXTURES, check_json, run_cli, write

FIXABLE_TRAIN = """\
import os
import torch

os.environ["CUDA_VISIBLE_DEVICES"] = "0"  # pin one card


def step(x):
    torch.cuda.synchronize()
    return x.cuda(non_blocking=True)
"""


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    root = tmp_path / "example_repo"
    shutil.copytree(FIXTURES / "example_repo", root)
    return root


def test_fix_changes_only_lines_with_fixable_findings(example_repo: Path) -> None:
    _, before = check_json(".", cwd=example_repo)
    fixable_lines = {
        (finding["path"], line)
        for finding in before["findings"]
        if finding["fixable"]
        for line in range(finding["line"], finding["end_line"] + 1)
    }
    originals = _snapshot(example_repo)
    run_cli("check", "--fix", ".", cwd=example_repo)
    for path, old in originals.items():
        new = (example_repo / path).read_bytes()
        old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
        matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
        for tag, a1, a2, b1, b2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            changed = {(path, number + 1) for number in range(a1, a2)}
            assert changed <= fixable_lines, f"{path}: lines {a1 + 1}-{a2} had no fixable finding"
            inserted = new_lines[b1:b2][len(changed) :]
            assert all(line == b"import torch_npu  # noqa: F401\n" for line in inserted), inserted


def test_fix_leaves_no_fixable_finding_and_every_file_parses(example_repo: Path) -> None:
    result = run_cli("check", "--fix", ".", cwd=example_repo)
    assert "fixed, " in result.stdout
    _, after = check_json(".", cwd=example_repo)
    assert [f for f in after["findings"] if f["fixable"] or f["category"] == "auto"] == []
    for path in example_repo.rglob("*.py"):
        cst.parse_module(path.read_text(encoding="utf-8"))
    train = (example_repo / "train.py").read_text(encoding="utf-8")
    assert "import torch_npu.npu as tc\n" in train  # imports torch_npu: no second import
    assert "import torch_npu  # noqa: F401\n" not in train


def test_second_fix_changes_nothing(example_repo: Path) -> None:
    run_cli("check", "--fix", ".", cwd=example_repo)
    once = _snapshot(example_repo)
    result = run_cli("check", "--fix", ".", cwd=example_repo)
    assert _snapshot(example_repo) == once
    assert "0 fixed, " in result.stdout
    assert run_cli("check", "--diff", ".", cwd=example_repo).exit_code == 0


def test_summary_counts_fixed_and_remaining(tmp_path: Path) -> None:
    write(tmp_path, "train.py", FIXABLE_TRAIN)
    result = run_cli("check", "--fix", ".", cwd=tmp_path)
    assert "3 fixed, 0 remaining" in result.stdout
    assert result.exit_code == 0
    code, report = check_json("--fix", ".", cwd=tmp_path)
    assert code == 0
    assert report["summary"]["fixed"] == 0
    assert report["findings"] == []


def test_fix_rewrites_in_place_and_keeps_comments(tmp_path: Path) -> None:
    path = write(tmp_path, "train.py", FIXABLE_TRAIN)
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == (
        "import os\n"
        "import torch\n"
        "import torch_npu  # noqa: F401\n"
        "\n"
        'os.environ["ASCEND_RT_VISIBLE_DEVICES"] = "0"  # pin one card\n'
        "\n"
        "\n"
        "def step(x):\n"
        "    torch.npu.synchronize()\n"
        "    return x.npu(non_blocking=True)\n"
    )


def test_diff_prints_a_patch_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "train.py", FIXABLE_TRAIN)
    result = run_cli("check", "--diff", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert path.read_text(encoding="utf-8") == FIXABLE_TRAIN
    assert result.stdout.startswith("--- a/train.py\n+++ b/train.py\n")
    assert "\n-    torch.cuda.synchronize()\n" in result.stdout
    assert "\n+    torch.npu.synchronize()\n" in result.stdout
    assert "+import torch_npu  # noqa: F401\n" in result.stdout
    assert "Would fix 3 findings in 1 file" in result.stderr


def test_diff_exits_zero_when_there_is_nothing_to_fix(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", "import torch\nx = torch.ones(2)\n")
    result = run_cli("check", "--diff", ".", cwd=tmp_path)
    assert (result.exit_code, result.stdout) == (0, "")


def test_unsafe_fix_needs_its_flag(tmp_path: Path) -> None:
    source = 'import torch\nBACKENDS = ["cpu", "cuda"]\n'
    path = write(tmp_path, "config.py", source)
    code, report = check_json("--fix", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == source
    assert [f["unsafe_fix"] for f in report["findings"]] == [True]
    run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    expected = 'import torch\nimport torch_npu  # noqa: F401\nBACKENDS = ["cpu", "npu"]\n'
    assert path.read_text(encoding="utf-8") == expected


def test_unsafe_fixes_alone_is_a_usage_error(tmp_path: Path) -> None:
    assert run_cli("check", "--unsafe-fixes", ".", cwd=tmp_path).exit_code == 2


def test_file_with_syntax_error_is_never_touched(tmp_path: Path) -> None:
    source = "import torch\ntorch.cuda.synchronize(\n"
    path = write(tmp_path, "broken.py", source)
    write(tmp_path, "good.py", FIXABLE_TRAIN)
    code, report = check_json("--fix", ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == source
    assert [d["code"] for d in report["diagnostics"]] == ["parse-error"]
    assert "torch_npu" in (tmp_path / "good.py").read_text(encoding="utf-8")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_read_only_file_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    locked = write(tmp_path, "a_locked.py", FIXABLE_TRAIN)
    locked.chmod(0o444)
    other = write(tmp_path, "b_other.py", FIXABLE_TRAIN)
    code, report = check_json("--fix", ".", cwd=tmp_path)
    assert locked.read_text(encoding="utf-8") == FIXABLE_TRAIN
    assert "torch.npu.synchronize" in other.read_text(encoding="utf-8")
    assert [(d["path"], d["code"]) for d in report["diagnostics"]] == [
        ("a_locked.py", "write-error")
    ]
    assert report["summary"]["fixed"] == 3
    assert {f["path"] for f in report["findings"]} == {"a_locked.py"}
    assert code == 1


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_fix_keeps_the_file_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = write(tmp_path, "run.py", "#!/usr/bin/env python\n" + FIXABLE_TRAIN)
    path.chmod(0o751)
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.py"]


def test_fix_keeps_crlf_line_endings_and_the_byte_order_mark(tmp_path: Path) -> None:
    source = "\ufeffimport torch\r\n\r\ntorch.cuda.synchronize()  # sync\r\n"
    path = write(tmp_path, "win.py", source.encode("utf-8"))
    run_cli("check", "--fix", ".", cwd=tmp_path)
    expected = (
        "\ufeffimport torch\r\nimport torch_npu  # noqa: F401\r\n\r\n"
        "torch.npu.synchronize()  # sync\r\n"
    )
    assert path.read_bytes() == expected.encode("utf-8")


def test_fix_keeps_a_legacy_source_encoding(tmp_path: Path) -> None:
    source = '# -*- coding: latin-1 -*-\nimport torch\nNAME = "café"\nx = torch.ones(1).cuda()\n'
    path = write(tmp_path, "legacy.py", source.encode("latin-1"))
    run_cli("check", "--fix", ".", cwd=tmp_path)
    assert path.read_bytes() == source.replace(
        "import torch\n", "import torch\nimport torch_npu  # noqa: F401\n"
    ).replace(".cuda()", ".npu()").encode("latin-1")
