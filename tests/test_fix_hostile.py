"""``--fix`` never loses a byte and never writes where it should not: line endings libcst
does not reproduce, symlinks out of the tree, hard links and owners."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 120
PORTCHECK = [sys.executable, "-c", "from portcheck.cli import main; main()"]


def fix(cwd: Path, *paths: str) -> dict[str, object]:
    return _check_json(cwd, "--fix", *paths)


def _check_json(cwd: Path, *arguments: str) -> dict[str, object]:
    result = subprocess.run(
        [*PORTCHECK, "check", "--format", "json", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            b"import torch\rtorch.cuda.synchronize()\r",
            b"import torch\rimport torch_npu  # noqa: F401\rtorch.npu.synchronize()\r",
        ),
        (
            b"import torch\r\ntorch.cuda.synchronize()\nx = 1\r",
            b"import torch\r\nimport torch_npu  # noqa: F401\r\ntorch.npu.synchronize()\nx = 1\r",
        ),
        (
            b"import torch\rtorch.cuda.synchronize()\r\r\r",
            b"import torch\rimport torch_npu  # noqa: F401\rtorch.npu.synchronize()\r\r\r",
        ),
    ],
    ids=["cr-only", "mixed", "blank-cr-lines"],
)
def test_fix_keeps_every_line_ending(tmp_path: Path, source: bytes, expected: bytes) -> None:
    (tmp_path / "x.py").write_bytes(source)
    report = fix(tmp_path, ".")
    if report["summary"]["fixed"] == 0:  # type: ignore[index]
        # an older libcst (1.0.x on mixed endings) does not give the file back byte for
        # byte: then the promise is no fix at all, never a changed line ending
        assert _libcst_version() < (1, 9), "the newest libcst round-trips these files"
        assert (tmp_path / "x.py").read_bytes() == source
        return
    assert report["summary"]["fixed"] == 1  # type: ignore[index]
    assert (tmp_path / "x.py").read_bytes() == expected


def test_fix_through_a_symlink_out_of_the_tree_writes_nothing(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("import torch\ntorch.cuda.synchronize()\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.py").symlink_to(outside)
    report = fix(tree, ".")
    assert outside.read_text() == "import torch\ntorch.cuda.synchronize()\n"
    assert [d["code"] for d in report["diagnostics"]] == ["write-error"]  # type: ignore[index]


def test_fix_refuses_to_break_a_hard_link(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import torch\ntorch.cuda.synchronize()\n")
    os.link(tmp_path / "a.py", tmp_path / "b.txt")
    report = fix(tmp_path, "a.py")
    assert (tmp_path / "b.txt").read_text() == "import torch\ntorch.cuda.synchronize()\n"
    assert os.stat(tmp_path / "a.py").st_nlink == 2
    assert "hard links" in report["diagnostics"][0]["message"]  # type: ignore[index]


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to chown")
def test_fix_keeps_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("import torch\ntorch.cuda.synchronize()\n")
    os.chown(path, 12345, 23456)
    fix(tmp_path, "a.py")
    assert "torch.npu.synchronize" in path.read_text()
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (12345, 23456)


def test_fix_never_deletes_a_comment_inside_a_rewritten_chain(tmp_path: Path) -> None:
    source = "import torch\nx = (torch  # why\n     .cuda.synchronize())\n"
    (tmp_path / "x.py").write_text(source + "torch.cuda.synchronize()  # kept\n")
    report = fix(tmp_path, "x.py")
    assert (tmp_path / "x.py").read_text() == (
        "import torch\nimport torch_npu  # noqa: F401\n"
        "x = (torch  # why\n     .cuda.synchronize())\n"
        "torch.npu.synchronize()  # kept\n"
    )
    assert [f["line"] for f in report["findings"]] == [3]  # type: ignore[index]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import torch; torch.cuda.synchronize()\n",
            "import torch; import torch_npu; torch.npu.synchronize()  # noqa: F401\n",
        ),
        (
            "def f():\n    import torch; torch.cuda.synchronize()\n",
            "def f():\n    import torch; import torch_npu; torch.npu.synchronize()  # noqa: F401\n",
        ),
    ],
    ids=["module", "function"],
)
def test_torch_npu_import_comes_before_code_on_the_same_line(
    tmp_path: Path, source: str, expected: str
) -> None:
    (tmp_path / "x.py").write_text(source)
    fix(tmp_path, "x.py")
    assert (tmp_path / "x.py").read_text() == expected


def _libcst_version() -> tuple[int, ...]:
    return tuple(int(part) for part in importlib.metadata.version("libcst").split(".")[:2])


@pytest.mark.parametrize("fixture", ["example_repo", "project_repo", "comment_in_chain"])
def test_fixable_count_is_what_fix_applies(tmp_path: Path, fixture: str) -> None:
    """ "N fixable with --fix" is a promise: a fix skipped because it would delete a
    comment inside the node it rebuilds is not counted (it was: 2 fixable, 1 applied)."""
    if fixture == "comment_in_chain":
        (tmp_path / "x.py").write_text(
            "import torch\ny = (torch  # keep me\n     .cuda.synchronize)()\n"
            "z = torch.cuda.current_device()\n"
        )
    else:
        shutil.copytree(Path(__file__).parent.parent / "fixtures" / fixture, tmp_path / fixture)
        tmp_path = tmp_path / fixture
    before = _check_json(tmp_path, "--no-cache", ".")
    fixable = before["summary"]["fixable"]  # type: ignore[index]
    after = _check_json(tmp_path, "--no-cache", "--fix", ".")
    applied = len(before["findings"]) - len(after["findings"])  # type: ignore[arg-type]
    assert fixable == applied
    assert after["summary"]["fixable"] == 0  # type: ignore[index]
