"""Read Ascend's per-chip support list of PyTorch native APIs (Markdown, never imported text).

The list lives in the public ``Ascend/pytorch`` repository under
``docs/zh/api/native_api/pytorch_<x>-<y>-<z>/*.md``.  Each API is a heading (``### torch.X``,
or ``> <font size="3">name()</font>`` under a ``### <code><i>class</i></code> torch.C``
heading) followed by a table with one row per product and a ✔ or ✘, and optionally a
"限制与说明" (restrictions) paragraph.  Only the verdicts and what is derived from the
restrictions (flags, dtype and attribute names) are kept: Ascend's prose is not copied into
portcheck.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Product names as the tables spell them -> portcheck chip ids.
PRODUCTS: dict[str, str] = {
    "Atlas A2 训练系列产品": "atlas-a2",
    "Atlas A3 训练系列产品": "atlas-a3",
    "Ascend 950DT": "950dt",
    "Atlas 训练系列产品": "910a",
}
YES = ("✔", "&#10004;")
NO = ("✘", "&#10008;")
CPU_FALLBACK = "回退至CPU"  # "falls back to the CPU"
ONLY = "仅支持"  # "only supports": the restriction lines that enumerate dtypes
INFERENCE_ONLY = "仅支持推理场景"  # "only inference is supported" (the CUDA graph APIs)
ATTRIBUTES = "属性"  # "attributes": an "only supports" line naming the fields that work
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DTYPE_TOKENS = (
    "bf16",
    "fp16",
    "fp32",
    "fp64",
    "fp8",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "bool",
    "complex64",
    "complex128",
)
_DTYPE = re.compile(r"(?<![0-9a-z])(" + "|".join(DTYPE_TOKENS) + r")(?![0-9a-z])")
_TERM = re.compile(r"<term>([^<]+)</term>")
RESTRICTIONS = "**限制与说明**"

_CLASS = re.compile(r"^### <code><i>class</i></code>\s+(?P<name>\S+)")
_HEADING = re.compile(r"^### (?P<name>[^<\s]\S*)")
_MEMBER = re.compile(r'^> <font size="3">(?P<name>[^<(]+)(?:\(\))?</font>')
_LINK = re.compile(r"^\*\*原生文档\*\*：\[(?P<name>[^\]]+)\]")
_ROW = re.compile(r"^\|\s*<term>(?P<product>[^<]+)</term>\s*\|\s*(?P<mark>[^|]+?)\s*\|")


@dataclass(frozen=True)
class DocEntry:
    """One API of the list: its verdict per chip (True = ✔) and where it was read."""

    api: str
    file: str
    heading: str
    support: tuple[tuple[str, bool], ...]
    cpu_fallback: bool
    restricted: bool
    dtype_lists: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    """Each "only supports <dtypes>" line: (the chips it names, or () for all; the dtypes)."""
    inference_only: bool = False
    """A restriction says only inference is supported, not training."""
    attributes: tuple[str, ...] = ()
    """The attributes an "only supports <attributes>" line names (get_device_properties)."""


def _qualified(name: str, owner: str | None) -> str:
    name = name.strip().removesuffix("()")
    if name.startswith("Tensor."):
        return "torch." + name
    if owner and not name.startswith("torch."):
        return f"{owner}.{name}"
    return name


class _Block:
    def __init__(self, heading: str, api: str, owner: str | None) -> None:
        self.heading = heading
        self.api = api
        self.owner = owner  # the class a ``<font>`` member belongs to
        self.support: dict[str, bool] = {}
        self.restricted = False
        self.cpu_fallback = False
        self.dtype_lists: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        self.inference_only = False
        self.attributes: tuple[str, ...] = ()

    def note(self, line: str) -> None:
        """Keep what a restriction line says about dtypes, training and attributes, not its
        words."""
        if ONLY not in line:
            return
        if INFERENCE_ONLY in line:
            self.inference_only = True
        listed, named, _ = line.partition(ONLY)[2].partition(ATTRIBUTES)
        if named and not _TERM.search(listed) and not _DTYPE.search(listed):
            self.attributes = tuple(_IDENTIFIER.findall(listed))
        dtypes = tuple(sorted(set(_DTYPE.findall(line))))
        if len(dtypes) > 1:
            chips = tuple(sorted(PRODUCTS[t] for t in _TERM.findall(line) if t in PRODUCTS))
            self.dtype_lists.append((chips, dtypes))

    def entry(self, file: str) -> DocEntry | None:
        if not self.support or not self.api.startswith("torch."):
            return None
        support = tuple(sorted(self.support.items()))
        return DocEntry(
            self.api,
            file,
            self.heading,
            support,
            self.cpu_fallback,
            self.restricted,
            tuple(self.dtype_lists),
            self.inference_only,
            self.attributes,
        )


def parse_markdown(text: str, file: str) -> list[DocEntry]:
    """Every API entry of one Markdown page, in page order."""
    entries: list[DocEntry] = []
    owner: str | None = None
    block: _Block | None = None

    def close() -> None:
        if block is not None and (entry := block.entry(file)) is not None:
            entries.append(entry)

    for line in text.splitlines():
        heading = _CLASS.match(line) or _HEADING.match(line) or _MEMBER.match(line)
        if heading is not None:
            close()
            if _CLASS.match(line):
                owner = heading["name"]
            member_of = owner if _MEMBER.match(line) else None
            api = _qualified(heading["name"], member_of)
            title = heading["name"].strip() if member_of else line.lstrip("#> ").strip()
            title = f"{member_of} > {title}" if member_of else title
            block = _Block(title, api, member_of)
            continue
        if block is None:
            continue
        if (link := _LINK.match(line)) is not None:
            block.api = _qualified(link["name"], block.owner)
        elif (row := _ROW.match(line)) is not None and row["product"] in PRODUCTS:
            mark = row["mark"]
            if mark in YES or mark in NO:
                block.support[PRODUCTS[row["product"]]] = mark in YES
        elif line.startswith(RESTRICTIONS):
            block.restricted = True
        if CPU_FALLBACK in line:
            block.cpu_fallback = True
        block.note(line)
    close()
    return entries


def read_docs(directory: Path) -> list[DocEntry]:
    """All entries under one ``pytorch_<version>`` directory, files in name order.

    An API listed twice keeps its first entry (the list repeats a few under two pages).
    """
    seen: dict[str, DocEntry] = {}
    for path in sorted(directory.glob("*.md")):
        for entry in parse_markdown(path.read_text(encoding="utf-8"), path.name):
            seen.setdefault(entry.api, entry)
    return [seen[k] for k in sorted(seen)]


def docs_dir_for(root: Path, torch_version: str) -> Path | None:
    """``pytorch_<x>-<y>-<z>`` under ``root`` for a torch version, else None."""
    x, y, z = (torch_version.split("+")[0].split(".") + ["0", "0"])[:3]
    candidate = root / f"pytorch_{x}-{y}-{z}"
    return candidate if candidate.is_dir() else None


def _docs_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in path.name.removeprefix("pytorch_").split("-") if p.isdigit())


def docs_dir_not_newer(root: Path, version: str) -> Path | None:
    """``pytorch_<x>-<y>-<z>`` for a release, else the newest one not newer than it (the
    list for the newest torch may not be published yet); None when all are newer."""
    exact = docs_dir_for(root, version)
    if exact is not None:
        return exact
    wanted = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    found = [p for p in root.glob("pytorch_*") if p.is_dir() and _docs_key(p) <= wanted]
    return max(found, key=_docs_key) if found else None


def oldest_docs_dir(root: Path) -> Path | None:
    """The list of the oldest torch there is (a lead for releases older than every list)."""
    found = [p for p in root.glob("pytorch_*") if p.is_dir()]
    return min(found, key=_docs_key) if found else None
