"""The Ascend products a run can target; operator and dtype support depends on them.

A target is a torch_npu release × a chip.  Chip ids follow Ascend's product names, with the
processor names people also use accepted as aliases (``910b`` is the Atlas A2).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chip:
    id: str
    label: str
    aliases: tuple[str, ...]


CHIPS: tuple[Chip, ...] = (
    Chip("atlas-a2", "Atlas A2 training series (Ascend 910B)", ("a2", "910b", "ascend910b")),
    Chip("atlas-a3", "Atlas A3 training series (Ascend 910C)", ("a3", "910c", "ascend910c")),
    Chip("950dt", "Ascend 950DT", ("ascend950dt", "ascend-950dt")),
    Chip("910a", "Atlas training series (Ascend 910A)", ("ascend910a", "atlas-training")),
)
DEFAULT_CHIP = "atlas-a2"


class UnknownChipError(ValueError):
    """Raised for a chip name portcheck does not know; the message lists the known ones."""


def known_chips() -> tuple[str, ...]:
    return tuple(chip.id for chip in CHIPS)


def resolve_chip(name: str | None) -> Chip:
    """The chip named ``name`` (an id or an alias, any case); None: the default chip."""
    wanted = (name or DEFAULT_CHIP).strip().lower().replace("_", "-")
    for chip in CHIPS:
        if wanted == chip.id or wanted in chip.aliases:
            return chip
    listing = ", ".join(f"{c.id} ({c.label})" for c in CHIPS)
    raise UnknownChipError(f"unknown chip {name!r}; known chips: {listing}")
