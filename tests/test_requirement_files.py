"""Every pip requirements file of a project is read: by name, in a ``requirements/``
directory (vllm's layout), or pulled in with ``-r``/``-c``; and every way a line can name
a distribution (``-e ...#egg=``, ``name @ url``, a wheel URL or file name) is understood."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import check_json, run_cli, write

FLASH_ATTN_WHEEL = "flash_attn-2.5.8+cu122torch2.3cxx11abiFALSE-cp310-cp310-linux_x86_64.whl"


def _declared(report: dict[str, Any]) -> set[tuple[str, int, str]]:
    return {
        (finding["path"], finding["line"], finding["api"])
        for finding in report["findings"]
        if finding["rule"] in ("PC009", "PC020")
    }


def test_files_in_a_requirements_directory_are_read(tmp_path: Path) -> None:
    write(tmp_path, "requirements/cuda.txt", "numpy\nflash-attn==2.5.8\n")
    write(tmp_path, "requirements/test/cuda.in", "cupy-cuda12x\n")
    write(tmp_path, "requirements/README.md", "flash-attn\n")
    write(tmp_path, "docs/notes.txt", "flash-attn\n")
    _, report = check_json(".", cwd=tmp_path)
    assert _declared(report) == {
        ("requirements/cuda.txt", 2, "flash-attn"),
        ("requirements/test/cuda.in", 1, "cupy-cuda12x"),
    }


def test_a_requirements_directory_file_reads_like_requirements_txt(tmp_path: Path) -> None:
    content = "flash-attn==2.5.8\ntorch==2.3.1\n"
    write(tmp_path, "a/requirements.txt", content)
    write(tmp_path, "b/requirements/cuda.txt", content)
    _, report = check_json(".", cwd=tmp_path)
    seen = {}
    for finding in report["findings"]:
        key = (finding["rule"], finding["api"])
        record = (finding["category"], finding["message"], finding["suggestion"])
        seen.setdefault(key, set()).add(record)
    assert set(seen) == {("PC009", "flash-attn"), ("PC020", "torch")}
    assert all(len(records) == 1 for records in seen.values())
    assert len(report["findings"]) == 4


def test_included_files_are_read_whatever_their_names(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "-r deps/gpu.txt\n-c deps/pins.lock\nnumpy\n")
    write(tmp_path, "deps/gpu.txt", "--requirement=../extra/more.pip\nxformers\n")
    write(tmp_path, "deps/pins.lock", "cupy-cuda12x==13.0\n")
    write(tmp_path, "extra/more.pip", "flash-attn\n")
    write(tmp_path, "extra/unused.pip", "flash-attn\n")
    _, report = check_json(".", cwd=tmp_path)
    assert _declared(report) == {
        ("deps/gpu.txt", 2, "xformers"),
        ("deps/pins.lock", 1, "cupy-cuda12x"),
        ("extra/more.pip", 1, "flash-attn"),
    }


def test_include_cycles_end(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "-r a.deps\n")
    write(tmp_path, "a.deps", "-r b.deps\nflash-attn\n")
    write(tmp_path, "b.deps", "-r a.deps\n-r requirements.txt\n-r b.deps\ncupy-cuda12x\n")
    code, report = check_json(".", cwd=tmp_path)
    assert code == 1
    assert _declared(report) == {("a.deps", 2, "flash-attn"), ("b.deps", 4, "cupy-cuda12x")}


def test_includes_outside_the_audited_tree_or_excluded_are_not_read(tmp_path: Path) -> None:
    write(tmp_path, "outside.txt", "flash-attn\n")
    write(tmp_path, "project/skipped/deps.txt", "cupy-cuda12x\n")
    write(
        tmp_path,
        "project/requirements.txt",
        "-r ../outside.txt\n-r skipped/deps.txt\n-r missing.txt\n-r https://example.com/r.txt\n",
    )
    _, report = check_json("--exclude", "skipped", "project", cwd=tmp_path)
    assert _declared(report) == set()
    assert report["summary"]["files_checked"] == 1


def test_includes_of_a_file_named_on_the_command_line_are_read(tmp_path: Path) -> None:
    write(tmp_path, "requirements-gpu.txt", "-r gpu/extra.txt\n")
    write(tmp_path, "gpu/extra.txt", "flash-attn\n")
    _, report = check_json("requirements-gpu.txt", cwd=tmp_path)
    assert _declared(report) == {("gpu/extra.txt", 1, "flash-attn")}


def test_editable_urls_and_wheels_name_their_distribution(tmp_path: Path) -> None:
    write(
        tmp_path,
        "requirements.txt",
        "-e git+https://github.com/Dao-AILab/flash-attention.git@v2.5.8#egg=flash_attn\n"
        "--editable=git+https://github.com/NVIDIA/apex#egg=apex&subdirectory=.\n"
        "xformers @ https://example.com/xformers-0.0.25.tar.gz\n"
        f"https://github.com/Dao-AILab/flash-attention/releases/download/v2.5.8/{FLASH_ATTN_WHEEL}\n"
        f"./wheels/{FLASH_ATTN_WHEEL}  # local copy\n"
        "wheels/cupy_cuda12x-13.0.0-cp310-cp310-manylinux2014_x86_64.whl\n"
        "bitsandbytes==0.43.1 --hash=sha256:0123456789abcdef\n"
        "git+https://github.com/someone/unnamed.git\n"
        "numpy @ https://example.com/numpy-1.26.4-cp310-cp310-linux_x86_64.whl\n",
    )
    _, report = check_json(".", cwd=tmp_path)
    assert sorted((line, api) for _, line, api in _declared(report)) == [
        (1, "flash-attn"),
        (2, "apex"),
        (3, "xformers"),
        (4, "flash-attn"),
        (5, "flash-attn"),
        (6, "cupy-cuda12x"),
        (7, "bitsandbytes"),
    ]
    wheel = next(f for f in report["findings"] if f["line"] == 4)
    assert wheel["message"].startswith("CUDA-only package `flash-attn` declared")
    assert wheel["category"] == "rewrite"


def test_a_cuda_wheel_of_a_cuda_library_is_that_library_not_a_torch_build(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", f"flash_attn @ https://example.com/{FLASH_ATTN_WHEEL}\n")
    write(tmp_path, "requirements-torch.txt", "torch==2.14.0+cu121\n")
    _, report = check_json(".", cwd=tmp_path)
    assert _declared(report) == {
        ("requirements.txt", 1, "flash-attn"),
        ("requirements-torch.txt", 1, "torch-cuda-build"),
    }


def test_standard_input_named_into_a_requirements_directory_is_read(tmp_path: Path) -> None:
    result = run_cli(
        "check",
        "--format",
        "json",
        "--stdin-filename",
        "requirements/cuda.txt",
        "-",
        cwd=tmp_path,
        stdin="numpy\nflash-attn==2.5.8\n",
    )
    report = json.loads(result.stdout)
    assert _declared(report) == {("requirements/cuda.txt", 2, "flash-attn")}
