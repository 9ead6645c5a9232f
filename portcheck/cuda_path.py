"""CUDA code that is CUDA on purpose: still a finding, never fixed.

Rewriting ``torch.cuda.X`` into ``torch.npu.X`` ports plain CUDA code. Some CUDA code
is not plain: it is the project's CUDA path beside others, or it decides whether a
CUDA-only library may run. Rewriting it does not port it; it breaks the CUDA path that
works today, or makes "can the CUDA kernel run?" answer yes on Ascend, where that
kernel then fails. :func:`kept_reason` recognises such code from the syntax around a
finding's node; the finding is reported as usual (it is a touchpoint: the NPU path is
still to be written beside it) but carries no fix.

The patterns, walked up from the node through its enclosing expressions, statements
and definitions:

- ``cuda-definition``: inside a class or function whose name names CUDA or a CUDA-only
  library (``CUDAAccelerator``, ``_CudaExtension``, ``def forward_cuda``,
  ``def cuda(self)``, ``def set_use_memory_efficient_attention_xformers``): the
  project's CUDA implementation, whose NPU sibling is another class or function.
- ``cuda-only-gate``: a test (``if``/``elif``, conditional expression, ``assert``) or an
  operand of ``and``/``or`` whose other operands, or the body it guards, use CUDA-only
  code: a CUDA-only library (``xformers``, ``flashinfer``, ``triton``, ``flash_attn``,
  ``cutlass``), the project's own CUDA code (``self.forward_cuda``,
  ``can_use_cuda_kernels``), or ``get_device_capability`` (NVIDIA compute capability).
- ``device-dispatch``: code that dispatches over accelerators other than NPU: an
  operand, a branch of an ``if``/``elif`` chain or conditional expression, or an item
  of a list, tuple or set beside another accelerator (``xpu``, ``mps``, ``hpu``,
  ``xla``, …), and every entry of a dict keyed by device or backend names
  (``{"cuda": torch.cuda.empty_cache, "xpu": ...}``), or the value of its ``"cuda"`` or
  ``"gpu"`` key: the port adds an NPU case beside the CUDA one, not in its place.
- ``npu-branch``: the body of ``if <NPU test>``: the project already runs this on NPU
  (``if device_type == "npu": device_type = "cuda"`` files NPU memory under one name).

- ``cuda-module``: a module of the project whose name names CUDA beside sibling modules
  named after other devices (lightning ``accelerators/cuda.py`` beside ``mps.py`` and
  ``xla.py``, colossalai ``cuda_accelerator.py`` beside ``npu_accelerator.py``, vllm
  ``platforms/cuda.py`` beside ``rocm.py``): the project's CUDA implementation, whose
  NPU sibling is another module (:meth:`ProjectIndex.is_cuda_module`).

A comparison with a CUDA device string (``self.device == "cuda"``) in a module that also
lists devices in a table (``_supported_devices = ["cpu", "cuda"]``, checked by an
``assert self.device in _supported_devices``) is fixed only together with the table's
``"cuda"`` (:func:`table_cuda_values`, found once per file): fixed alone, NPU would take
the CUDA branch but fail the table's check (colossalai ``booster/accelerator.py``). The
table's item is a string no static test knows to be a device, so its fix is unsafe, and
the comparison's becomes unsafe with it.

A test that is fixed (``device == "cuda"`` → ``device == "npu"``) also changes which
branch NPU takes. When a branch of that ``if`` or conditional expression holds a CUDA
value, :func:`chosen_cuda_values` names it (``backend = "nccl" if device == "cuda" else
"gloo"``; ``self.accelerator = "cuda"`` under ``if devices[0].type == "cuda"``): the
test is fixed only together with that value's own fix (``"hccl" if device == "npu"``),
never alone, which would ask for NCCL on an NPU or pick the CUDA accelerator for NPU
devices.
"""

from __future__ import annotations

import re

import libcst as cst

from portcheck.expressions import ParentOf, ancestors, cuda_fstring_head, is_cuda_device_text
from portcheck.handled import CodeOf, chain_tests, names_npu

DEFINITION = "cuda-definition"
GATE = "cuda-only-gate"
DISPATCH = "device-dispatch"
NPU_BRANCH = "npu-branch"
MODULE = "cuda-module"
REASONS = {
    MODULE: "in a module that is the project's CUDA implementation beside other devices'",
    NPU_BRANCH: "in the branch the project runs on NPU: CUDA there is deliberate or a bug",
    DEFINITION: "inside a class or function that is the project's CUDA implementation",
    GATE: "guards CUDA-only code (a CUDA library, kernel or compute-capability check)",
    DISPATCH: "one case of a dispatch over several accelerators: add an NPU case beside it",
}

_WORD_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CUDA_ONLY_PARTS = frozenset(
    {"triton", "xformers", "xops", "flashinfer", "cutlass", "nvcc", "apex"}
)
_CUDA_PREFIXES = ("cuda", "cudnn", "cublas")
_CUDA_ONLY_NAMES = frozenset({"get_device_capability"})
_PLAIN_TOUCHPOINTS = frozenset({"cuda", "is_cuda"})
"""``torch.cuda`` and ``tensor.is_cuda`` are what a fix rewrites, not CUDA-only code."""

