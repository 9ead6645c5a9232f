"""``--shard K/N``: one of N shares of a run's files, for N jobs of a CI matrix.

A file belongs to the shard its display path hashes to, so the split is the same on
every machine and in every run, and adding or removing a file never moves another one
to a different shard (a split by position would move most of them). Diagnostics of
discovery go with the shard of their path, so merging the N reports
(``portcheck merge``) gives exactly the report of one run over the whole tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from portcheck.discover import SourceFile
from portcheck.model import Diagnostic


@dataclass(frozen=True)
class Shard:
    """Share ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``K/N`` with 1 <= K <= N; ValueError with a message for the user otherwise."""
        index, separator, count = text.partition("/")
        try:
            shard = cls(int(index), int(count))
        except ValueError:
            shard = None
        if not separator or shard is None or not 1 <= shard.index <= shard.count:
            raise ValueError(f"{text!r} is not K/N with 1 <= K <= N (e.g. 2/4)")
        return shard

    def holds(self, display: str) -> bool:
        digest = hashlib.blake2b(display.encode("utf-8", "surrogatepass"), digest_size=8)
        return int.from_bytes(digest.digest(), "big") % self.count == self.index - 1

    def select(
        self, files: Sequence[SourceFile], diagnostics: Sequence[Diagnostic]
    ) -> tuple[list[SourceFile], list[Diagnostic]]:
        """The files and discovery diagnostics of this shard."""
        return (
            [source_file for source_file in files if self.holds(source_file.display)],
            [diagnostic for diagnostic in diagnostics if self.holds(diagnostic.path)],
        )
