"""Notebooks are checked cell by cell, with IPython syntax skipped and cells named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, check_json, run_cli, write

from portcheck.notebook import (
    UnmappableFix,
    align,
    apply_fixed_python,
    mask_ipython,
    parse_notebook,
)

NOTEBOOKS = FIXTURES / "notebooks"
POSITION = ("rule", "api", "category", "line", "column", "end_line", "end_column", "source")


def _positions(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(finding[key] for key in POSITION) for finding in findings]


def _notebook(*cells: str | tuple[str, str], language: str = "python") -> str:
    """An nbformat 4 notebook; a plain string is a code cell, a pair is (type, source)."""
    records = []
    for cell in cells:
        kind, source = cell if isinstance(cell, tuple) else ("code", cell)
        record: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            record.update(execution_count=None, outputs=[])
        records.append(record)
    document = {
        "cells": records,
        "metadata": {"language_info": {"name": language}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1)


@pytest.fixture()
def probe(tmp_path: Path) -> Path:
    shutil.copy(NOTEBOOKS / "train_probe.ipynb", tmp_path)
    shutil.copy(NOTEBOOKS / "train_probe.py", tmp_path)
    return tmp_path


def test_notebook_gets_the_findings_of_the_equivalent_python_file(probe: Path) -> None:
    _, report = check_json("train_probe.ipynb", "train_probe.py", cwd=probe)
    by_path: dict[str, list[dict[str, Any]]] = {"train_probe.ipynb": [], "train_probe.py": []}
    for finding in report["findings"]:
        by_path[finding["path"]].append(finding)

    assert len(by_path["train_probe.py"]) >= 8
    assert _positions(by_path["train_probe.ipynb"]) == _positions(by_path["train_probe.py"])
    assert report["diagnostics"] == []


def test_each_finding_names_its_cell_and_the_line_within_it(probe: Path) -> None:
    cells = json.loads((probe / "train_probe.ipynb").read_text(encoding="utf-8"))["cells"]
    _, report = check_json("train_probe.ipynb", cwd=probe)

    for finding in report["findings"]:
        cell_line = cells[finding["cell"] - 1]["source"][finding["cell_line"] - 1]
        start = finding["column"] - 1
        assert cell_line[start:].startswith(finding["source"].split()[0]), finding
    synchronize = next(f for f in report["findings"] if f["api"] == "torch.cuda.synchronize")
    assert (synchronize["cell"], synchronize["cell_line"], synchronize["line"]) == (6, 9, 22)


def test_text_report_shows_cell_and_line_in_cell(probe: Path) -> None:
    result = run_cli("check", "train_probe.ipynb", cwd=probe)

    assert result.exit_code == 1
    assert "train_probe.ipynb:cell 6:9:1: PC001 [auto] `torch.cuda.synchronize`" in result.stdout
    assert "train_probe.ipynb:cell 5:1:9: PC002" in result.stdout


def test_magics_shell_lines_and_non_python_cells_are_not_checked(tmp_path: Path) -> None:
    write(
        tmp_path,
        "nb.ipynb",
        _notebook(
            "import torch\n%timeit torch.cuda.synchronize()\n!nvidia-smi",
            "%%bash\npython -c 'import torch; torch.cuda.synchronize()'",
            "free = !nvidia-smi --query-gpu=memory.free\ntorch.cuda.empty_cache?",
            "if torch.cuda.is_available():\n    !nvidia-smi -L",
        ),
    )
    _, report = check_json("nb.ipynb", cwd=tmp_path)

    assert report["diagnostics"] == []
    assert [(f["api"], f["cell"], f["cell_line"]) for f in report["findings"]] == [
        ("torch.cuda.is_available", 4, 1)
    ]


def test_python_cell_magics_are_checked_without_their_magic_line(tmp_path: Path) -> None:
    write(tmp_path, "nb.ipynb", _notebook("import torch", "%%time\ntorch.cuda.synchronize()"))
    _, report = check_json("nb.ipynb", cwd=tmp_path)

    assert [(f["api"], f["cell"], f["cell_line"]) for f in report["findings"]] == [
        ("torch.cuda.synchronize", 2, 2)
    ]


def test_cells_count_markdown_cells_too(tmp_path: Path) -> None:
    notebook = _notebook(("markdown", "# Title"), "import torch", ("raw", "x"), "x.cuda()")
    write(tmp_path, "nb.ipynb", notebook)
    result = run_cli("check", "nb.ipynb", cwd=tmp_path)

    assert "nb.ipynb:cell 4:1:1: PC002" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON at line 1"),
        ('{"nbformat": 3, "worksheets": []}', "nbformat 3 notebook"),
        ("[1, 2]", 'no "cells" list'),
        ('{"cells": [{"cell_type": "code", "source": 7}]}', "cell 1"),
        ('{"cells": ["x"]}', "cell 1 is not a JSON object"),
    ],
)
def test_malformed_notebook_is_a_diagnostic_and_the_run_goes_on(
    tmp_path: Path, content: str, expected: str
) -> None:
    write(tmp_path, "broken.ipynb", content)
    write(tmp_path, "ok.py", "import torch\ntorch.cuda.synchronize()\n")
    code, report = check_json(".", cwd=tmp_path)

    assert code == 1
    assert [f["path"] for f in report["findings"]] == ["ok.py"]
    (diagnostic,) = report["diagnostics"]
    assert (diagnostic["path"], diagnostic["code"]) == ("broken.ipynb", "notebook-error")
    assert expected in diagnostic["message"]


def test_notebook_in_another_language_is_skipped_quietly(tmp_path: Path) -> None:
    write(tmp_path, "analysis.ipynb", _notebook('library("cuda")', language="R"))
    code, report = check_json("analysis.ipynb", cwd=tmp_path)

    assert code == 0
    assert [(d["code"], d["severity"]) for d in report["diagnostics"]] == [
        ("notebook-error", "info")
    ]


def test_syntax_error_in_a_cell_names_the_cell(tmp_path: Path) -> None:
    write(tmp_path, "nb.ipynb", _notebook("import torch", "x = (\n", "torch.cuda.synchronize()"))
    _, report = check_json("nb.ipynb", cwd=tmp_path)

    (diagnostic,) = report["diagnostics"]
    assert diagnostic["code"] == "parse-error"
    assert "nb.ipynb:cell " in diagnostic["message"]


def test_checkpoint_copies_are_not_checked(tmp_path: Path) -> None:
    write(tmp_path, "nb.ipynb", _notebook("import torch\ntorch.cuda.synchronize()"))
    write(tmp_path, ".ipynb_checkpoints/nb-checkpoint.ipynb", _notebook("x.cuda()"))
    _, report = check_json(".", cwd=tmp_path)

    assert {f["path"] for f in report["findings"]} == {"nb.ipynb"}


@pytest.mark.parametrize(
    ("cell", "analysed"),
    [
        (["%matplotlib inline", "x = 1"], ["pass", "x = 1"]),
        (["for i in a:", "    !echo $i"], ["for i in a:", "    pass"]),
        (["files = !ls", "torch?", "??torch.cuda"], ["pass", "pass", "pass"]),
        (["!pip install \\", "    torch", "y = 2"], ["pass", "", "y = 2"]),
        (['s = ("%s"', "     % x)"], ['s = ("%s"', "     % x)"]),
        (['doc = """', "!not a shell line", '"""'], ['doc = """', "!not a shell line", '"""']),
        (["ok = a \\", "   != b"], ["ok = a \\", "   != b"]),
        (["", "%%time", "f()"], ["", "pass", "f()"]),
        (["%%bash", "ls"], ["", ""]),
    ],
)
def test_ipython_syntax_is_masked_line_for_line(cell: list[str], analysed: list[str]) -> None:
    masked, _ = mask_ipython(cell)

    assert masked == analysed


def test_fix_rewrites_only_the_fixed_cells_and_keeps_the_notebook_valid(probe: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    path = probe / "train_probe.ipynb"
    before_text = path.read_text(encoding="utf-8")
    before = json.loads(before_text)

    result = run_cli("check", "--fix", "--format", "json", "train_probe.ipynb", cwd=probe)

    after_text = path.read_text(encoding="utf-8")
    after = json.loads(after_text)
    nbformat.validate(nbformat.reads(after_text, as_version=4))
    changed = [
        number
        for number, (old, new) in enumerate(zip(before["cells"], after["cells"]), start=1)
        if old["source"] != new["source"]
    ]
    assert changed == [2, 3, 5, 6, 8]
    for old, new in zip(before["cells"], after["cells"]):
        assert {**new, "source": old["source"]} == old  # outputs, ids, metadata untouched
    assert {**after, "cells": before["cells"]} == before
    # Same JSON layout (indent 1, key order, UTF-8 "→", final newline): only sources differ.
    restored = {
        **after,
        "cells": [
            {**new, "source": old["source"]} for old, new in zip(before["cells"], after["cells"])
        ],
    }
    assert json.dumps(restored, indent=1, ensure_ascii=False) + "\n" == before_text
    cell_6 = "".join(after["cells"][5]["source"])
    assert cell_6.startswith("%%time\n") and "!nvidia-smi --query-gpu" in cell_6
    assert "torch.npu.synchronize()" in cell_6
    assert "import torch_npu  # noqa: F401\n" in after["cells"][1]["source"]
    remaining = json.loads(result.stdout)["findings"]
    assert [(f["api"], f["cell"], f["cell_line"]) for f in remaining] == [
        ("torch.backends.cudnn.benchmark", 5, 3)
    ]


def test_fixed_notebook_checks_like_the_fixed_python_file(probe: Path) -> None:
    run_cli("check", "--fix", "train_probe.ipynb", "train_probe.py", cwd=probe)
    _, report = check_json("train_probe.ipynb", "train_probe.py", cwd=probe)

    notebook = [f for f in report["findings"] if f["path"] == "train_probe.ipynb"]
    script = [f for f in report["findings"] if f["path"] == "train_probe.py"]
    assert _positions(notebook) == _positions(script) != []


def test_fix_keeps_a_notebook_stored_as_one_string_per_cell(tmp_path: Path) -> None:
    document = json.loads(_notebook("import torch\n", "x = 1\ntorch.cuda.synchronize()"))
    path = write(tmp_path, "nb.ipynb", json.dumps(document, separators=(",", ":")))

    run_cli("check", "--fix", "nb.ipynb", cwd=tmp_path)

    text = path.read_text(encoding="utf-8")
    cells = json.loads(text)["cells"]
    assert "\n" not in text and not text.endswith("\n")
    assert cells[1]["source"] == "x = 1\ntorch.npu.synchronize()"
    assert cells[0]["source"] == "import torch\nimport torch_npu  # noqa: F401\n"


def test_fix_leaves_a_malformed_notebook_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.ipynb", '{"cells": [')

    result = run_cli("check", "--fix", "--format", "json", "broken.ipynb", cwd=tmp_path)

    assert path.read_text(encoding="utf-8") == '{"cells": ['
    assert [d["code"] for d in json.loads(result.stdout)["diagnostics"]] == ["notebook-error"]


def test_a_fix_that_cannot_be_put_back_into_one_cell_is_refused() -> None:
    notebook = parse_notebook(_notebook("%%time\nimport torch"))

    with pytest.raises(UnmappableFix):
        apply_fixed_python(notebook, "import torch_npu  # noqa: F401\n" + notebook.python)


def test_suppression_comments_work_inside_cells(tmp_path: Path) -> None:
    cells = ("import torch", "x.cuda()\ntorch.cuda.synchronize()  # portcheck: ignore[PC001]")
    write(tmp_path, "nb.ipynb", _notebook(*cells))
    _, report = check_json("nb.ipynb", cwd=tmp_path)

    assert [(f["rule"], f["cell"]) for f in report["findings"]] == [("PC002", 2)]


def test_fix_keeps_windows_line_endings(tmp_path: Path) -> None:
    text = _notebook("import torch\n", "torch.cuda.synchronize()").replace("\n", "\r\n") + "\r\n"
    path = tmp_path / "nb.ipynb"
    path.write_bytes(text.encode("utf-8"))

    run_cli("check", "--fix", "nb.ipynb", cwd=tmp_path)

    fixed = path.read_bytes().decode("utf-8")
    assert fixed == text.replace("torch.cuda.synchronize", "torch.npu.synchronize").replace(
        '"import torch\\n"', '"import torch\\nimport torch_npu  # noqa: F401\\n"'
    )


def test_python3_kernel_language_name_is_python(tmp_path: Path) -> None:
    write(
        tmp_path,
        "nb.ipynb",
        _notebook("import torch\ntorch.cuda.synchronize()", language="python3"),
    )
    _, report = check_json("nb.ipynb", cwd=tmp_path)

    assert [f["api"] for f in report["findings"]] == ["torch.cuda.synchronize"]


@pytest.mark.parametrize(
    ("old", "new", "steps"),
    [
        (
            ["torch.cuda.synchronize()"],
            ["import torch_npu  # noqa: F401", "torch.npu.synchronize()"],
            [(None, 0), (0, 1)],
        ),
        (["x.cuda()", "y = 1"], ["x.npu()", "y = 1"], [(0, 0), (1, 1)]),
        (["a = 1"], ["completely different"], [(0, None), (None, 0)]),
    ],
)
def test_changed_lines_are_paired_with_the_lines_they_became(
    old: list[str], new: list[str], steps: list[tuple[int | None, int | None]]
) -> None:
    assert align(old, new) == steps
