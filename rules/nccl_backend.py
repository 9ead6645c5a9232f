"""PC004: the NCCL backend of ``torch.distributed``; Ascend's collective library is HCCL.

``transfer_to_npu`` rewrites ``"nccl"`` inside ``init_process_group`` at run time, but
not the project's own checks such as ``backend == "nccl"``, which silently take the
wrong branch on Ascend. Passing ``"nccl"`` to the process-group API is a safe fix;
any other ``"nccl"`` literal is fixed only with ``--unsafe-fixes``.
"""

from __future__ import annotations

import libcst as cst

from portcheck import resolve
from portcheck.rule import Edit, Fix, Invalid, Rule, Valid

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
NCCL_NAMES = frozenset({"torch.distributed.Backend.NCCL", "torch.distributed.is_nccl_available"})


class NcclBackend(Rule):
    id = "PC004"
    name = "nccl-backend"
    summary = 'NCCL as the torch.distributed backend ("nccl" → "hccl")'
    category = "auto"
    fixable = True
    TRIGGERS = ("nccl",)

    VALID = (
        Valid('import torch.distributed as dist\ndist.init_process_group("hccl")\n'),
        Valid("nccl_timeout = 30\n"),
        Valid('import logging\nlogging.info("using nccl")\n'),
    )
    INVALID = (
        Invalid(
            'import torch.distributed as dist\ndist.init_process_group(backend="nccl")\n',
            api="torch.distributed.init_process_group",
            expected_fix="import torch.distributed as dist\nimport torch_npu\n"
            'dist.init_process_group(backend="hccl")\n',
        ),
        Invalid(
            'import torch.distributed as dist\ndist.init_process_group("nccl", rank=0)\n',
            expected_fix="import torch.distributed as dist\nimport torch_npu\n"
            'dist.init_process_group("hccl", rank=0)\n',
        ),
        Invalid('if args.backend == "nccl":\n    pass\n', api="nccl", expected_fix=None),
        Invalid("import torch.distributed as dist\nok = dist.is_nccl_available()\n"),
    )

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if resolve.string_value(node) != "nccl" or resolve.is_docstring(node, self.parent):
            return
        if resolve.is_in_message(node, self.parent, self.qualified_names):
            return
        in_process_group = self._is_backend_argument(node)
        self.report(
            node,
            api="torch.distributed.init_process_group" if in_process_group else "nccl",
            message='NCCL backend "nccl": Ascend uses HCCL ("hccl")'
            if in_process_group
            else 'Check against the NCCL backend name: on Ascend the backend is "hccl"',
            suggestion='Use "hccl" (after `import torch_npu`).',
            evidence=EVIDENCE,
            fix=Fix(
                edits=(Edit(node, node.with_changes(value=node.value.replace("nccl", "hccl"))),),
                unsafe=not in_process_group,
                needs_torch_npu_import=True,
            ),
        )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        names = self.qualified_names(node) & NCCL_NAMES
        if not names:
            return
        api = min(names)
        fact = self.knowledge.api(api)
        self.report(
            node,
            api=api,
            category=fact.category if fact else "rewrite",  # type: ignore[arg-type]
            message=f"`{api}` refers to NCCL; Ascend's collective library is HCCL",
            suggestion=(fact.note if fact else None) or 'Use the HCCL backend ("hccl").',
            evidence=fact.evidence if fact else EVIDENCE,
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
