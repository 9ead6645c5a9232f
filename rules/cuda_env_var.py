"""PC005: CUDA/NCCL environment variables read or written through ``os.environ``/``os.getenv``.

``CUDA_VISIBLE_DEVICES`` and friends are ignored by the Ascend runtime, so a script
that pins devices with them silently uses every NPU; ``TORCH_NCCL_BLOCKING_WAIT`` and
the other ProcessGroupNCCL settings have ``HCCL`` counterparts in torch_npu. A variable
is reported because the knowledge base names it (with its source), never because of its
prefix; the knowledge base also names the Ascend variable where one exists.
"""

from __future__ import annotations

import libcst as cst

from portcheck import expressions
from portcheck.knowledge import Knowledge
from portcheck.prefilter import Needles
from portcheck.rule import Edit, Fix, Invalid, Rule, Valid

ENV_FUNCTIONS = frozenset(
    {
        "os.getenv",
        "os.putenv",
        "os.unsetenv",
        "os.environ.get",
        "os.environ.setdefault",
        "os.environ.pop",
        "os.environ.__contains__",
    }
)


class CudaEnvVar(Rule):
    id = "PC005"
    name = "cuda-env-var"
    summary = "CUDA/NCCL environment variable read or written (CUDA_VISIBLE_DEVICES, ...)"
    category = "auto"
    fixable = True

    VALID = (
        Valid('import os\nhome = os.environ["MY_APP_HOME"]\n'),
        Valid('import os\nos.environ.get("ASCEND_RT_VISIBLE_DEVICES")\n'),
        Valid('HELP = "set CUDA_VISIBLE_DEVICES to pick GPUs"\n'),
        Valid('LABELS = {"CUDA_HOME": "toolkit path"}\n'),
        Valid('import os\nos.environ.get("CUDA_SOMETHING_NOBODY_DOCUMENTS")\n'),
    )
    INVALID = (
        Invalid(
            'import subprocess\nsubprocess.run(cmd, env={"CUDA_VISIBLE_DEVICES": "2"})\n',
            api="CUDA_VISIBLE_DEVICES",
            expected_fix="import subprocess\n"
            'subprocess.run(cmd, env={"ASCEND_RT_VISIBLE_DEVICES": "2"})\n',
        ),
        Invalid(
            'import os\nos.environ["CUDA_VISIBLE_DEVICES"] = "0,1"\n',
            api="CUDA_VISIBLE_DEVICES",
            expected_fix='import os\nos.environ["ASCEND_RT_VISIBLE_DEVICES"] = "0,1"\n',
        ),
        Invalid(
            'import os\nblocking = os.getenv("CUDA_LAUNCH_BLOCKING")\n',
            expected_fix='import os\nblocking = os.getenv("ASCEND_LAUNCH_BLOCKING")\n',
        ),
        Invalid('import os\nif "CUDA_HOME" in os.environ:\n    pass\n'),
        Invalid('from os import environ\nenviron.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")\n'),
        Invalid(
            'import os\nos.environ["TORCH_NCCL_BLOCKING_WAIT"] = "1"\n',
            api="TORCH_NCCL_BLOCKING_WAIT",
            expected_fix='import os\nos.environ["HCCL_BLOCKING_WAIT"] = "1"\n',
        ),
        Invalid(
            'import os\nos.environ.setdefault("TORCH_CUDA_ARCH_LIST", "8.0")\n',
            api="TORCH_CUDA_ARCH_LIST",
            category="caution",
        ),
        Invalid(
            'import os\nos.environ["TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC"] = "600"\n',
            category="rewrite",
        ),
    )

    @classmethod
    def needles(cls, knowledge: Knowledge) -> Needles:
        """A finding is a string literal spelling a variable the knowledge base names."""
        return Needles(string_prefixes=tuple(sorted(f.name for f in knowledge.env_facts())))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        name = expressions.string_value(node)
        fact = self.knowledge.env_var(name) if name else None
        if name is None or fact is None or not self._is_environment_access(node):
            return
        fix = None
        if fact.replacement and fact.category == "auto":
            new_value = node.value.replace(name, fact.replacement)
            fix = Fix(edits=(Edit(node, node.with_changes(value=new_value)),))
        message = f"CUDA/NCCL environment variable `{name}`"
        if fact.replacement:
            message += f"; on Ascend it is `{fact.replacement}`"
        self.report(
            node,
            api=name,
            category=fact.category,  # type: ignore[arg-type]
            message=message,
            suggestion=fact.note or None,
            evidence=fact.evidence,
            fix=fix,
        )

    def _is_environment_access(self, node: cst.SimpleString) -> bool:
        parent = self.parent(node)
        if isinstance(parent, cst.Index):
            subscript = self.parent(self.parent(parent) or parent)
            return isinstance(subscript, cst.Subscript) and self._is_environ(subscript.value)
        if isinstance(parent, cst.Arg):
            call = self.parent(parent)
            return isinstance(call, cst.Call) and bool(
                self.qualified_names(call.func) & ENV_FUNCTIONS
            )
        if isinstance(parent, cst.Comparison):
            return any(self._is_environ(target.comparator) for target in parent.comparisons)
        if isinstance(parent, cst.DictElement) and parent.key is node:
            dictionary = self.parent(parent)
            arg = self.parent(dictionary) if dictionary is not None else None
            if not isinstance(arg, cst.Arg):
                return False
            if arg.keyword is not None and arg.keyword.value == "env":
                return True  # subprocess.run(..., env={"CUDA_VISIBLE_DEVICES": "0"})
            call = self.parent(arg)
            return isinstance(call, cst.Call) and "os.environ.update" in self.qualified_names(
                call.func
            )
        return False

    def _is_environ(self, node: cst.CSTNode) -> bool:
        return "os.environ" in self.qualified_names(node)
