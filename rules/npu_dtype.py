"""PC013: dtypes the target chip does not support, or supports only in part.

Two kinds of facts: the chip's dtype coverage (FP8 unsupported on the Atlas A2/A3, unsigned
ints no operator is listed for, bf16 on the 910A), generated from Ascend's support list; and
float64/complex compute, only partly supported on every NPU (curated, with its evidence).

A dtype on a tensor that is explicitly on the CPU (``device="cpu"``, ``.cpu().double()``)
is never a finding, and neither is numpy (``np.float64`` is another name). A torch factory
called without a device (``torch.randn(3, dtype=torch.float64)``) makes a CPU tensor too,
unless the result is moved on (``.to(device)``, ``.cuda()``, on the call or later on the
name it is assigned to), ``torch.tensor``/``torch.as_tensor`` gets data that is not
written out (a tensor, whose device the result keeps), or the file sets a default device
(``torch.set_default_device``, ``set_default_tensor_type``, ``with torch.device(...)``):
float64 references in tests are computed that way (3 of 120 sampled findings on seven
real projects). float64 and complex are reported where they make tensors (an argument of
a call, ``.double()``), not where code only compares or maps dtypes, nor where a helper
named after dtypes gets them (``maybe_adjust_dtype_for_device(torch.float64, device)``
picks a dtype the device has). A coverage dtype is reported wherever it is named, except
as an entry of a table (a dict, list, tuple or set: ``{"fp8": torch.float8_e4m3fn}``
names it, no compute) or in a comparison.
"""

from __future__ import annotations

from functools import lru_cache

import libcst as cst
import libcst.matchers as m

from portcheck import expressions
from portcheck.knowledge import Knowledge
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

FLOAT64_NAMES = frozenset({"torch.float64", "torch.double", "torch.complex128", "torch.complex64"})
"""Names PC011 leaves to this rule (their facts live in curated.toml)."""
METHODS = {"double": "torch.float64", "cdouble": "torch.complex128", "bfloat16": "torch.bfloat16"}
CPU = "cpu"
FACTORIES = frozenset(
    f"torch.{name}"
    for name in (
        "tensor",
        "as_tensor",
        "zeros",
        "ones",
        "empty",
        "full",
        "rand",
        "randn",
        "randint",
        "randperm",
        "arange",
        "linspace",
        "logspace",
        "eye",
        "empty_strided",
    )
)
"""Calls that make a new tensor on the default device (not ``*_like``: those follow
their input's device)."""
MOVES = frozenset({"to", "cuda", "npu", "type"})
DATA_FACTORIES = frozenset({"torch.tensor", "torch.as_tensor"})
"""Factories whose result keeps the device of a tensor given as data."""


@lru_cache(maxsize=8)
def _coverage_dtypes(knowledge: Knowledge) -> frozenset[str]:
    coverage = knowledge.coverage
    names: tuple[str, ...] = (
        "torch.float8_e4m3fn",
        "torch.float8_e5m2",
        "torch.uint16",
        "torch.uint32",
    )
    names += ("torch.uint64", "torch.bfloat16")
    return frozenset(n for n in names if coverage is not None and coverage.dtype(n) is not None)


@lru_cache(maxsize=8)
def _last_names(knowledge: Knowledge) -> frozenset[str]:
    return frozenset(n.rsplit(".", 1)[1] for n in FLOAT64_NAMES | _coverage_dtypes(knowledge))


def _is_cpu_expression(node: cst.BaseExpression) -> bool:
    """``"cpu"``, ``"cpu:0"`` or ``torch.device("cpu")``."""
    value = expressions.string_value(node)
    if value is not None:
        return value.split(":")[0] == CPU
    if isinstance(node, cst.Call) and node.args:
        return _is_cpu_expression(node.args[0].value)
    return False


def _on_cpu(call: cst.Call) -> bool:
    """The call makes or converts a CPU tensor: a CPU device argument (``device="cpu"``,
    ``.to("cpu", ...)``), or a receiver that ``.cpu()`` or ``.numpy()`` already moved."""
    if any(_is_cpu_expression(arg.value) for arg in call.args):
        return True
    node = call.func
    while isinstance(node, (cst.Attribute, cst.Call)):
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in (CPU, "numpy"):
                return True
            node = func
        else:
            node = node.value
    return False


_TABLE_PARTS = (cst.DictElement, cst.Element, cst.ComparisonTarget, cst.Comparison)
"""Where a named dtype is an entry of a table or compared, not used to make a tensor."""


