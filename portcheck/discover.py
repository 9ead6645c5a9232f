"""Listing the files of a run.

The walk never follows a symlink into a directory it has already seen (so symlink
loops end), skips what is never project code (VCS data, virtual environments, build
output, caches), and turns every file it cannot reach into a diagnostic instead of an
exception. Files named explicitly on the command line are always checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pathspec

from portcheck import requirements
from portcheck.model import Diagnostic
from portcheck.source import read_source

PYTHON_SUFFIXES = (".py", ".pyi")
NATIVE_SUFFIXES = (".cu", ".cuh")
NOTEBOOK_SUFFIX = ".ipynb"
MANIFEST_NAMES = frozenset({"pyproject.toml", "setup.cfg"})
MANIFEST_PATTERN = re.compile(r"environment[\w.-]*\.ya?ml$")
_BUILT_IN_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".portcheck_cache",
    "node_modules",
    "build",
    "dist",
    "site-packages",
    "*.egg-info",
    ".ipynb_checkpoints",
)
VENDORED_DIRECTORIES = (
    "third_party",
    "third-party",
    "thirdparty",
    "3rdparty",
    "vendor",
    "_vendor",
    "vendored",
    "external",
)
"""Where projects keep another project's code (xformers' ``third_party/cutlass``): its
CUDA is that project's port, not this one's, and would bury the project's own findings
(435 of xformers' 1,577). Skipped by default; ``check --include-vendored`` reads them."""
DEFAULT_EXCLUDES: tuple[str, ...] = (*_BUILT_IN_EXCLUDES, *VENDORED_DIRECTORIES)


@dataclass(frozen=True)
class SourceFile:
    """A file to check: where it is on disk, how reports name it, and how to read it."""

    path: Path
    display: str
    kind: str  # "python", "notebook", "requirements" (pip's format) or "text"


def file_kind(path: str) -> str | None:
    """What a file is, from its ``/``-separated path (a bare name will do, except for
    ``requirements/cuda.txt``, a requirements file by its directory)."""
    name = path.rpartition("/")[2]
    if requirements.is_requirements_file(path):
        return "requirements"
    if name.endswith(PYTHON_SUFFIXES):
        return "python"
    if name.endswith(NOTEBOOK_SUFFIX):
        return "notebook"
    if name.endswith(NATIVE_SUFFIXES) or name in MANIFEST_NAMES:
        return "text"
    if MANIFEST_PATTERN.match(name):
        return "text"
    return None


def display_path(path: Path, root: Path) -> str:
    """Relative to the run root and ``/``-separated, as the JSON contract wants."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def is_excluded(relative: str, patterns: Sequence[str], directory: bool = False) -> bool:
    """Whether ``exclude`` patterns skip a run-relative ``/``-separated path, with
    gitignore semantics (pathspec, as git and ruff): ``build`` skips any file or directory
    of that name, ``/build`` only the top one, ``build/`` only directories, a pattern with
    an inner ``/`` is anchored to the root, ``*`` stays within a path component, ``**``
    crosses them, and ``!keep.py`` re-includes what an earlier pattern skipped (not
    inside a skipped directory, as in git). ``directory``: the path is a directory."""
    return _spec(tuple(patterns)).match_file(f"{relative}/" if directory else relative)


@lru_cache(maxsize=32)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    """Compiled once per pattern list: a walk asks thousands of times."""
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def discover(
    paths: Iterable[Path],
    root: Path,
    excludes: Sequence[str] = (),
    defaults: Sequence[str] = DEFAULT_EXCLUDES,
) -> tuple[list[SourceFile], list[Diagnostic]]:
    """``defaults`` are the built-in skips; a configuration's ``exclude`` replaces them."""
    patterns = (*defaults, *excludes)
    files: dict[str, SourceFile] = {}
    diagnostics: list[Diagnostic] = []
    trees: list[str] = []
    for path in paths:
        display = display_path(path, root)
        if path.is_symlink() and not path.exists():
            diagnostics.append(_broken_link(path, display))
        elif path.is_dir():
            trees.append(os.path.realpath(path))
            _walk(path, root, patterns, files, diagnostics, seen=set())
        elif path.exists():
            trees.append(os.path.realpath(path.parent))
            kind = file_kind(display) or "python"
            files.setdefault(display, SourceFile(path, display, kind))
        else:
            diagnostics.append(
                Diagnostic(display, "path-not-found", f"{display}: no such file or directory")
            )
    _add_included_requirements(files, trees, root, patterns)
    return [files[key] for key in sorted(files)], sorted(diagnostics, key=Diagnostic.sort_key)


def _walk(
    directory: Path,
    root: Path,
    patterns: Sequence[str],
    files: dict[str, SourceFile],
    diagnostics: list[Diagnostic],
    seen: set[tuple[int, int]],
) -> None:
    try:
        status = directory.stat()
    except OSError as error:
        display = display_path(directory, root)
        diagnostics.append(_unreachable(display, error))
        return
    identity = (status.st_dev, status.st_ino)
    if identity in seen:
        display = display_path(directory, root)
        diagnostics.append(
            Diagnostic(
                display,
                "symlink-loop",
                f"{display}: symlink leads back to a directory already visited; not followed",
                severity="warning",
            )
        )
        return
    seen.add(identity)
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as error:
        diagnostics.append(_unreachable(display_path(directory, root), error))
        return
    for entry in entries:
        entry_path = Path(entry.path)
        display = display_path(entry_path, root)
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError as error:
            if not is_excluded(display, patterns):
                link = entry.is_symlink()
                diagnostics.append(
                    _broken_link(entry_path, display) if link else _unreachable(display, error)
                )
            continue
        # outside the run root the path is absolute: only the entry's own name can match
        matched = entry.name if os.path.isabs(display) else display
        if is_excluded(matched, patterns, directory=is_dir):
            if is_dir and entry.name in patterns and entry.name in VENDORED_DIRECTORIES:
                _note_vendored(entry_path, display, diagnostics)
            continue
        if is_dir:
            if (entry_path / "pyvenv.cfg").exists():
                continue
            _walk(entry_path, root, patterns, files, diagnostics, seen)
            continue
        kind = file_kind(display)
        if kind is None:
            continue
        if entry.is_symlink() and not is_file:
            diagnostics.append(_broken_link(entry_path, display))
            continue
        files.setdefault(display, SourceFile(entry_path, display, kind))


VENDORED_SKIPPED = "vendored-skipped"


def _note_vendored(directory: Path, display: str, diagnostics: list[Diagnostic]) -> None:
    """One line for a vendored tree the run skips, with the number of files it would
    have read there, so that a skip is never silent."""
    try:
        if not directory.is_dir() or directory.is_symlink():
            return
    except OSError:
        return
    count = 0
    for folder, subdirectories, names in os.walk(directory, onerror=lambda _error: None):
        subdirectories[:] = [name for name in subdirectories if name not in _BUILT_IN_EXCLUDES]
        relative = Path(folder).relative_to(directory).as_posix()
        count += sum(1 for name in names if file_kind(f"{relative}/{name}") is not None)
    noun = "file" if count == 1 else "files"
    diagnostics.append(
        Diagnostic(
            display,
            VENDORED_SKIPPED,
            f"{display}: vendored tree skipped ({count:,} {noun} to check; "
            "--include-vendored checks it)",
            severity="info",
        )
    )


def _add_included_requirements(
    files: dict[str, SourceFile], trees: Sequence[str], root: Path, patterns: Sequence[str]
) -> None:
    """Add the files that requirements files pull in with ``-r``/``-c``, as pip resolves
    them (relative to the including file), whatever their names, transitively. Only files
    inside an audited tree (a directory of the run, or the directory of a file named on
    the command line) and not excluded are read; a file already listed is not read
    twice, so include cycles end."""
    pending = [file for file in files.values() if file.kind == "requirements"]
    while pending:
        including = pending.pop()
        source = read_source(including.path, including.display)
        if isinstance(source, Diagnostic):
            continue  # the analysis of the file reports it
        for name in requirements.included_files(source.text):
            path = Path(os.path.normpath(including.path.parent / name))
            display = display_path(path, root)
            if display in files or not _inside(path, trees) or not path.is_file():
                continue
            if is_excluded(display, patterns):
                continue
            files[display] = SourceFile(path, display, "requirements")
            pending.append(files[display])


def _inside(path: Path, trees: Sequence[str]) -> bool:
    real = os.path.realpath(path)
    return any(os.path.commonpath((real, tree)) == tree for tree in trees)


def _broken_link(path: Path, display: str) -> Diagnostic:
    try:
        path.stat()
        reason = "cannot be followed"
    except OSError as error:
        reason = "is a symlink loop" if error.errno == 40 else "is a broken symlink"
    code = "symlink-loop" if "loop" in reason else "broken-symlink"
    return Diagnostic(display, code, f"{display}: {reason}; skipped", severity="warning")


def _unreachable(display: str, error: OSError) -> Diagnostic:
    return Diagnostic(display, "read-error", f"{display}: {error.strerror or error}")
