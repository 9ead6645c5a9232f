"""``--format github``: one workflow command per finding, escaped as the Actions runner
expects, so annotations land on the right line with the whole message."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, write


def github(*args: str, cwd: Path) -> list[str]:
    result = run_cli("check", "--format", "github", *args, cwd=cwd)
    return result.stdout.splitlines()


def test_finding_becomes_an_annotation_with_its_full_location(tmp_path: Path) -> None:
    write(tmp_path, "train.py", "import torch\ntorch.cuda.synchronize()\n")
    lines = github(".", cwd=tmp_path)
    assert lines[0].startswith(
        "::warning file=train.py,line=2,col=1,endLine=2,endColumn=23,"
        "title=PC001 cuda-api [auto]::`torch.cuda.synchronize` has an Ascend equivalent"
    )
    assert lines[-1].startswith("Readiness score:")


def test_blocker_is_an_error_and_caution_a_notice(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import cupy\nimport torch\ntorch.backends.cudnn.benchmark = True\n")
    commands = [line.split(" ", 1)[0] for line in github(".", cwd=tmp_path) if line[:2] == "::"]
    assert commands == ["::error", "::notice"]


def test_message_newlines_and_percent_signs_are_escaped(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\ntorch.cuda.synchronize()\n")
    (annotation,) = [line for line in github(".", cwd=tmp_path) if line.startswith("::")]
    message = annotation.split("::", 2)[2]
    assert "%0Ahelp: " in message
    assert "\n" not in message


def test_commas_and_colons_in_file_names_are_escaped(tmp_path: Path) -> None:
    write(tmp_path, "odd,na:me%.py", "import torch\ntorch.cuda.synchronize()\n")
    (annotation,) = [line for line in github(".", cwd=tmp_path) if line.startswith("::")]
    assert annotation.startswith("::warning file=odd%2Cna%3Ame%25.py,line=2,")


def test_unreadable_file_is_an_annotation_too(tmp_path: Path) -> None:
    write(tmp_path, "broken.py", "import torch\ntorch.cuda.synchronize(\n")
    lines = github(".", cwd=tmp_path)
    assert any(line.startswith("::error file=broken.py,line=") for line in lines)
    assert "title=portcheck parse-error::" in "\n".join(lines)


def test_suppressed_findings_are_not_annotated(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\ntorch.cuda.synchronize()  # portcheck: ignore\n")
    lines = github(".", cwd=tmp_path)
    assert not [line for line in lines if line.startswith("::")]
    assert "1 suppressed" in lines[0]
