"""PC900: a ``# portcheck: ignore`` comment that suppresses nothing (ruff's RUF100).

The finding is made by the filter stage (:mod:`portcheck.suppress`), which is the only
place that knows which findings a comment hid; this class gives the rule its id, its
documentation and a place in ``--select``/``--ignore``, ``portcheck rules`` and SARIF.
"""

from __future__ import annotations

from portcheck.knowledge import Knowledge
from portcheck.model import Finding
from portcheck.rule import TextExample, TextRule


class UnusedSuppression(TextRule):
    id = "PC900"
    name = "unused-suppression"
    summary = "`# portcheck: ignore` comment that suppresses no finding"
    category = "caution"

    VALID = (
        TextExample(
            "example.py",
            "import torch\ntorch.cuda.synchronize()  # portcheck: ignore[PC001]\n",
        ),
    )
    INVALID = (
        TextExample("example.py", "x = 1  # portcheck: ignore[PC999]\n", count=1),
        TextExample("requirements.txt", "numpy==1.26  # portcheck: ignore[PC99]\n", count=1),
    )

    def applies_to(self, filename: str) -> bool:
        return False

    def check(self, path: str, text: str, knowledge: Knowledge) -> list[Finding]:
        return []
