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
last one ends, even when the parser raises.

Measured on the 80 files (49,518 lines) of the accelerate 1.15.0 and mmengine 0.10.7
wheels that portcheck parses, libcst 1.9.0: 5.82 s of CPU instead of 6.99 s (17% of
parsing, which is about 40% of a ``--jobs 1`` run), enough to keep the cold benchmark
under its 0.25 × target.
"""

from __future__ import annotations

import libcst as cst

from portcheck.fastcst.libcst_internals import swapped


def parse_module(text: str) -> cst.Module:
    """``libcst.parse_module(text)``, the same tree, built without validation."""
    with swapped(cst.CSTNode, "__post_init__", _skip_validation):
        return cst.parse_module(text)


def _skip_validation(node: cst.CSTNode) -> None:
    """Stands in for ``CSTNode.__post_init__`` while the parser runs."""
