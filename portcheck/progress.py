"""A progress bar for long audits, drawn on standard error only when it is a terminal.

A few lines of ``\\r`` redrawing are enough here: one bar, one counter, no colours, so
CI logs and redirected output never see it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from portcheck.schedule import Progress

REDRAW_SECONDS = 0.1


class ProgressBar:
    """``Analysing [#####.....] 1,234/5,678 files 21%``, redrawn at most every 0.1 s."""

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        columns: int | None = None,
        label: str = "Analysing",
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.columns = columns or shutil.get_terminal_size().columns
        self.label = label
        self.last_drawn = -REDRAW_SECONDS
        self.drawn = False

    def line(self, done: int, total: int) -> str:
        counter = f"{done:,}/{total:,} files {100 * done // max(total, 1):3d}%"
        width = max(10, min(40, self.columns - len(counter) - 16))
        filled = width * done // max(total, 1)
        return f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {counter}"

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if done < total and now - self.last_drawn < REDRAW_SECONDS:
            return
        self.last_drawn = now
        self.drawn = True
        self.stream.write("\r" + self.line(done, total))
        self.stream.flush()

    def clear(self) -> None:
        """Erase the bar so that the report starts on a clean line."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


@contextmanager
def progress_bar(stream: TextIO) -> Iterator[Progress | None]:
    """A bar on ``stream`` if it is a terminal, else None (no output at all)."""
    if not stream.isatty():
        yield None
        return
    bar = ProgressBar(stream)
    try:
        yield bar
    finally:
        bar.clear()