_STRING_WORDS = re.compile(r"[A-Za-z]+")
OTHER_ACCELERATOR = re.compile(
    r"(?<![a-z])(?:xpu|mps|hpu|xla|tpu|mlu|musa|neuron|ipu|rocm|hip|mtia)(?![a-z])",
    re.IGNORECASE,
)
_CUDA_KEYS = frozenset({"cuda", "gpu"})


def names_cuda_only(identifier: str) -> bool:
    """Whether an identifier names CUDA or a CUDA-only library (``forward_cuda``,
    ``CUDAAccelerator``, ``is_xformers_available``, ``get_device_capability``)."""
    if identifier in _CUDA_ONLY_NAMES:
        return True
    parts = [part.lower() for part in _WORD_PARTS.findall(identifier)]
    if any(part.startswith(_CUDA_PREFIXES) or part in _CUDA_ONLY_PARTS for part in parts):
        return True
    return any(a == "flash" and b == "attn" for a, b in zip(parts, parts[1:]))


def kept_reason(node: cst.CSTNode, parent_of: ParentOf, code_of: CodeOf) -> str | None:
    """``cuda-definition``, ``cuda-only-gate``, ``device-dispatch``, or None when the
    code around ``node`` is plain CUDA code that a fix may port."""
    child = node
    for ancestor in ancestors(node, parent_of):
        reason = _reason_at(ancestor, child, node, parent_of, code_of)
        if reason is not None:
            return reason
        child = ancestor
    return None


_CUDA_ONLY_VALUES = frozenset({"nccl"})
"""String values that only CUDA has, each with a fix of its own (PC004: ``"hccl"``)."""
_TEST_PARTS = (
    cst.Comparison,
    cst.ComparisonTarget,
    cst.BooleanOperation,
    cst.UnaryOperation,
    cst.Call,
    cst.Arg,
    cst.Attribute,
)
"""What a finding inside an ``if`` test is nested in on its way up to the test."""


def chosen_cuda_values(node: cst.CSTNode, parent_of: ParentOf) -> tuple[cst.CSTNode, ...]:
    """The CUDA values (``"nccl"``, ``"cuda"``, ``f"cuda:{i}"`` literals) in the branches
    of the ``if`` or conditional expression whose test holds ``node``: fixing the test
    without them would send NPU to the CUDA value (or CUDA away from it)."""
    child = node
    for ancestor in ancestors(node, parent_of):
        if isinstance(ancestor, (cst.If, cst.IfExp)):
            if child is not ancestor.test:
                return ()
            branches = [ancestor.body, ancestor.orelse]
            return tuple(
                value for branch in branches if branch is not None for value in _values(branch)
            )
        if not isinstance(ancestor, _TEST_PARTS):
            return ()
        child = ancestor
    return ()


_DEVICE_NAME = re.compile(
    r"(?:cpu|cuda|gpu|npu|meta|xpu|mps|hpu|xla|tpu|mlu|musa|neuron|ipu|rocm|hip|mtia)",
    re.IGNORECASE,
)
_EQUALITY = (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)


def is_compared_device_string(node: cst.CSTNode, parent_of: ParentOf) -> bool:
    """Whether ``node`` is a CUDA device string compared with ``==``, ``!=``, ``in`` or
    ``not in`` (``self.device == "cuda"``)."""
    target = parent_of(node)
    return (
        isinstance(node, cst.SimpleString)
        and isinstance(target, cst.ComparisonTarget)
        and isinstance(target.operator, _EQUALITY)
        and is_cuda_device_text(_string_value(node) or "")
    )


def table_cuda_values(module: cst.Module) -> tuple[cst.CSTNode, ...]:
    """The ``"cuda"`` items of the module's device tables: list, tuple or set literals
    of two or more strings, each a device type, one of them ``"cuda"``."""
    finder = _DeviceTables()
    module.visit(finder)
    return tuple(finder.found)


class _DeviceTables(cst.CSTVisitor):
    """The ``"cuda"`` items of device tables (see :func:`table_cuda_values`)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.CSTNode] = []

    def visit_List(self, node: cst.List) -> None:
        self._table(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._table(node)

    def visit_Set(self, node: cst.Set) -> None:
        self._table(node)

    def _table(self, node: cst.List | cst.Tuple | cst.Set) -> None:
        items = [element.value for element in node.elements]
        if len(items) < 2 or not all(isinstance(item, cst.SimpleString) for item in items):
            return
        values = [_string_value(item) for item in items if isinstance(item, cst.SimpleString)]
        if all(value and _DEVICE_NAME.fullmatch(value) for value in values):
            self.found.extend(item for item, value in zip(items, values) if value == "cuda")


def is_cuda_only_value(node: cst.CSTNode) -> bool:
    """``"nccl"`` (any case): a value no NPU has, so a test that picks it is never fixed
    alone, even where no rule reports the value."""
    return isinstance(node, cst.SimpleString) and _string_value(node) in _CUDA_ONLY_VALUES


class _CompanionValues(cst.CSTVisitor):
    """The CUDA-only values and CUDA device strings of a region. One class for every
    call: the walk plans each visitor class once and keeps the plan, so a class made per
    call cost more than the walk itself on CUDA-dense files."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.BaseExpression] = []

    def visit_SimpleString(self, string: cst.SimpleString) -> None:
        value = _string_value(string)
        if value in _CUDA_ONLY_VALUES or (value and is_cuda_device_text(value)):
            self.found.append(string)

    def visit_FormattedString(self, string: cst.FormattedString) -> bool:
        if cuda_fstring_head(string) is not None:
            self.found.append(string)
        return True


