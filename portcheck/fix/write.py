"""Writing a fixed file so that a crash, a full disk or a race never leaves half a file.

The new content goes to a temporary file in the same directory (same file system),
takes the original's permission bits, and replaces the original with one rename.
A file that changed on disk since it was read, that is marked read-only, that has other
hard links (replacing it would break them) or that is a symlink to a file outside the
tree being fixed (the working directory) is left alone; so is one whose owner cannot
be kept. Every failure is a diagnostic, never an exception.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from portcheck.model import Diagnostic
from portcheck.source import SourceText, read_regular_file

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
    through_link = Path(os.path.abspath(path)) != target
    if through_link and not target.is_relative_to(Path.cwd().resolve()):
        return _failure(display, f"it leads to {target}, outside the tree being fixed")
    try:
        status = target.stat()
        if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
            target, os.W_OK
        ):
            return _failure(display, "the file is read-only")
        if status.st_nlink > 1:
            return _failure(
                display,
                f"it has {status.st_nlink} hard links, which replacing it would break "
                "(--diff shows the change to make by hand)",
            )
        if read_regular_file(target, len(original.raw)) != original.raw:
            return _failure(display, "the file changed on disk while it was being fixed")
        _replace_atomically(target, data, status)
    except OSError as error:
        return _failure(display, error.strerror or str(error))
    return None


def encode_like(text: str, original: SourceText) -> bytes:
    """``text`` in the encoding ``original`` was read with, UTF-8 byte-order mark included."""
    data = text.encode(original.encoding)
    if original.raw.startswith(UTF8_BOM) and not data.startswith(UTF8_BOM):
        data = UTF8_BOM + data
    return data


def _replace_atomically(target: Path, data: bytes, status: os.stat_result) -> None:
    """The new file takes the original's permission bits and owner (a fix run as root
    must not hand a user's file to root); if the owner cannot be kept, nothing changes."""
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".portcheck"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        written = os.stat(temporary)
        if (written.st_uid, written.st_gid) != (status.st_uid, status.st_gid):
            os.chown(temporary, status.st_uid, status.st_gid)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _failure(display: str, reason: str) -> Diagnostic:
    return Diagnostic(
        display, "write-error", f"{display}: not fixed: {reason}; the file is left unchanged"
    )
