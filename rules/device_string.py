"""PC003: CUDA device strings wherever they act as a device.

A literal is a device when its whole text is ``cuda``/``cuda:N`` or a device template
(``f"cuda:{rank}"``, ``"cuda:%d" % rank``, ``"cuda:{}".format(i)``); strings that merely
contain the word (``"--cuda"``, messages, docstrings) never match. The fix is safe only
where the string certainly acts as a device: a device argument, a ``.to()`` target, a
comparison with ``.type``/``.device``, or a variable that flows into one of those.
"""

from __future__ import annotations

import re

import libcst as cst
from libcst.metadata import Scope, ScopeProvider

from portcheck import expressions
from portcheck.prefilter import Needles
from portcheck.rule import Edit, Fix, Invalid, Rule, Valid

from ._options import is_option_value

EVIDENCE = (
    "torch_npu wheel: torch_npu/contrib/transfer_to_npu.py rewrites 'cuda' device strings "
    "to 'npu' in the device arguments of wrapped torch functions"
)
SUGGESTION = 'Use the `npu` device type (`"npu"`, `"npu:0"`) after `import torch_npu`.'
UNCERTAIN_SUGGESTION = (
    'portcheck cannot tell that this string is a device; if it is, use `"npu"` (after '
    "`import torch_npu`): `--fix --unsafe-fixes` rewrites it."
)
DEVICE_OPTION = re.compile(r"(^|[-_])(device|devices|dev|device[-_]type|accelerator)$", re.I)
"""argparse options whose value is a device (``--device``, ``--eval-device``)."""