def _values(region: cst.CSTNode) -> list[cst.BaseExpression]:
    collector = _CompanionValues()
    region.visit(collector)
    return collector.found


def _reason_at(
    ancestor: cst.CSTNode,
    child: cst.CSTNode,
    node: cst.CSTNode,
    parent_of: ParentOf,
    code_of: CodeOf,
) -> str | None:
    if isinstance(ancestor, (cst.ClassDef, cst.FunctionDef)):
        return DEFINITION if names_cuda_only(ancestor.name.value) else None
    if isinstance(ancestor, cst.Dict):
        return _dict_reason(ancestor, child, code_of)
    if isinstance(ancestor, (cst.List, cst.Tuple, cst.Set)):
        others = [element for element in ancestor.elements if element is not child]
        return DISPATCH if any(_names_other(element, code_of) for element in others) else None
    if isinstance(ancestor, cst.BooleanOperation):
        other = ancestor.right if child is ancestor.left else ancestor.left
        if _names_other(other, code_of):
            return DISPATCH
        return GATE if _uses_cuda_only(other, node) else None
    if isinstance(ancestor, cst.IfExp):
        parts = (ancestor.test, ancestor.body, ancestor.orelse)
        if any(_names_other(part, code_of) for part in parts if part is not child):
            return DISPATCH
        if child is ancestor.test and _uses_cuda_only(ancestor.body, node):
            return GATE
        return None
    if isinstance(ancestor, cst.If):
        return _if_reason(ancestor, child, node, parent_of, code_of)
    if isinstance(ancestor, cst.Assert) and child is ancestor.test:
        return _assert_reason(ancestor, node, parent_of)
    if isinstance(ancestor, cst.Else):
        chain = parent_of(ancestor)
        if isinstance(chain, cst.If) and any(
            _names_other(test, code_of) for test in chain_tests(chain, parent_of)
        ):
            return DISPATCH
        return None
    return None


def _if_reason(
    branch: cst.If, child: cst.CSTNode, node: cst.CSTNode, parent_of: ParentOf, code_of: CodeOf
) -> str | None:
    if child is branch.orelse:
        return None
    test = branch.test
    if child is branch.body and names_npu(code_of(test)):
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        return None if negated else NPU_BRANCH
    if any(_names_other(test, code_of) for test in chain_tests(branch, parent_of)):
        return DISPATCH
    if child is branch.test and _uses_cuda_only(branch.body, node):
        return GATE
    return None


def _assert_reason(check: cst.Assert, node: cst.CSTNode, parent_of: ParentOf) -> str | None:
    """``assert torch.cuda.is_available(), "CUDA required for APEX optimizers"`` under
    ``if name.startswith("apex."):`` guards the CUDA-only code that follows it."""
    if check.msg is not None and _uses_cuda_only(check.msg, node):
        return GATE
    for ancestor in ancestors(check, parent_of):
        if isinstance(ancestor, cst.If):
            return GATE if _uses_cuda_only(ancestor.test, node) else None
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            return None
    return None


def _dict_reason(table: cst.Dict, child: cst.CSTNode, code_of: CodeOf) -> str | None:
    keys = [element.key for element in table.elements if isinstance(element, cst.DictElement)]
    if isinstance(child, cst.DictElement) and _string_value(child.key) in _CUDA_KEYS:
        return DISPATCH
    if any(_names_other(key, code_of) for key in keys if key is not getattr(child, "key", None)):
        return DISPATCH
    return None


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value.lower() if isinstance(value, str) else None
    return None


def _names_other(node: cst.CSTNode, code_of: CodeOf) -> bool:
    return OTHER_ACCELERATOR.search(code_of(node)) is not None


def _uses_cuda_only(region: cst.CSTNode, finding: cst.CSTNode) -> bool:
    """Whether ``region`` (outside the finding's own node) names CUDA-only code."""
    names = _CudaOnlyNames(finding)
    region.visit(names)
    return names.found


class _CudaOnlyNames(cst.CSTVisitor):
    """A class of its own, not one per call: the walk plans each visitor class once."""

    def __init__(self, finding: cst.CSTNode) -> None:
        super().__init__()
        self.finding = finding
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found or node is self.finding:
            return False
        if isinstance(node, cst.Name) and node.value not in _PLAIN_TOUCHPOINTS:
            self.found = names_cuda_only(node.value)
        elif isinstance(node, (cst.SimpleString, cst.FormattedStringText)):
            words = _STRING_WORDS.findall(node.value)
            self.found = any(word.lower() in _CUDA_ONLY_PARTS for word in words)
        return not self.found
