"""Writing a fixed file so that a crash, a full disk or a race never leaves half a file.

The new content goes to a temporary file in the same directory (same file system),
takes the original's permission bits, and replaces the original with one rename.
A file that changed on disk since it was read, or that is marked read-only, is left
alone; every failure is a diagnostic, never an exception.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from portcheck.model import Diagnostic
from portcheck.source import SourceText

UTF8_BOM = b"\xef\xbb\xbf"


def write_fixed_source(
    path: Path, display: str, text: str, original: SourceText
) -> Diagnostic | None:
    """Write ``text`` over ``path`` in the original's encoding; a Diagnostic if it cannot."""
    target = path.resolve()
    try:
        data = encode_like(text, original)
    except UnicodeEncodeError as error:
        return _failure(display, f"the fix does not fit the file's {original.encoding} ({error})")
    try:
        status = target.stat()
        if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
            target, os.W_OK
        ):
            return _failure(display, "the file is read-only")
        if target.read_bytes() != original.raw:
            return _failure(display, "the file changed on disk while it was being fixed")
        _replace_atomically(target, data, stat.S_IMODE(status.st_mode))
    except OSError as error:
        return _failure(display, error.strerror or str(error))
    return None


def encode_like(text: str, original: SourceText) -> bytes:
    """``text`` in the encoding ``original`` was read with, UTF-8 byte-order mark included."""
    data = text.encode(original.encoding)
    if original.raw.startswith(UTF8_BOM) and not data.startswith(UTF8_BOM):
        data = UTF8_BOM + data
    return data


def _replace_atomically(target: Path, data: bytes, mode: int) -> None:
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".portcheck"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _failure(display: str, reason: str) -> Diagnostic:
    return Diagnostic(
        display, "write-error", f"{display}: not fixed: {reason}; the file is left unchanged"
    )
