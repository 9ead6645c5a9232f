"""Every option of ``portcheck check`` as one record.

``report`` is ``check`` with an audit format and no gate: it builds the same record from
the options it takes and leaves the rest at the defaults below, so the two commands share
one definition of what a run is and cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from portcheck.source import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from portcheck.shard import Shard


@dataclass(frozen=True)
class CheckOptions:
    """What the command line asked for; the defaults are the command line's defaults."""

    paths: tuple[Path, ...] = ()
    output_format: str = "text"
    output: Path | None = None
    config_file: Path | None = None
    show_settings: bool = False
    # what a run analyses (shared by check, report and baseline)
    target: str | None = None
    chip: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    jobs: int | None = None
    include_vendored: bool = False
    # what is reported and when the gate fails
    baseline: Path | None = None
    diff_base: str | None = None
    fail_under: float | None = None
    fail_on: tuple[str, ...] = ()
    exit_zero: bool = False
    # how files are read and analysed
    no_prefilter: bool = False
    no_fast_path: bool = False
    no_cache: bool = False
    cache_dir: Path | None = None
    max_file_size: int = DEFAULT_MAX_BYTES
    stdin_filename: str | None = None
    shard: Shard | None = None
    # fixing
    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False

    @property
    def reads_stdin(self) -> bool:
        return Path("-") in self.paths

    @property
    def scan_paths(self) -> list[Path]:
        return list(self.paths) or [Path(".")]
