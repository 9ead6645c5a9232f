"""Which environment variables a torch_npu wheel names, found in its ``.py`` and ``.so`` bytes.

A curated env entry maps a CUDA/NCCL variable to an Ascend one (``TORCH_NCCL_BLOCKING_WAIT``
→ ``HCCL_BLOCKING_WAIT``); the mapping is only true for a release whose code reads that
name. The runtime reads most of them in ``libtorch_npu.so`` (C++ ``getenv``), which
:mod:`ast` cannot see, so the generator looks for the name as a whole word in the bytes of
every Python and shared-library member and records the first member (in sorted order).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge_builder.wheel import WheelReader

SCANNED = re.compile(r"\.py$|\.so$|\.so\.")


def env_strings(reader: WheelReader, names: Iterable[str]) -> dict[str, str]:
    """Each name of ``names`` that a member contains as a whole word, mapped to that member."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    alternatives = b"|".join(re.escape(n.encode()) for n in sorted(wanted, key=len, reverse=True))
    pattern = re.compile(b"(?<![A-Za-z0-9_])(" + alternatives + b")(?![A-Za-z0-9_])")
    found: dict[str, str] = {}
    for member in reader.members():
        if not SCANNED.search(member):
            continue
        for match in set(pattern.findall(reader.raw(member) or b"")):
            found.setdefault(match.decode(), member)
        if len(found) == len(wanted):
            break
    return {name: f"{reader.label}: {found[name]}" for name in wanted if name in found}
