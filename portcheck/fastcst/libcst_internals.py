"""Every part of libcst the fast path relies on that libcst does not promise to keep,
and the switch that turns the fast path off.

The fast path (this package) gives the rules libcst's own answers more cheaply by
reaching into libcst: private classes (the batched visitor, the scope visitor, the
code generation state), the node modules that hold whitespace and punctuation, the
wrapper's private metadata store, the source of each node's
``_visit_and_replace_children`` (for its field order), and two methods of
``CSTNode`` swapped while a file is analysed (``visit``, ``__post_init__``). All of it
is looked up here, once, on first use: if a libcst release moved any of it, portcheck
says so once on stderr and runs on libcst's public API alone, never crashing on it.

``PORTCHECK_FAST_PATH=0`` (or ``portcheck check --no-fast-path``) turns the fast path
off on purpose: libcst's ``parse_module`` with node validation, ``MetadataWrapper``
resolving libcst's own providers, ``CSTNode.visit`` and libcst's visitor dispatch. The
findings and fixes are the same either way (the tests compare them on the fixtures);
only the time differs. The garbage-collector tuning of :mod:`.collector` is not libcst's
and stays on.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper

SWITCH = "PORTCHECK_FAST_PATH"
"""The environment variable; ``0`` (or ``false``, ``no``, ``off``) turns the fast path off."""
_OFF = frozenset({"0", "false", "no", "off"})

PRIVATE_NAMES: dict[str, tuple[str, str | None]] = {
    "batched_visitor": ("libcst._batched_visitor", "_BatchedCSTVisitor"),
    "scope_visitor": ("libcst.metadata.scope_provider", "ScopeVisitor"),
    "codegen_state": ("libcst._nodes.internal", "CodegenState"),
    "op_module": ("libcst._nodes.op", None),
    "whitespace_module": ("libcst._nodes.whitespace", None),
}
"""What the fast path imports from libcst's private modules: (module, name), or the
module itself when the name is None."""


@dataclass(frozen=True)
class Internals:
    """libcst's private parts, found in the installed release."""

    batched_visitor: type[Any]
    """``_BatchedCSTVisitor``: how ``MetadataWrapper.visit_batched`` runs the rules."""
    scope_visitor: type[Any]
    """``ScopeVisitor``: the scope analysis, which never looks at whitespace nodes."""
    codegen_state: type[Any]
    """``CodegenState``: code generation, which positions are computed from."""
    formatting_modules: tuple[ModuleType, ...]
    """The modules of the whitespace, comment and punctuation node classes."""


def fast_path() -> bool:
    """Whether to take the fast path: not switched off, and libcst has all it needs."""
    if os.environ.get(SWITCH, "1").strip().lower() in _OFF:
        return False
    return internals() is not None


@cache
def internals() -> Internals | None:
    """libcst's private parts, or None (after one warning) when any of them is missing.

    The switch is then turned off in this process's environment, so worker processes
    take the plain path without warning again.
    """
    try:
        found = {key: _find(*where) for key, where in PRIVATE_NAMES.items()}
        _check_public_layout()
    except (ImportError, AttributeError, TypeError) as error:
        print(
            f"portcheck: warning: libcst {libcst_version()} lacks what the fast path uses "
            f"({error}); using libcst's public API only (slower, same results). "
            f"Set {SWITCH}=0 to silence this.",
            file=sys.stderr,
        )
        os.environ[SWITCH] = "0"
        return None
    return Internals(
        batched_visitor=found["batched_visitor"],
        scope_visitor=found["scope_visitor"],
        codegen_state=found["codegen_state"],
        formatting_modules=(found["op_module"], found["whitespace_module"]),
    )


def libcst_version() -> str:
    """The installed libcst's version, as its distribution metadata says."""
    try:
        return importlib.metadata.version("libcst")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _find(module_name: str, name: str | None) -> Any:
    module = importlib.import_module(module_name)
    return module if name is None else getattr(module, name)


def _check_public_layout() -> None:
    """What the fast path reads or swaps on public classes is still there."""
    for attribute in ("visit", "__post_init__", "_validate", "_codegen"):
        getattr(cst.CSTNode, attribute)
    cst.Call._visit_and_replace_children  # noqa: B018 - its source gives the field order
    if not isinstance(metadata_store(MetadataWrapper(cst.Module([]), unsafe_skip_copy=True)), dict):
        raise AttributeError("MetadataWrapper._metadata")


def metadata_store(wrapper: MetadataWrapper) -> dict[Any, Any] | None:
    """The wrapper's private provider → values store, which :func:`.metadata.seed` fills."""
    store = getattr(wrapper, "_metadata", None)
    return store if isinstance(store, dict) else None


_SWAPS: dict[tuple[type, str], tuple[int, Any]] = {}
"""Per swapped attribute: how many blocks swap it now, and libcst's original."""
_SWAP_LOCK = threading.Lock()


@contextmanager
def swapped(
    owner: type, name: str, replacement: Any, on_restore: Callable[[], None] | None = None
) -> Iterator[None]:
    """``owner.name`` is ``replacement`` within the block.

    The swap is process-wide, so overlapping blocks (an editor server analysing from two
    threads) are counted, and libcst's original comes back when the last one ends, an
    exception included; ``on_restore`` runs then too.
    """
    key = (owner, name)
    with _SWAP_LOCK:
        active, original = _SWAPS.get(key, (0, None))
        if active == 0:
            original = owner.__dict__[name]
            setattr(owner, name, replacement)
        _SWAPS[key] = (active + 1, original)
    try:
        yield
    finally:
        with _SWAP_LOCK:
            active, original = _SWAPS.pop(key)
            if active > 1:
                _SWAPS[key] = (active - 1, original)
            else:
                setattr(owner, name, original)
                if on_restore is not None:
                    on_restore()