def _maps_dtypes(call: cst.Call) -> bool:
    """A call of a function named after dtypes (``maybe_adjust_dtype_for_device``,
    ``get_dtype``) takes a dtype to choose or map one, not to make a tensor. Not one that
    makes it the default (``torch.set_default_dtype(torch.float64)``), nor a class
    (lightning's ``_DtypeContextManager(torch.double)`` runs a whole model in float64)."""
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    lower = name.lower()
    return "dtype" in lower and "default" not in lower and not name.lstrip("_")[:1].isupper()


class NpuDtype(Rule):
    id = "PC013"
    name = "npu-dtype"
    summary = "dtype without (full) NPU support on the target chip: FP8, uint64, float64, ..."
    category = "caution"

    VALID = (
        Valid("import numpy as np\na = np.zeros(3, dtype=np.float64)\n"),
        Valid("import torch\nx = torch.zeros(3, dtype=torch.float64, device='cpu')\n"),
        Valid("import torch\ny = x.cpu().double()\n"),
        Valid("import torch\ny = x.to('cpu', torch.float64)\n"),
        Valid("import torch\nx = torch.ones(2, dtype=torch.bfloat16)\n"),
        Valid("import torch\nif x.dtype == torch.float64:\n    pass\n"),
        Valid("import torch\nx = torch.zeros(2, dtype=torch.float8_e4m3fn, device='cpu')\n"),
        Valid('import torch\nDTYPES = {"fp8": torch.float8_e4m3fn, "u64": torch.uint64}\n'),
        Valid("import torch\nif x.dtype == torch.float8_e5m2:\n    pass\n"),
        Valid("import torch\nd = maybe_adjust_dtype_for_device(torch.float64, x.device)\n"),
        Valid("import torch\nref = torch.randn(4, 4, dtype=torch.float64)\n"),
        Valid("import torch\nref = torch.tensor([1.0, 2.0], dtype=torch.float64)\n"),
    )
    INVALID = (
        Invalid(
            "import torch\nw = x.to(torch.float8_e4m3fn)\n",
            api="torch.float8_e4m3fn",
            category="blocker",
        ),
        Invalid("from torch import float8_e5m2 as f8\nd = f8\n", api="torch.float8_e5m2"),
        Invalid("import torch\ny = x.double()\n", api="torch.float64", category="caution"),
        Invalid("import torch\ny = x.to(torch.float64)\n", api="torch.float64"),
        Invalid(
            "import torch\nx = torch.zeros(3, dtype=torch.float64, device='npu')\n",
            api="torch.float64",
        ),
        Invalid("import torch\nx = torch.zeros(3, dtype=torch.uint64)\n", api="torch.uint64"),
        Invalid(
            "import torch\nx = torch.randn(4, dtype=torch.float64).to(device)\n",
            api="torch.float64",
        ),
        Invalid(  # the data may be a device tensor, whose device the result keeps
            "import torch\nref = torch.as_tensor(out, dtype=torch.float64)\n",
            api="torch.float64",
        ),
        Invalid(
            "import torch\n\ndef f(device):\n    ref = torch.zeros(4, dtype=torch.float64)\n"
            "    return ref.to(device)\n",
            api="torch.float64",
        ),
        Invalid(
            "import torch\ntorch.set_default_tensor_type(torch.cuda.DoubleTensor)\n"
            "x = torch.randn(4, dtype=torch.float64)\n",
            api="torch.float64",
        ),
        Invalid("import torch\ntorch.set_default_dtype(torch.float64)\n", api="torch.float64"),
        Invalid("import torch\nwith _DtypeContextManager(torch.double):\n    pass\n"),
        Invalid(
            "import torch\ntorch.set_default_device('cuda')\n"
            "x = torch.randn(4, dtype=torch.float64)\n",
            api="torch.float64",
        ),
    )

    @classmethod
    def needles(cls, knowledge: Knowledge) -> Needles:
        coverage = _coverage_dtypes(knowledge)
        methods = {m for m, dtype in METHODS.items() if dtype in FLOAT64_NAMES | coverage}
        return Needles(
            names=frozenset(n.rsplit(".", 1)[1] for n in FLOAT64_NAMES),
            torch_attributes=frozenset(n.rsplit(".", 1)[1] for n in coverage),
            method_calls=frozenset(methods),
        )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in _last_names(self.knowledge):  # cheap: most attributes are not
            self._check_name(node)

    def visit_Name(self, node: cst.Name) -> None:
        self._check_name(node)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in METHODS or node.args:
            return
        if self.qualified_names(func) or _on_cpu(node):
            return
        dtype = METHODS[func.attr.value]
        if dtype in FLOAT64_NAMES or dtype in _coverage_dtypes(self.knowledge):
            self._report(func, dtype)

    def _check_name(self, node: cst.Attribute | cst.Name) -> None:
        parent = self.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            return  # a prefix of a longer name (``torch`` of ``torch.float64``)
        if isinstance(parent, (cst.ImportAlias, cst.AsName)):
            return  # the import itself; its uses are reported
        names = self.qualified_names(node)
        coverage = sorted(names & _coverage_dtypes(self.knowledge))
        float64 = sorted(names & FLOAT64_NAMES)
        if not coverage and not float64:
            return
        call = self._enclosing_call(node)
        if call is not None and _on_cpu(call):
            return
        if coverage and not isinstance(parent, _TABLE_PARTS):
            self._report(node, coverage[0])
        elif (
            float64
            and call is not None
            and not _maps_dtypes(call)
            and not self._makes_cpu_tensor(call)
        ):
            self._report(node, float64[0])

    def _makes_cpu_tensor(self, call: cst.Call) -> bool:
        """A factory call with no device whose result stays where it is made, in a file
        that sets no default device: a CPU tensor."""
        if any(arg.keyword is not None and arg.keyword.value == "device" for arg in call.args):
            return False
        if not self.qualified_names(call.func) & FACTORIES:
            return False
        if self.qualified_names(call.func) & DATA_FACTORIES and not _literal_data(call):
            return False  # torch.tensor(t, dtype=...) of a tensor stays on t's device
        parent = self.parent(call)
        if isinstance(parent, cst.Attribute) and parent.attr.value in MOVES:
            return False
        if self._moved_later(call):
            return False
        if self._sets_default_device is None:
            self._sets_default_device = any(
                m.findall(self.context.module, pattern) for pattern in _DEFAULT_DEVICE
            )
        return not self._sets_default_device

    def _moved_later(self, call: cst.Call) -> bool:
        """``ref = torch.zeros(n, dtype=torch.float64)`` then ``ref.to(device)`` (or
        ``.cuda()``) in the same function or module: the tensor is moved after all."""
        assign = self.parent(call)
        if not (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
        ):
            return False
        name = assign.targets[0].target.value
        scope: cst.CSTNode = self.context.module
        for ancestor in expressions.ancestors(assign, self.parent):
            if isinstance(ancestor, cst.FunctionDef):
                scope = ancestor
                break
        moved = m.Call(
            func=m.Attribute(value=m.Name(name), attr=m.OneOf(*(m.Name(move) for move in MOVES)))
        )
        return bool(m.findall(scope, moved))

    _sets_default_device: bool | None = None

    def _enclosing_call(self, node: cst.CSTNode) -> cst.Call | None:
        """The call the name is an argument of (``f(x, dtype=torch.float64)``), else None."""
        parent = self.parent(node)
        if not isinstance(parent, cst.Arg):
            return None
        call = self.parent(parent)
        return call if isinstance(call, cst.Call) else None

    def _report(self, node: cst.CSTNode, dtype: str) -> None:
        chip = self.knowledge.chip
        fact = self.knowledge.coverage_dtype(dtype)
        if fact is not None:
            self.report(
                node,
                api=dtype,
                category=fact.category,  # type: ignore[arg-type]
                message=fact.message(chip) + ".",
                suggestion=fact.suggestion,
                evidence=fact.evidence,
            )
            return
        curated = self.knowledge.api(dtype)
        if curated is None:
            return
        self.report(
            node,
            api=dtype,
            message=f"`{dtype}` compute on {chip.label} is only partly supported",
            suggestion=curated.note,
            evidence=curated.evidence,
        )


_DEFAULT_DEVICE = (
    m.Call(func=m.Attribute(attr=m.Name("set_default_device"))),
    m.Call(func=m.Attribute(attr=m.Name("set_default_tensor_type"))),
    m.WithItem(item=m.Call(func=m.Attribute(attr=m.Name("device")))),
)
"""``torch.set_default_device``, ``set_default_tensor_type(torch.cuda.FloatTensor)``,
``with torch.device(...)``: factories of the file may make device tensors."""
_LITERALS = (cst.List, cst.Tuple, cst.Integer, cst.Float, cst.ListComp)


def _literal_data(call: cst.Call) -> bool:
    """The data of ``torch.tensor(data)`` is written out: Python numbers, not a tensor
    (whose device the result would keep)."""
    data = call.args[0].value if call.args and call.args[0].keyword is None else None
    return isinstance(data, _LITERALS)
