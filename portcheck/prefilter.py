"""The cheap text scan that keeps most files of a large repository away from the parser.

A file is parsed only if its bytes contain one of the trigger words of the enabled
rules. Every rule declares its triggers (a rule that declares none disables the
prefilter), so the scan can only skip files in which no rule could match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class Prefilter:
    def __init__(self, words: Iterable[str] | None) -> None:
        self.pattern = (
            None
            if words is None
            else re.compile(
                b"|".join(re.escape(word.encode()) for word in sorted(set(words))), re.IGNORECASE
            )
        )

    def may_match(self, raw: bytes) -> bool:
        return self.pattern is None or self.pattern.search(raw) is not None
