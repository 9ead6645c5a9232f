"""Reading a file's text safely: every way a file can be unreadable is a diagnostic.

Python sources honour their PEP 263 coding cookie; anything that is not text (NUL
bytes, undecodable bytes) or is too large to be a hand-written source is reported and
skipped, so one bad file never stops a run.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from portcheck.model import Diagnostic

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_BRACKET_DEPTH = 200
"""CPython rejects deeper nesting ("too many nested parentheses"); libcst's native parser
crashes the whole process on a few thousand levels, so such files never reach it."""
NOT_BRACKETS = re.compile(r"[^\[\](){}]+")


@dataclass(frozen=True)
class SourceText:
    text: str
    raw: bytes
    encoding: str


def read_source(
    path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> SourceText | Diagnostic:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Diagnostic(
                display,
                "file-too-large",
                f"{display}: {size} bytes is over the {max_bytes}-byte limit; skipped "
                "(raise it with --max-file-size)",
                severity="warning",
            )
        raw = path.read_bytes()
    except OSError as error:
        return Diagnostic(display, "read-error", f"{display}: cannot read: {error.strerror}")
    return decode_source(raw, display)


def decode_source(raw: bytes, display: str) -> SourceText | Diagnostic:
    if not raw.strip():
        return Diagnostic(display, "empty-file", f"{display}: empty file", severity="info")
    if b"\x00" in raw:
        return Diagnostic(
            display, "binary-file", f"{display}: contains NUL bytes, not a text file; skipped"
        )
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:
        return Diagnostic(display, "decode-error", f"{display}: {error.msg}")
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        return Diagnostic(
            display,
            "decode-error",
            f"{display}: not valid {encoding} ({error}); add a PEP 263 coding line or "
            "re-encode the file",
        )
    return SourceText(text=text.lstrip("\ufeff"), raw=raw, encoding=encoding)


def bracket_depth_exceeds(text: str, limit: int = MAX_BRACKET_DEPTH) -> bool:
    """Whether brackets nest deeper than ``limit`` (brackets inside strings count too:
    that can only over-estimate, and no real source comes near the limit)."""
    depth = 0
    for char in NOT_BRACKETS.sub("", text):
        depth = depth + 1 if char in "([{" else max(depth - 1, 0)
        if depth > limit:
            return True
    return False


@lru_cache(maxsize=1)
def python_ast(text: str) -> ast.Module | None:
    """Python's own parse of ``text``, or None if Python rejects it.

    Remembered for the last text: the prefilter and the positions of reported nodes
    both need it for the file being analysed, which is parsed only once.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
