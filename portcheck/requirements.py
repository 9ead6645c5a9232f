"""Reading dependency declarations: requirement names and the lines that declare them.

Manifests are read as text (never installed, never executed); a name is looked up in
the knowledge base after PEP 503 normalisation so ``Flash_Attn`` is ``flash-attn``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
CUDA_INDEX = re.compile(r"/(cu\d{2,3})\b|\+cu\d{2,3}\b")


@dataclass(frozen=True)
class Declaration:
    """One declared requirement: where it is and what it names."""

    line: int
    column: int
    text: str
    name: str


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str | None:
    match = REQUIREMENT_NAME.match(spec)
    return normalise(match.group(1)) if match else None


def requirements_txt(text: str) -> Iterator[Declaration]:
    """Declarations of a pip requirements file; option lines are yielded with name ''."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        column = raw.index(line[0]) + 1
        if line.startswith("-"):
            yield Declaration(number, column, line, "")
            continue
        name = requirement_name(line)
        if name:
            yield Declaration(number, column, line, name)


def locate(text: str, specs: list[str]) -> Iterator[Declaration]:
    """Find where each requirement string parsed out of a structured manifest is declared.

    Specs come in file order, several may share a line (``["numpy", "triton"]``), so the
    search resumes right after the previous match.
    """
    lines = text.splitlines()
    line_index, start_column = 0, 0
    for spec in specs:
        name = requirement_name(spec)
        if not name:
            continue
        for index in range(line_index, len(lines)):
            column = lines[index].find(spec, start_column if index == line_index else 0)
            if column >= 0:
                yield Declaration(index + 1, column + 1, spec, name)
                line_index, start_column = index, column + len(spec)
                break


def uses_cuda_build(text: str) -> bool:
    """``--extra-index-url .../whl/cu121`` or ``torch==2.3.1+cu121``: a CUDA build of PyTorch."""
    return CUDA_INDEX.search(text) is not None
