"""PC021: NVIDIA command-line tools run from Python (``subprocess.run(["nvidia-smi", ...])``).

Monitoring and launch scripts shell out to ``nvidia-smi`` and parse its output; on an
Ascend host the command does not exist, so the call fails or the parser sees nothing.
The knowledge base names each tool (an entry whose name is a command, not a module) and
its Ascend counterpart (``npu-smi info``), with the source.
"""

from __future__ import annotations

from functools import lru_cache

import libcst as cst

from portcheck import expressions
from portcheck.knowledge import ApiFact, Knowledge
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

from ._advice import api_suggestion

RUNNERS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
        "shutil.which",
    }
)
"""Calls whose first argument is a command line (a string or a list of strings)."""


@lru_cache(maxsize=8)
def command_facts(knowledge: Knowledge) -> dict[str, ApiFact]:
    """Facts named after a command (``nvidia-smi``): names that are no dotted identifier."""
    return {
        fact.api: fact
        for fact in knowledge.module_facts()
        if not all(part.isidentifier() for part in fact.api.split("."))
    }


class GpuToolCommand(Rule):
    id = "PC021"
    name = "gpu-tool-command"
    summary = "NVIDIA command-line tool run from Python (nvidia-smi through subprocess)"
    category = "rewrite"

    VALID = (
        Valid('import subprocess\nsubprocess.run(["npu-smi", "info"])\n'),
        Valid('TOOL = "nvidia-smi"\n'),
        Valid('import subprocess\nsubprocess.run(["echo", "nvidia-smi"])\n'),
    )
    INVALID = (
        Invalid(
            'import subprocess\nout = subprocess.check_output(["nvidia-smi", "-L"])\n',
            api="nvidia-smi",
        ),
        Invalid(
            'import os\nos.system("nvidia-smi --query-gpu=memory.used --format=csv")\n',
            api="nvidia-smi",
        ),
        Invalid('import shutil\nhas_gpu = shutil.which("nvidia-smi") is not None\n', count=1),
    )

    @classmethod
    def needles(cls, knowledge: Knowledge) -> Needles:
        """A finding is a string literal that starts with a tool's name."""
        return Needles(string_prefixes=tuple(sorted(command_facts(knowledge))))

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args or not self.qualified_names(node.func) & RUNNERS:
            return
        first = node.args[0].value
        if isinstance(first, (cst.List, cst.Tuple)):
            first = first.elements[0].value if first.elements else first
        text = expressions.string_value(first)
        command = text.split(maxsplit=1)[0] if text and text.strip() else None
        fact = command_facts(self.knowledge).get(command or "")
        if fact is None:
            return
        message = f"`{command}` run from Python; it does not exist on an Ascend host"
        if fact.replacement:
            message += f" (use `{fact.replacement}`)"
        self.report(
            first,
            api=fact.api,
            category=fact.category,  # type: ignore[arg-type]
            message=message,
            suggestion=api_suggestion(fact),
            evidence=fact.evidence,
        )
