"""Diff-aware runs: which lines changed since a git revision.

``check --diff-base REF`` reports only findings on lines that differ between REF and
the working tree (staged or not), so a pull request is judged on what it touches. Files
that are new since REF, and untracked files git does not ignore, count whole. A renamed
file counts by its changed lines only: moving code is not new code.
"""

from __future__ import annotations

import posixpath
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")
_QUOTED_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


class GitDiffError(Exception):
    """git is missing, the directory is not a repository, or REF is unknown."""


@dataclass(frozen=True)
class ChangedLines:
    """Absolute posix path → changed line numbers; None means the whole file is new."""

    files: Mapping[str, frozenset[int] | None] = field(default_factory=dict, hash=False)

    def touches(self, path: str, first: int, last: int) -> bool:
        if path not in self.files:
            return False
        lines = self.files[path]
        return lines is None or any(line in lines for line in range(first, last + 1))


def changed_lines(ref: str, cwd: Path) -> ChangedLines:
    """The lines changed since ``ref`` in the git work tree that holds ``cwd``."""
    top = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd, what=f"revision {ref!r}")
    diff = _git(
        [
            "-c",
            "core.quotePath=false",
            "diff",
            "--unified=0",
            "--no-color",
            "--no-ext-diff",
            "--find-renames",
            ref,
            "--",
        ],
        Path(top),
    )
    files: dict[str, frozenset[int] | None] = dict(parse_diff(diff))
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], Path(top))
    for name in filter(None, untracked.split("\0")):
        files[name] = None
    return ChangedLines({posixpath.join(top, name): lines for name, lines in files.items()})


def _git(arguments: list[str], cwd: Path, what: str = "") -> str:
    try:
        completed = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, check=False)
    except OSError as error:
        raise GitDiffError(f"--diff-base needs git on PATH ({error.strerror})") from error
    if completed.returncode != 0:
        detail = _text(completed.stderr).strip().splitlines()
        reason = detail[-1] if detail else f"git {arguments[0]} failed"
        if what:
            reason = f"unknown {what}"
        raise GitDiffError(f"--diff-base: {reason}")
    return _text(completed.stdout)


def _text(output: bytes) -> str:
    """git's output as text: file names and diffed lines are bytes in no known encoding (a
    latin-1 source, a name such as ``bad\\xff.py``), kept as the same surrogate escapes
    that ``os.fsdecode`` gives the walked paths, so both name a file alike."""
    return output.decode("utf-8", "surrogateescape")


def parse_diff(diff: str) -> dict[str, frozenset[int] | None]:
    """Path (relative to the repository top) → added or changed lines of a ``-U0`` diff."""
    files: dict[str, set[int] | None] = {}
    current: str | None = None
    is_new = False
    for line in diff.splitlines():
        if line.startswith("--- "):
            is_new = line == "--- /dev/null"
        elif line.startswith("+++ "):
            current = _diff_path(line[4:])
            if current is not None:
                files[current] = None if is_new else set()
        elif current is not None and line.startswith("@@"):
            match = _HUNK.match(line)
            lines = files[current]
            if match is not None and lines is not None:
                start = int(match["start"])
                count = int(match["count"]) if match["count"] is not None else 1
                lines.update(range(start, start + count))
    return {path: None if lines is None else frozenset(lines) for path, lines in files.items()}


def _diff_path(text: str) -> str | None:
    """``b/path`` (possibly C-quoted by git) → ``path``; ``/dev/null`` → None.

    git ends the name with a tab when it holds a space (so patch tools can find its end).
    """
    if text.endswith("\t"):
        text = text[:-1]
    if text == "/dev/null":
        return None
    if text.startswith('"') and text.endswith('"'):
        text = _unquote(text[1:-1])
    return text[2:] if text.startswith("b/") else text


def _unquote(text: str) -> str:
    """Undo git's C-style quoting of a path (octal escapes are UTF-8 bytes)."""
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following in "01234567":
                out.append(int(text[index + 1 : index + 4], 8))
                index += 4
                continue
            out.extend(_QUOTED_ESCAPES.get(following, following).encode("utf-8", "surrogateescape"))
            index += 2
            continue
        out.extend(char.encode("utf-8", "surrogateescape"))
        index += 1
    return _text(bytes(out))
