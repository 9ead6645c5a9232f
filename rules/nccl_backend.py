"""PC004: the NCCL backend of ``torch.distributed``; Ascend's collective library is HCCL.

``transfer_to_npu`` rewrites ``"nccl"`` inside ``init_process_group`` at run time, but
not the project's own checks such as ``backend == "nccl"``, which silently take the
wrong branch on Ascend. Passing ``"nccl"`` to the process-group API is a safe fix;
any other ``"nccl"`` literal is fixed only with ``--unsafe-fixes``.
"""

from __future__ import annotations

import re

import libcst as cst

from portcheck import expressions
from portcheck.prefilter import Needles
from portcheck.rule import Edit, Fix, Invalid, Rule, Valid

from ._options import is_named_value, is_option_value

EVIDENCE = (
    "torch_npu wheel: torch_npu/contrib/transfer_to_npu.py replaces 'nccl' with 'hccl' in "
    "torch.distributed.init_process_group arguments, and not elsewhere"
)
PROCESS_GROUP_FUNCTIONS = frozenset(
    {
        "torch.distributed.init_process_group",
        "torch.distributed.new_group",
        "torch.distributed.distributed_c10d.init_process_group",
        "torch.distributed.distributed_c10d.new_group",
        "torch.distributed.device_mesh.init_device_mesh",
    }
)
BACKEND_KEYWORDS = frozenset({"backend", "dist_backend"})
GET_BACKEND = frozenset(
    {"torch.distributed.get_backend", "torch.distributed.distributed_c10d.get_backend"}
)
BACKEND_NAME = re.compile(r"(^|[-_])backend$", re.I)
"""Variables, attributes and argparse options that hold a backend name."""
NCCL_NAMES = frozenset({"torch.distributed.Backend.NCCL", "torch.distributed.is_nccl_available"})


