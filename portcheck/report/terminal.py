"""Text safe to print where people and CI runners read it: a terminal or a log.

Paths, messages and code in a report come from the analysed repository, which anyone
can commit to. A file name holding a newline and ``::error ...`` would become a GitHub
workflow command in a CI log; a carriage return or an ANSI escape rewrites what a
terminal shows, and a bidirectional override (U+202E) reverses it. Every such character
is written as its Python escape (``\\n``, ``\\x1b``, ``\\u202e``) instead.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]"
)


def printable(text: str) -> str:
    """``text`` with control, line-separating and bidirectional characters escaped."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")
