"""Reading dependency declarations: requirement names and the lines that declare them.

Manifests are read as text (never installed, never executed). What a line names is
packaging's answer wherever packaging has one: PEP 508 requirements (``name @ url``
included) by :class:`packaging.requirements.Requirement`, wheel and sdist file names by
:func:`packaging.utils.parse_wheel_filename` / ``parse_sdist_filename``, and every name
goes through :func:`portcheck.knowledge.normalise_distribution` (``Flash_Attn`` is
``flash-attn``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from portcheck.knowledge.model import normalise_distribution

REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
"""The leading name of a line packaging rejects (``torch>=2.0,``): better than nothing."""
CUDA_INDEX = re.compile(r"/(cu\d{2,3})\b|\+cu\d{2,3}\b")
REQUIREMENTS_NAME = re.compile(r"requirements[\w.-]*\.(txt|in)$|constraints[\w.-]*\.txt$")
REQUIREMENTS_DIRECTORY = "requirements"
"""vllm's ``requirements/cuda.txt``: every ``.txt``/``.in`` file under such a directory."""
EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s*=\s*|\s+|(?=[^\s=]))(?P<location>\S+)")
INCLUDE = re.compile(
    r"^(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+|(?=[^\s=]))(?P<file>\S.*?)\s*$"
)
ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")
LOCAL_LABEL = re.compile(r"\+[A-Za-z0-9.]+")
TRAILING_OPTIONS = re.compile(r"\s+--?[A-Za-z].*$")
"""Per-requirement options after a requirement (``--hash=sha256:...``)."""


@dataclass(frozen=True)
class Declaration:
    """One declared requirement: where it is and what it names."""

    line: int
    column: int
    text: str
    name: str


def is_requirements_file(path: str) -> bool:
    """A pip requirements file by its ``/``-separated path: ``requirements*.txt``,
    ``requirements*.in``, ``constraints*.txt``, or a ``.txt``/``.in`` file anywhere under
    a directory named ``requirements``. Files that another one pulls in with ``-r``/``-c``
    are found by :func:`included_files` instead."""
    directories, _, filename = path.rpartition("/")
    if REQUIREMENTS_NAME.match(filename):
        return True
    return filename.endswith((".txt", ".in")) and REQUIREMENTS_DIRECTORY in directories.split("/")


def requirement_name(spec: str) -> str | None:
    """The normalised distribution a requirement string names: a PEP 508 requirement
    (``flash-attn>=2``, ``flash_attn @ https://...``), a wheel or sdist URL or path
    (``.../flash_attn-2.5.8+cu122torch2.3-cp310-cp310-linux_x86_64.whl``), or a VCS URL
    with ``#egg=flash_attn``. None when the text names no distribution."""
    spec = TRAILING_OPTIONS.sub("", spec.strip())
    if not spec:
        return None
    location = spec.split(";", 1)[0].strip()
    if location.lower().endswith(ARCHIVE_SUFFIXES):  # pip reads these as files, not names
        return _location_name(location)
    requirement = parsed(spec)
    if requirement is not None:
        return normalise_distribution(requirement.name)
    named = _location_name(location)
    if named is not None or "/" in location or ":" in location or location.startswith("."):
        return named
    match = REQUIREMENT_NAME.match(spec)
    return normalise_distribution(match.group(1)) if match else None


def parsed(spec: str) -> Requirement | None:
    """packaging's reading of a requirement string, markers aside and with local version
    labels dropped: ``torch==2.3.1+cu121`` pins torch 2.3.1 (PEP 440 would match only that
    local build), and pip takes ``torch>=2.1+cu118``, which PEP 440 rejects. None when
    packaging cannot read it."""
    try:
        return Requirement(LOCAL_LABEL.sub("", spec.split(";", 1)[0].strip()))
    except InvalidRequirement:
        return None


def _location_name(location: str) -> str | None:
    """The distribution behind a URL or path: its ``#egg=`` fragment, else its wheel or
    sdist file name."""
    parts = urlsplit(location)
    for field in parts.fragment.split("&"):
        key, _, value = field.partition("=")
        if key == "egg" and value:
            return normalise_distribution(re.split(r"[^A-Za-z0-9._-]", value, maxsplit=1)[0])
    filename = unquote(posixpath.basename(parts.path))
    if filename.endswith(".whl"):
        try:
            return normalise_distribution(parse_wheel_filename(filename)[0])
        except InvalidWheelFilename:
            return None
    try:
        return normalise_distribution(parse_sdist_filename(filename)[0])
    except InvalidSdistFilename:
        return None


def requirements_txt(text: str) -> Iterator[Declaration]:
    """Declarations of a pip requirements file; option lines are yielded with name ''
    except ``-e``/``--editable``, which names what it installs (``#egg=`` or a wheel)."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _without_comment(raw).strip()
        if not line:
            continue
        column = raw.index(line[0]) + 1
        if line.startswith("-"):
            editable = EDITABLE.match(line)
            name = _location_name(editable["location"]) if editable else None
            yield Declaration(number, column, line, name or "")
            continue
        name = requirement_name(line)
        if name:
            yield Declaration(number, column, line, name)


def _without_comment(line: str) -> str:
    """pip's rule: ``#`` starts a comment at the line's start or after whitespace, so a
    URL's ``#egg=`` fragment stays."""
    return "" if line.lstrip().startswith("#") else re.split(r"\s#", line, maxsplit=1)[0]


def included_files(text: str) -> Iterator[str]:
    """The files a requirements file pulls in with ``-r``/``-c`` (``--requirement``,
    ``--constraint``), as written; URLs and paths built from environment variables are
    left out (nothing is fetched, nothing is guessed)."""
    for raw in text.splitlines():
        match = INCLUDE.match(_without_comment(raw).strip())
        if match is None:
            continue
        name = match["file"]
        if "://" in name or "$" in name:
            continue
        yield name


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
