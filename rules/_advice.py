"""Suggestions shared by the rules: every ``rewrite`` and ``blocker`` finding says what to do.

The knowledge base notes say what a thing is and, usually, what replaces it; where a note
only describes (``"Inference SDK for NVIDIA GPUs."``) these helpers add the Ascend
alternative or, when there is none, what teams do instead.
"""

from __future__ import annotations

from portcheck.knowledge import ApiFact, PackageFact

NO_ASCEND_PACKAGE = (
    "No Ascend build exists: leave it out of the Ascend environment, keep the code that "
    "uses it on a CUDA-only path (behind a device check), or port that code to torch ops "
    "on the NPU or to an Ascend C operator."
)
NO_ASCEND_API = (
    "No Ascend equivalent is known: keep this call on a CUDA-only path (behind a device "
    "check), or express it with torch ops or an Ascend C operator."
)


def package_suggestion(fact: PackageFact) -> str | None:
    """The note, led by the Ascend alternative it does not already name."""
    note = fact.note.strip()
    if fact.alternative:
        if fact.alternative in note:
            return note
        return f"On Ascend use {fact.alternative}. {note}".strip()
    if fact.category == "blocker":
        return f"{note} {NO_ASCEND_PACKAGE}".strip()
    return note or None


def api_suggestion(fact: ApiFact) -> str | None:
    """The note of an API fact, or the standard advice when the fact has none."""
    note = fact.note.strip()
    if note:
        return note
    if fact.category == "rewrite" and fact.replacement:
        return f"Rewrite with `{fact.replacement}`; check its signature in the torch_npu docs."
    if fact.category in ("rewrite", "blocker"):
        return NO_ASCEND_API
    return None
