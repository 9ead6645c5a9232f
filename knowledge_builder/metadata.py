"""Which torch release a torch_npu wheel runs with, read from its ``METADATA``.

Every torch_npu wheel declares the torch it was built against in ``Requires-Dist``
(``torch (==2.1.0+cpu)``, ``torch ==2.9.1+cpu``, ``torch==2.14.0.*``); that line is the
source of the version-compatibility table, so a project pinned to another torch can be
told which torch_npu release matches its pin.
"""

from __future__ import annotations

import re

from knowledge_builder.wheel import WheelReader

TORCH_REQUIREMENT = re.compile(
    r"^Requires-Dist:\s*torch\s*\(?\s*==\s*(?P<version>[0-9][0-9.]*?)(?:\.\*)?(?:\+[\w.]+)?\s*\)?\s*$",
    re.MULTILINE,
)


def metadata_member(reader: WheelReader) -> str | None:
    """The ``*.dist-info/METADATA`` member of the wheel."""
    found = [m for m in reader.members() if re.fullmatch(r"[^/]+\.dist-info/METADATA", m)]
    return found[0] if len(found) == 1 else None


def torch_requirement(reader: WheelReader, version: str) -> dict[str, str]:
    """``{"torch_npu", "torch", "requires_dist", "evidence"}`` of one wheel.

    ``torch`` is the public torch release the pin names (``2.1.0`` for ``==2.1.0+cpu``, the
    prefix for ``==2.14.0.*``); raises ValueError when the wheel pins no single torch.
    """
    member = metadata_member(reader)
    text = reader.text(member) if member else None
    match = TORCH_REQUIREMENT.search(text or "")
    if member is None or match is None:
        raise ValueError(f"{reader.label}: no 'Requires-Dist: torch ==X' line in METADATA")
    line = match.group(0).strip()
    return {
        "torch_npu": version,
        "torch": match["version"],
        "requires_dist": line.split(":", 1)[1].strip(),
        "evidence": f"{reader.label}: {member} ({line})",
    }