class DeviceString(Rule):
    id = "PC003"
    name = "cuda-device-string"
    summary = 'CUDA device string ("cuda", "cuda:0", f"cuda:{rank}", ...)'
    category = "auto"
    fixable = True
    NEEDLES = Needles(string_prefixes=("cuda",))

    VALID = (
        Valid('parser.add_argument("--cuda", action="store_true")\n'),
        Valid('import torch\nsd = torch.load(p, map_location={"cuda:1": "cpu"})\n'),
        Valid('ap.add_argument("--cuda", dest="cuda", action="store_true", help="use cuda")\n'),
        Valid('print("running on cuda")\n'),
        Valid('def f():\n    """Runs on cuda."""\n'),
        Valid('import logging\nlogging.info("cuda")\n'),
        Valid('x = x.to("npu:0")\n'),
        Valid('msg = f"moved to cuda in {t:.2f}s"\n'),
        Valid('import torch\nd = torch.device("cpu")\n'),
        # already handled beside NPU (portcheck.handled): recorded apart, never fixed
        Valid('def f(device):\n    return device.type == "cuda" or device.type == "npu"\n'),
        Valid('def kinds():\n    return ["cuda", "npu"]\n'),
        Valid('BACKENDS = {"cuda": "nccl", "npu": "hccl"}\n'),
        Valid('import torch\ndev = "npu" if hasattr(torch, "npu") else "cuda"\nx = t.to(dev)\n'),
        Valid('t = prof.key_averages().table(sort_by="cuda_time_total")\n'),
    )
    INVALID = (
        Invalid(  # a checkpoint's saved location: "npu" would stop matching CUDA checkpoints
            'def place(storage, location):\n    return location.startswith("cuda")\n',
            category="rewrite",
            unsafe=True,
            expected_fix=None,
        ),
        Invalid(  # an FX method name, not a device
            'p = graph.create_proxy("call_method", "cuda", (x,), {})\n',
            unsafe=True,
            expected_fix=None,
        ),
        Invalid(  # the CUDA entry of a multi-accelerator table stays; NPU needs its own
            'ok = d.type in ("cuda", "xpu")\n', unsafe=True, expected_fix=None
        ),
        Invalid(
            'import torch\nx = x.to("cuda")\n',
            api="cuda",
            expected_fix='import torch\nimport torch_npu  # noqa: F401\nx = x.to("npu")\n',
        ),
        Invalid(
            'import torch\nd = torch.device("cuda", 1)\n',
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            'd = torch.device("npu", 1)\n',
        ),
        Invalid(
            'import torch\ndevice = f"cuda:{rank}"\n',
            expected_fix='import torch\nimport torch_npu  # noqa: F401\ndevice = f"npu:{rank}"\n',
        ),
        Invalid(
            'import torch\nx = t.to("cuda:%d" % rank)\n',
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            'x = t.to("npu:%d" % rank)\n',
        ),
        Invalid(
            'import torch\nx = t.to("cuda:{}".format(rank))\n',
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            'x = t.to("npu:{}".format(rank))\n',
        ),
        Invalid(
            'import torch\nDEV = "cuda"\nx = t.to(DEV)\n',
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            'DEV = "npu"\nx = t.to(DEV)\n',
        ),
        Invalid(
            'import torch\nwith torch.autocast("cuda"):\n    pass\n',
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            'with torch.autocast("npu"):\n    pass\n',
        ),
        Invalid('BACKENDS = ["cpu", "cuda"]\n', count=1, category="rewrite", expected_fix=None),
        Invalid(  # spelled with an escape: no text to rewrite, so a person must do it
            'import torch\nx = x.to("\\x63uda")\n', category="rewrite", expected_fix=None
        ),
        Invalid(
            "import argparse\nap = argparse.ArgumentParser()\n"
            'ap.add_argument("--device", default="cuda", choices=["cpu", "cuda"])\n',
            count=2,
            category="auto",
            expected_fix="import argparse\nap = argparse.ArgumentParser()\n"
            'ap.add_argument("--device", default="npu", choices=["cpu", "npu"])\n',
        ),
        Invalid(
            'BACKENDS = ["cpu", "cuda"]\n',
            count=1,
            unsafe=True,
            expected_fix='BACKENDS = ["cpu", "npu"]\n',
        ),
    )

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        text = expressions.string_value(node)
        if text is None or not expressions.is_cuda_device_text(text):
            return
        if expressions.is_docstring(node, self.parent):
            return
        replacement = node.with_changes(value=node.value.replace("cuda", "npu", 1))
        self._report(node, node.value, replacement)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        head = expressions.cuda_fstring_head(node)
        if head is None:
            return
        new_head = head.with_changes(value=head.value.replace("cuda", "npu", 1))
        replacement = node.with_changes(parts=(new_head, *node.parts[1:]))
        self._report(node, self.context.module.code_for_node(node), replacement)

    def _report(self, node: cst.BaseExpression, text: str, replacement: cst.CSTNode) -> None:
        if expressions.is_in_message(node, self.parent, self.qualified_names):
            return
        if expressions.is_saved_location(node, self.parent):
            return
        root = expressions.device_expression_root(node, self.parent)
        not_a_device = expressions.not_a_device_to_rewrite(node, self.parent)
        if not_a_device is not None:
            self.report(
                node,
                api="cuda",
                category="rewrite",
                message=f"CUDA device name {text} {not_a_device}",
                suggestion="Decide by hand how this should read on Ascend: rewriting it to "
                '"npu" would change what the code does on CUDA.',
                evidence=EVIDENCE,
            )
            return
        rewritable = not replacement.deep_equals(node)  # "\x63uda" has no "cuda" to replace
        certain = rewritable and (
            expressions.is_device_position(root, self.parent, self.qualified_names, self._scope_of)
            or is_option_value(root, self.parent, DEVICE_OPTION)
        )
        self.report(
            node,
            api="cuda",
            category="auto" if certain else "rewrite",
            message=f"CUDA device string {text}"
            if certain
            else f"CUDA device string {text}, if it is used as a device",
            suggestion=SUGGESTION if certain else UNCERTAIN_SUGGESTION,
            evidence=EVIDENCE,
            fix=Fix(
                edits=(Edit(node, replacement),),
                unsafe=not certain,
                needs_torch_npu_import=True,
            )
            if rewritable
            else None,
        )

    def _scope_of(self, node: cst.CSTNode) -> Scope | None:
        return self.get_metadata(ScopeProvider, node, None)
