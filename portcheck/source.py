"""Reading a file's text safely: every way a file can be unreadable is a diagnostic.

Python sources honour their PEP 263 coding cookie; anything that is not text (NUL
bytes, undecodable bytes) or is too large to be a hand-written source is reported and
skipped, so one bad file never stops a run.
"""

from __future__ import annotations

import ast
import io
import os
import re
import stat
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
MAX_TREE_DEPTH = 200
"""Chains nest without brackets: ``torch`` + ``.cuda`` x 7,000 or ``1`` + `` + 1`` x 12,000
kill libcst's native parser (SIGSEGV, libcst 1.9), and its time grows with the square of
a chain's length (0.3 s for 400 links, 12 s for 2,000); Python's own parser gives up
("recursion depth exceeded") from about 3,000. Real code stays far below: the deepest
tree of 2,000 vllm files is 21 levels. Deeper trees are skipped with a diagnostic."""
NOT_BRACKETS = re.compile(r"[^\[\](){}]+")


@dataclass(frozen=True)
class SourceText:
    text: str
    raw: bytes
    encoding: str


class NotRegularFile(OSError):
    """A FIFO, a device or a socket named like a source: reading it could block forever
    or never end (``/dev/zero``), so it is never read."""


class FileTooLarge(OSError):
    """More bytes than the limit: found by the file's size or while reading it."""


def read_source(
    path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> SourceText | Diagnostic:
    try:
        raw = read_regular_file(path, max_bytes)
    except NotRegularFile:
        return Diagnostic(
            display, "not-a-file", f"{display}: not a regular file (a FIFO or a device); skipped"
        )
    except FileTooLarge:
        return too_large(display, max_bytes)
    except OSError as error:
        return Diagnostic(display, "read-error", f"{display}: cannot read: {error.strerror}")
    return decode_source(raw, display)


def too_large(display: str, max_bytes: int) -> Diagnostic:
    return Diagnostic(
        display,
        "file-too-large",
        f"{display}: over the {max_bytes}-byte limit; skipped (raise it with --max-file-size)",
        severity="warning",
    )


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``max_bytes``.

    It is opened without blocking (a FIFO with no writer would block) and checked before
    anything is read, and the limit holds while reading, whatever size the file claims.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    handle = os.open(path, flags | getattr(os, "O_BINARY", 0))
    with os.fdopen(handle, "rb") as stream:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFile(path)
        if status.st_size > max_bytes:
            raise FileTooLarge(path)
        raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise FileTooLarge(path)
    return raw


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


def nesting_problem(text: str) -> str | None:
    """Why ``text`` nests too deeply for libcst's native parser, or None if it does not.

    Brackets are counted in the text; chains need the tree, which Python's own parser
    builds at a hundredth of libcst's cost (and the prefilter has usually built it). A
    file Python rejects has no tree: it is tokenized instead, and a statement with more
    operators than a tree may be deep is not risked (Python's error is reported).
    """
    if bracket_depth_exceeds(text):
        return f"brackets nested more than {MAX_BRACKET_DEPTH} deep, which Python itself rejects"
    tree = _python_parse(text)
    if tree is _TOO_DEEP:
        return "expressions nested too deeply for Python's own parser"
    if isinstance(tree, ast.Module):
        return (
            f"expressions nested more than {MAX_TREE_DEPTH} deep"
            if tree_depth_exceeds(tree)
            else None
        )
    if isinstance(tree, SyntaxError) and _may_chain_deeply(text):
        return f"line {tree.lineno}: {tree.msg}, and a statement too long to risk libcst's parser"
    return None


def _may_chain_deeply(text: str) -> bool:
    """Whether a logical line has more than twice ``MAX_TREE_DEPTH`` operators, so that
    libcst may build a chain deeper than that."""
    operators = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.OP or token.string in ("and", "or", "not"):
                operators += 1
                if operators > MAX_TREE_DEPTH * 2:
                    return True
            elif token.type == tokenize.NEWLINE:
                operators = 0
    except (SyntaxError, tokenize.TokenError):
        pass  # an unclosed bracket: what follows it was counted as one statement
    return False


def tree_depth_exceeds(tree: ast.AST, limit: int = MAX_TREE_DEPTH) -> bool:
    """Whether the tree is deeper than ``limit``, counting ``a and b and c`` (one node
    in Python's tree) as libcst nests it, one level per operand.

    Each level of a chain takes at least one character, so a node written on one line
    in fewer characters than the levels left is not entered: the walk visits statements
    and multi-line expressions, not every node.
    """
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if type(node) is ast.BoolOp:
            depth += len(node.values)
        if depth > limit:
            return True
        line = getattr(node, "lineno", None)
        if line is not None and line == getattr(node, "end_lineno", None):
            width = (node.end_col_offset or 0) - node.col_offset  # type: ignore[attr-defined]
            if depth + width <= limit:
                continue
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


_TOO_DEEP = "too deep"


def python_ast(text: str) -> ast.Module | None:
    """Python's own parse of ``text``, or None if Python rejects it."""
    tree = _python_parse(text)
    return tree if isinstance(tree, ast.Module) else None


@lru_cache(maxsize=1)
def _python_parse(text: str) -> ast.Module | str | SyntaxError | None:
    """Python's own parse of ``text``; ``_TOO_DEEP`` if it nests too deeply for Python's
    parser, its error if it rejects the syntax, None if it rejects it otherwise.

    Remembered for the last text: the prefilter, the nesting check and the positions of
    reported nodes all need it for the file being analysed, which is parsed only once.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except SyntaxError as error:
        return error
    except ValueError:
        return None
    except (RecursionError, MemoryError):
        return _TOO_DEEP
