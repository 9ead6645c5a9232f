"""Running work that may kill its process (libcst's native parser) in a forked child.

libcst parses in native code; some inputs overflow its stack and the process dies with
SIGSEGV, which no ``except`` can catch. Work done in the parent's own process (a run of
a few files, ``--fix``, standard input, the editor server) goes to one forked child that
does the items in order and hands each result back through a pipe as soon as it is
done: if the child dies, the item it was on is the one that kills it, it is answered
with ``crashed(item)``, and a new child goes on with the next. A fork costs a few
milliseconds and starts with everything the parent has loaded.

Where ``os.fork`` does not exist, the work runs in the parent, unprotected.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

PR_SET_PDEATHSIG = 1


class _Raised:
    """An exception the work raised in the child, re-raised in the parent."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def each_isolated(
    work: Callable[[Item], Result],
    items: Sequence[Item],
    crashed: Callable[[Item], Result],
) -> Iterator[Result]:
    """``work(item)`` for every item, in order, each computed in a forked child."""
    if not hasattr(os, "fork"):
        yield from map(work, items)
        return
    start = 0
    while start < len(items):
        done = 0
        for answer in _in_child(work, items[start:]):
            if isinstance(answer, _Raised):
                raise answer.error
            done += 1
            yield answer
        start += done
        if start < len(items):
            yield crashed(items[start])
            start += 1


def run_isolated(work: Callable[[], Result], crashed: Callable[[], Result]) -> Result:
    """``work()`` in a forked child; ``crashed()`` if the child dies before answering."""
    return next(each_isolated(lambda _: work(), (None,), lambda _: crashed()))


def _in_child(work: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result | _Raised]:
    """The answers of one child, until it has done every item or has died."""
    reading, writing = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns to the caller's code
        status = 0
        try:
            os.close(reading)
            with os.fdopen(writing, "wb") as out:
                for item in items:
                    try:
                        answer: object = work(item)
                    except BaseException as error:  # handed to the parent, which raises it
                        answer = _Raised(error)
                    pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()
                    if isinstance(answer, _Raised):
                        break
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(writing)
    try:
        with os.fdopen(reading, "rb") as stream:
            while True:
                try:
                    yield pickle.load(stream)
                except (EOFError, pickle.UnpicklingError):
                    return
    finally:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to kill this process when its parent dies (a worker must not outlive a
    ``kill -9`` of the run); elsewhere nothing is done.

    A parent killed before the request is not noticed by it: given the pid of the
    parent that started this worker, a worker that finds another parent exits at once
    (one was left waiting forever when the run was killed as its pool started).
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)
