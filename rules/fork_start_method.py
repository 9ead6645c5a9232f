"""PC014: the ``fork`` start method of multiprocessing.

A process forked after the parent initialised the NPU cannot use it: torch_npu raises
"Cannot re-initialize NPU in forked subprocess". CUDA has the same limit, but CUDA code
often forks before touching the device, which a port may not keep; only an explicit
``"fork"`` is reported (the platform default is not a decision the code made).
"""

from __future__ import annotations

import libcst as cst

from portcheck import expressions
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

from ._behaviour import report_behaviour

START_METHOD_CALLS = frozenset(
    f"{module}.{name}"
    for module in ("multiprocessing", "torch.multiprocessing", "multiprocess")
    for name in ("set_start_method", "get_context")
)


class ForkStartMethod(Rule):
    id = "PC014"
    name = "fork-start-method"
    summary = 'multiprocessing start method "fork" (NPU cannot be re-initialised in a fork)'
    category = "rewrite"
    NEEDLES = Needles(string_prefixes=("fork",))

    VALID = (
        Valid('import multiprocessing as mp\nmp.set_start_method("spawn")\n'),
        Valid('import os\nprint("fork")\n'),
        Valid('ctx = get_context("fork")\n'),
    )
    INVALID = (
        Invalid(
            'import multiprocessing as mp\nmp.set_start_method("fork")\n',
            api="multiprocessing.set_start_method",
            category="rewrite",
        ),
        Invalid(
            'import torch.multiprocessing as tmp\nctx = tmp.get_context(method="fork")\n',
            api="torch.multiprocessing.get_context",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified_names(node.func) & START_METHOD_CALLS
        if not names or not node.args:
            return
        argument = next((a for a in node.args if a.keyword and a.keyword.value == "method"), None)
        value = (argument or node.args[0]).value
        if expressions.string_value(value) != "fork":
            return
        api = min(names)
        what = f'`{api}("fork")`: a forked process cannot initialise the NPU again'
        report_behaviour(self, node, "multiprocessing.fork", api, what)
