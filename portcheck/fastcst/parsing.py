"""libcst's parser, without re-validating every node it builds.

Every libcst node checks its own fields when constructed (``CSTNode.__post_init__``
calls ``_validate``): that catches a bad tree built by hand, and costs about a tenth of
parsing a file, where the nodes come from libcst's own parser, which only builds valid
ones (libcst's source says as much: "it might make more sense to move validation work
into the visitor, which would allow us to avoid validating the tree when parsing a
file"). :func:`parse_module` skips it while the parser runs; nodes built anywhere else
at the same time (a fix being made in another thread of an editor server) are not
validated either, which costs nothing a fix relies on: a fixed file is parsed again
before it is written. Overlapping uses are counted, so validation comes back when the
last one ends.
"""

from __future__ import annotations

import threading

import libcst as cst

_VALIDATING_POST_INIT = cst.CSTNode.__post_init__
_LOCK = threading.Lock()
_ACTIVE = 0


def parse_module(text: str) -> cst.Module:
    """``libcst.parse_module(text)``, the same tree, built without validation."""
    global _ACTIVE
    with _LOCK:
        _ACTIVE += 1
        cst.CSTNode.__post_init__ = _skip_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    finally:
        with _LOCK:
            _ACTIVE -= 1
            if _ACTIVE == 0:
                cst.CSTNode.__post_init__ = _VALIDATING_POST_INIT  # type: ignore[method-assign]


def _skip_validation(node: cst.CSTNode) -> None:
    """Stands in for ``CSTNode.__post_init__`` while the parser runs."""