class NcclBackend(Rule):
    id = "PC004"
    name = "nccl-backend"
    summary = 'NCCL as the torch.distributed backend ("nccl" → "hccl")'
    category = "auto"
    fixable = True
    NEEDLES = Needles(
        names=frozenset(name.rsplit(".", 1)[1] for name in NCCL_NAMES), string_prefixes=("nccl",)
    )

    VALID = (
        Valid('import torch.distributed as dist\ndist.init_process_group("hccl")\n'),
        Valid("nccl_timeout = 30\n"),
        Valid('import logging\nlogging.info("using nccl")\n'),
        Valid('BACKENDS = {"cuda": "nccl", "npu": "hccl"}\n'),
        Valid('def backend(npu):\n    return "hccl" if npu else "nccl"\n'),
        Valid('def is_comm(op_name):\n    return "nccl" in op_name.lower()\n'),
        Valid('comm = [k for k in kernels if k.name.startswith("nccl")]\n'),
    )
    INVALID = (
        Invalid(
            'import torch.distributed as dist\ndist.init_process_group(backend="nccl")\n',
            api="nccl",
            expected_fix="import torch.distributed as dist\nimport torch_npu  # noqa: F401\n"
            'dist.init_process_group(backend="hccl")\n',
        ),
        Invalid(
            'import torch.distributed as dist\ndist.init_process_group("nccl", rank=0)\n',
            expected_fix="import torch.distributed as dist\nimport torch_npu  # noqa: F401\n"
            'dist.init_process_group("hccl", rank=0)\n',
        ),
        Invalid(
            'if args.backend == "nccl":\n    pass\n',
            api="nccl",
            category="auto",
            expected_fix='if args.backend == "hccl":\n    pass\n',
        ),
        Invalid(
            'import argparse\np = argparse.ArgumentParser()\np.add_argument("--dist-backend", '
            'default="nccl", choices=["nccl", "gloo"])\n',
            count=2,
            category="auto",
            expected_fix="import argparse\np = argparse.ArgumentParser()\n"
            'p.add_argument("--dist-backend", default="hccl", choices=["hccl", "gloo"])\n',
        ),
        Invalid(
            'import torch.distributed as dist\nif dist.get_backend() != "nccl":\n    pass\n',
            expected_fix="import torch.distributed as dist\nimport torch_npu  # noqa: F401\n"
            'if dist.get_backend() != "hccl":\n    pass\n',
        ),
        Invalid(  # a branch of the value given to a backend variable is a backend name
            'backend = "nccl" if use_gpu else "gloo"\n',
            category="auto",
            expected_fix='backend = "hccl" if use_gpu else "gloo"\n',
        ),
        Invalid('SUPPORTED = ("nccl", "gloo")\n', category="rewrite", expected_fix=None),
        Invalid(
            'SUPPORTED = ("nccl", "gloo")\n',
            unsafe=True,
            expected_fix='SUPPORTED = ("hccl", "gloo")\n',
        ),
        Invalid(
            "import torch.distributed as dist\nok = dist.is_nccl_available()\n",
            api="torch.distributed.is_nccl_available",
            category="auto",
            expected_fix="import torch.distributed as dist\nimport torch_npu  # noqa: F401\n"
            "ok = dist.is_hccl_available()\n",
        ),
    )

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if expressions.string_value(node) != "nccl" or expressions.is_docstring(node, self.parent):
            return
        if expressions.is_in_message(node, self.parent, self.qualified_names):
            return
        if expressions.is_text_match(node, self.parent):
            return
        in_process_group = self._is_backend_argument(node)
        certain = (
            in_process_group
            or is_option_value(node, self.parent, BACKEND_NAME)
            or is_named_value(node, self.parent, BACKEND_NAME)
            or self._is_compared_with_get_backend(node)
        )
        if in_process_group:
            message = 'NCCL backend "nccl": Ascend uses HCCL ("hccl")'
        elif certain:
            message = 'NCCL backend name "nccl": on Ascend the backend is "hccl"'
        else:
            message = '"nccl", if it names the torch.distributed backend: on Ascend it is "hccl"'
        self.report(
            node,
            api="nccl",
            category="auto" if certain else "rewrite",
            message=message,
            suggestion='Use "hccl" (after `import torch_npu`).'
            if certain
            else 'portcheck cannot tell that this string is a backend name; if it is, use "hccl" '
            "(after `import torch_npu`): `--fix --unsafe-fixes` rewrites it.",
            evidence=EVIDENCE,
            fix=Fix(
                edits=(Edit(node, node.with_changes(value=node.value.replace("nccl", "hccl"))),),
                unsafe=not certain,
                needs_torch_npu_import=True,
            ),
        )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        names = self.qualified_names(node) & NCCL_NAMES
        if not names:
            return
        api = min(names)
        fact = self.knowledge.api(api)
        fix = None
        if fact is not None and fact.category == "auto":
            fix = _leaf_rename(node, api, fact.replacement)
        self.report(
            node,
            api=api,
            category="auto" if fix else "rewrite",
            message=f"`{api}` refers to NCCL; Ascend's collective library is HCCL",
            suggestion=(fact.note if fact else None) or 'Use the HCCL backend ("hccl").',
            evidence=fact.evidence if fact else EVIDENCE,
            fix=fix,
        )

    def _is_compared_with_get_backend(self, node: cst.SimpleString) -> bool:
        parent = self.parent(node)
        comparison = self.parent(parent) if isinstance(parent, cst.ComparisonTarget) else parent
        if not isinstance(comparison, cst.Comparison):
            return False
        sides = [comparison.left, *(target.comparator for target in comparison.comparisons)]
        return any(
            isinstance(side, cst.Call) and bool(self.qualified_names(side.func) & GET_BACKEND)
            for side in sides
        )

    def _is_backend_argument(self, node: cst.SimpleString) -> bool:
        arg = self.parent(node)
        if not isinstance(arg, cst.Arg):
            return False
        if arg.keyword is not None:
            return arg.keyword.value in BACKEND_KEYWORDS
        call = self.parent(arg)
        return (
            isinstance(call, cst.Call)
            and bool(self.qualified_names(call.func) & PROCESS_GROUP_FUNCTIONS)
            and call.args[0] is arg
        )


def _leaf_rename(node: cst.Attribute, api: str, replacement: str | None) -> Fix | None:
    """``dist.is_nccl_available`` → ``dist.is_hccl_available``: same owner, new leaf."""
    if not replacement or replacement.rsplit(".", 1)[0] != api.rsplit(".", 1)[0]:
        return None
    leaf = replacement.rsplit(".", 1)[1]
    renamed = node.with_changes(attr=node.attr.with_changes(value=leaf))
    return Fix(edits=(Edit(node, renamed),), needs_torch_npu_import=True)
