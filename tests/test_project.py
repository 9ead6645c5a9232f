"""A whole project as a user audits it: ``fixtures/project_repo`` through the real CLI."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, check_json, run_cli, write


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project_repo"
    shutil.copytree(FIXTURES / "project_repo", root)
    return root


def test_code_that_covers_npu_is_handled_and_not_a_finding(project: Path) -> None:
    _, report = check_json(".", cwd=project)
    accel = "src/fastattn/accel.py"
    assert [f for f in report["findings"] if f["path"] == accel] == []
    handled = {(f["line"], f["rule"], f["handled"]) for f in report["handled"]}
    assert handled == {
        (6, "PC003", "npu-alongside"),  # {"cuda": "nccl", "npu": "hccl"}
        (6, "PC004", "npu-alongside"),
        (14, "PC003", "npu-alongside"),  # ["cuda", "npu"]
        (18, "PC003", "npu-alongside"),  # == "cuda" or == "npu"
        (25, "PC001", "npu-fallback"),  # else: torch.cuda.synchronize()
        (29, "PC003", "npu-fallback"),  # "npu" if is_npu_available() else "cuda"
        (33, "PC003", "npu-fallback"),
    }
    assert {f["path"] for f in report["handled"]} == {accel}
    assert report["summary"]["handled"] == 7
    assert not any(f["fixable"] for f in report["handled"])


def test_handled_code_is_counted_in_the_text_summary(project: Path) -> None:
    result = run_cli("check", ".", cwd=project)
    assert "7 already handled beside NPU (not scored)" in result.stdout


def test_handled_code_does_not_change_the_score(project: Path) -> None:
    _, with_npu_code = check_json(".", cwd=project)
    (project / "src/fastattn/accel.py").unlink()
    _, without = check_json(".", cwd=project)
    assert with_npu_code["score"] == without["score"]


def test_unsafe_fixes_leave_npu_aware_and_non_device_strings_alone(project: Path) -> None:
    untouched = ("src/fastattn/accel.py", "src/fastattn/checkpoint.py")
    before = {name: (project / name).read_bytes() for name in untouched}
    run_cli("check", "--fix", "--unsafe-fixes", ".", cwd=project)
    assert {name: (project / name).read_bytes() for name in untouched} == before


def test_diff_shows_no_fix_for_checkpoint_locations_method_names_or_tables(
    project: Path,
) -> None:
    result = run_cli("check", "--diff", "--unsafe-fixes", "src/fastattn/checkpoint.py", cwd=project)
    assert result.stdout == ""
    _, report = check_json("src/fastattn/checkpoint.py", cwd=project)
    messages = [f["message"] for f in report["findings"]]
    assert messages == [
        'CUDA device name "cuda" tested as text (it may match a name a CUDA run saved)',
        'CUDA device name "cuda" used as a method name, not a device',
        'CUDA device name "cuda" in a table of several accelerators (Ascend needs an entry '
        "of its own)",
    ]  # and the profiler key "cuda_time_total" is no finding at all


def test_lazily_imported_torch_gets_torch_npu_in_the_same_function(project: Path) -> None:
    run_cli("check", "--fix", "src/fastattn/cli.py", cwd=project)
    fixed = (project / "src/fastattn/cli.py").read_text(encoding="utf-8")
    lines = (
        "    import torch\n    import torch_npu  # noqa: F401\n\n    x = torch.zeros(size).npu()\n"
    )
    assert lines in fixed
    tree = ast.parse(fixed)
    assert not any(isinstance(node, ast.Import) for node in tree.body)


def test_names_imported_through_project_modules_resolve_to_the_library(project: Path) -> None:
    _, report = check_json(".", cwd=project)
    add = "src/fastattn/kernels/add.py"
    found = {(f["line"], f["rule"], f["api"]) for f in report["findings"] if f["path"] == add}
    assert found == {
        (3, "PC008", "triton.language"),  # through kernels/__init__ and ..triton_utils
        (3, "PC008", "triton"),
        (6, "PC008", "triton.jit"),  # @triton.jit: the kernel is found
        (14, "PC001", "torch.cuda.synchronize"),  # cuda_sync, star-imported from .compat
    }


def test_the_projects_own_package_is_never_a_cuda_only_library(project: Path) -> None:
    _, report = check_json(".", cwd=project)
    assert not [f for f in report["findings"] if f["api"].startswith("flash_attn")]
    assert not [f for f in report["findings"] if f["path"].startswith("src/flash_attn/")]


def test_editing_a_re_exporting_module_invalidates_the_cache_of_its_users(project: Path) -> None:
    _, first = check_json("src", cwd=project)
    compat = project / "src/fastattn/kernels/compat.py"
    compat.write_text("from os import sync as cuda_sync\n", encoding="utf-8")
    _, second = check_json("src", cwd=project)
    add = "src/fastattn/kernels/add.py"
    assert (14, "PC001") in {(f["line"], f["rule"]) for f in first["findings"] if f["path"] == add}
    assert (14, "PC001") not in {
        (f["line"], f["rule"]) for f in second["findings"] if f["path"] == add
    }


def test_empty_init_files_are_counted_not_listed(project: Path) -> None:
    result = run_cli("check", ".", cwd=project)
    assert "empty-file" not in result.stdout
    assert "; 1 empty file." in result.stdout


def test_vendored_trees_are_skipped_unless_included(project: Path) -> None:
    _, default = check_json(".", cwd=project)
    assert not [f for f in default["findings"] if f["path"].startswith("third_party/")]
    _, included = check_json("--include-vendored", ".", cwd=project)
    vendored = {f["path"] for f in included["findings"] if f["path"].startswith("third_party/")}
    assert vendored == {
        "third_party/cutlass/python/cutlass/emit.py",
        "third_party/cutlass/include/gemm.cu",
    }


def test_skipped_vendored_trees_are_named_with_their_file_counts(project: Path) -> None:
    skipped = "third_party: vendored tree skipped (2 files to check; --include-vendored checks it)"
    text = run_cli("check", ".", cwd=project).stdout
    assert f"info: [vendored-skipped] {skipped}\n" in text
    assert "; 1 vendored tree skipped (--include-vendored checks them)" in text
    markdown = run_cli("report", "--format", "markdown", ".", cwd=project).stdout
    assert "\n- third\\_party\\: vendored tree skipped \\(2 files to check;" in markdown
    html = run_cli("report", "--format", "html", ".", cwd=project).stdout
    assert 'id="vendored"' in html and skipped in html
    _, report = check_json(".", cwd=project)
    assert [d["path"] for d in report["diagnostics"] if d["code"] == "vendored-skipped"] == [
        "third_party"
    ]
    _, included = check_json("--include-vendored", ".", cwd=project)
    assert not [d for d in included["diagnostics"] if d["code"] == "vendored-skipped"]


FLAT_PROJECT = {
    "proj/__init__.py": "",
    "proj/triton_utils.py": "import triton\nimport triton.language as tl\n",
    "proj/kernel.py": (
        "from proj.triton_utils import tl, triton\n\n\n"
        "@triton.jit\ndef add(x_ptr):\n    tl.load(x_ptr)\n"
    ),
}


@pytest.mark.parametrize("marker", ["pyproject.toml", None])
def test_a_checkout_inside_a_directory_named_src_is_no_src_layout(
    tmp_path: Path, marker: str | None
) -> None:
    """~/src/proj is a flat project (vllm, or an unpacked wheel without a marker file):
    its package is ``proj``, not ``proj.proj``, so its re-exports resolve."""
    root = tmp_path / "src" / "checkout"
    for relative, content in FLAT_PROJECT.items():
        write(root, relative, content)
    if marker:
        write(root, marker, "[project]\nname = 'proj'\n")
    _, report = check_json(".", cwd=root)
    found = {(f["line"], f["api"]) for f in report["findings"] if f["path"] == "proj/kernel.py"}
    assert (4, "triton.jit") in found
    assert not [f for f in report["findings"] if f["api"].startswith("proj")]


def test_a_project_module_named_like_a_re_export_keeps_its_own_names(project: Path) -> None:
    """vllm's mhc/triton.py beside ``from .triton import *`` (which binds ``triton`` to the
    library in the package): its functions were reported as triton's. What the module
    defines is the project's; what it does not (``triton.jit``) is still the library's."""
    write(project, "src/fastattn/kernels/triton.py", "def launch(x):\n    return x\n")
    write(
        project,
        "src/fastattn/use_launch.py",
        "from fastattn.kernels.triton import launch\nfrom fastattn.kernels import triton\n\n"
        "launch(1)\n\n\n@triton.jit\ndef kernel(x):\n    pass\n",
    )
    _, report = check_json(".", cwd=project)
    use = "src/fastattn/use_launch.py"
    found = {(f["line"], f["api"]) for f in report["findings"] if f["path"] == use}
    assert found == {(2, "triton"), (7, "triton.jit")}
    add = {(f["line"], f["api"]) for f in report["findings"] if f["path"].endswith("/add.py")}
    assert (6, "triton.jit") in add
