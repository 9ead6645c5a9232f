"""Writing a report or a baseline so that a failure never loses the file it replaces.

The text goes to a temporary file beside the target and replaces it with one rename:
an error (a full disk, a name that cannot be encoded, a crash) leaves the old file as
it was. A file name that is not valid UTF-8 (``bad\\xff.py``) reaches the text as a lone
surrogate and is written as the escape ``\\udcff``, which in JSON is that same string.
A target that exists and is not a regular file (``/dev/stdout``, a FIFO) is written
directly: renaming over it would replace the device.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


class OutputError(Exception):
    """The output cannot be written; the message names it and says why."""


def encode_text(text: str) -> bytes:
    return text.encode("utf-8", "backslashreplace")


def write_output(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one step, or raise :class:`OutputError`."""
    data = encode_text(text)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise OutputError(f"{path}: cannot write: {error.strerror}") from error
    try:
        if status is not None and stat.S_ISDIR(status.st_mode):
            raise OutputError(f"{path}: is a directory; name a file to write")
        if status is not None and not stat.S_ISREG(status.st_mode):
            with open(path, "wb") as stream:
                stream.write(data)
            return
        _replace(path, data, None if status is None else stat.S_IMODE(status.st_mode))
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputError(f"{path}: cannot write: {reason}; nothing was changed") from error


def _replace(path: Path, data: bytes, mode: int | None) -> None:
    directory = path.parent
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
