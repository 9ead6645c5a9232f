"""What an expression really means, beyond what libcst's name resolution gives.

libcst's ``QualifiedNameProvider`` answers "which import does this name come from";
this module answers the questions it cannot: is this string a CUDA device, does it
flow into a place where a device is expected, is it only a human-readable message.
Rules call these helpers with a parent lookup so the helpers stay pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import libcst as cst
from libcst.metadata import Scope

ParentOf = Callable[[cst.CSTNode], "cst.CSTNode | None"]
QualifiedNamesOf = Callable[[cst.CSTNode], set[str]]

CUDA_DEVICE_PATTERN = re.compile(r"cuda(:(\d+|%[dis]|\{\w*\})?)?")
"""``cuda``, ``cuda:0``, and the templates ``cuda:%d``, ``cuda:{}``, ``cuda:{rank}``, ``cuda:``."""

DEVICE_KEYWORDS = frozenset(
    {
        "device",
        "device_type",
        "map_location",
        "output_device",
        "device_ids",
        "devices",
        "dev",
        "pin_memory_device",
    }
)
DEVICE_FUNCTIONS = frozenset(
    {
        "torch.device",
        "torch.set_default_device",
        "torch.autocast",
        "torch.amp.autocast",
        "torch.get_device_module",
        "torch.Generator",
        "torch.amp.GradScaler",
    }
)
DEVICE_METHODS = frozenset({"to", "to_empty"})
DEVICE_ATTRIBUTES = frozenset({"type", "device"})
DEVICE_NAME_PATTERN = re.compile(r"(^|_)(device|dev|devices|device_type|map_location)$", re.I)

MESSAGE_FUNCTIONS = frozenset({"print", "warnings.warn", "logging.log", "input"})
NAMING_KEYWORDS = frozenset({"dest", "metavar", "help", "prog", "description", "title", "name"})
"""Keyword arguments whose strings name or describe things (argparse ``dest="cuda"``)."""
LOGGER_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal"}
)
LOGGER_NAME_PATTERN = re.compile(r"(^|_)(log|logger|logging|LOGGER|LOG)$")
STRING_MATCH_METHODS = frozenset(
    {"startswith", "endswith", "find", "rfind", "index", "rindex", "count", "split", "rsplit"}
    | {"partition", "rpartition", "replace", "removeprefix", "removesuffix"}
)
"""``location.startswith("cuda")``: a test on text that may be persisted (a checkpoint's
storage location), where ``"npu"`` would stop matching what CUDA saved."""
TEXT_METHODS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip"})
"""Methods whose result is certainly text, so ``x in s.lower()`` is a substring test."""
ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "hasattr", "setattr", "delattr"})
FX_OPCODES = frozenset({"call_method", "call_function", "call_module", "get_attr"})
"""``graph.create_proxy("call_method", "cuda", ...)``: the string names a method."""
OTHER_ACCELERATORS = frozenset({"xpu", "mps", "hpu", "xla", "mlu", "musa", "mtia", "ipu", "tpu"})


def is_dotted_name(node: cst.CSTNode) -> bool:
    """``a.b.c`` only: a name reached through a call (``f().x``) has no qualified name."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def string_value(node: cst.CSTNode) -> str | None:
    """The value of a plain string literal, or None for anything else (bytes included).

    Most literals have nothing to evaluate (no escape, no line break that Python
    would normalise), so their value is their text; the rest go to libcst, which
    runs ``ast.literal_eval``.
    """
    if not isinstance(node, cst.SimpleString):
        return None
    prefix = node.prefix.lower()
    if "b" in prefix:
        return None
    text = node.raw_value
    if "\r" not in text and ("r" in prefix or "\\" not in text):
        return text
    value = node.evaluated_value
    return value if isinstance(value, str) else None


def string_literals(node: cst.CSTNode) -> list[cst.SimpleString]:
    """Every plain string literal in ``node`` (itself included), in source order.

    A small visitor rather than ``libcst.matchers.findall``: importing the matchers
    module costs more than a whole pre-commit run's worth of parsing.
    """
    collector = _StringCollector()
    node.visit(collector)
    return collector.found


class _StringCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.SimpleString] = []

    def visit_SimpleString(self, literal: cst.SimpleString) -> None:
        self.found.append(literal)


def is_cuda_device_text(text: str) -> bool:
    return CUDA_DEVICE_PATTERN.fullmatch(text) is not None


def cuda_fstring_head(node: cst.FormattedString) -> cst.FormattedStringText | None:
    """The leading ``cuda:`` text part of ``f"cuda:{rank}"``, if the f-string is a device."""
    parts = node.parts
    if not parts or not isinstance(parts[0], cst.FormattedStringText):
        return None
    head = parts[0]
    if head.value not in ("cuda", "cuda:"):
        return None
    rest = parts[1:]
    if not rest or not all(isinstance(part, cst.FormattedStringExpression) for part in rest):
        return None
    return head


def ancestors(node: cst.CSTNode, parent_of: ParentOf) -> Iterator[cst.CSTNode]:
    current = parent_of(node)
    while current is not None:
        yield current
        current = parent_of(current)


def is_saved_location(node: cst.CSTNode, parent_of: ParentOf) -> bool:
    """A key of a ``map_location={"cuda:1": ...}`` dict names where a checkpoint was saved:
    it stays ``cuda`` even on Ascend (only the values say where to load)."""
    element = parent_of(node)
    if not isinstance(element, cst.DictElement) or element.key is not node:
        return False
    arg = parent_of(parent_of(element) or element)
    return (
        isinstance(arg, cst.Arg) and arg.keyword is not None and arg.keyword.value == "map_location"
    )


def is_docstring(node: cst.CSTNode, parent_of: ParentOf) -> bool:
    parent = parent_of(node)
    return isinstance(parent, cst.Expr)


def is_in_message(node: cst.CSTNode, parent_of: ParentOf, names_of: QualifiedNamesOf) -> bool:
    """True when the literal is (part of) a log, print, warning or exception message."""
    for ancestor in ancestors(node, parent_of):
        if (
            isinstance(ancestor, cst.Arg)
            and ancestor.keyword is not None
            and ancestor.keyword.value in NAMING_KEYWORDS
        ):
            return True
        if isinstance(ancestor, (cst.BaseStatement, cst.BaseSmallStatement)):
            return isinstance(ancestor, (cst.Raise, cst.Assert)) and _is_message_part(
                node, ancestor, parent_of
            )
        if isinstance(ancestor, cst.Call) and _is_message_call(ancestor, names_of):
            return True
    return False


def _is_message_part(node: cst.CSTNode, statement: cst.CSTNode, parent_of: ParentOf) -> bool:
    if isinstance(statement, cst.Assert):
        return any(a is statement.msg for a in (node, *ancestors(node, parent_of)))
    return True


def _is_message_call(call: cst.Call, names_of: QualifiedNamesOf) -> bool:
    func = call.func
    names = names_of(func)
    if names & MESSAGE_FUNCTIONS or (isinstance(func, cst.Name) and func.value == "print"):
        return True
    if isinstance(func, cst.Attribute) and func.attr.value in LOGGER_METHODS:
        owner = func.value
        if any(name.startswith("logging") for name in names):
            return True
        owner_name = owner.attr.value if isinstance(owner, cst.Attribute) else None
        if isinstance(owner, cst.Name):
            owner_name = owner.value
        return owner_name is not None and LOGGER_NAME_PATTERN.search(owner_name) is not None
    return False


def device_expression_root(node: cst.CSTNode, parent_of: ParentOf) -> cst.CSTNode:
    """Climb from a device literal through the expressions that only carry it along.

    ``"cuda:%d" % rank``, ``"cuda:{}".format(i)``, ``"cuda:" + str(i)``,
    ``"cuda" if ok else "cpu"`` and ``x or "cuda"`` all still *are* the device.
    """
    current = node
    while True:
        parent = parent_of(current)
        if isinstance(parent, (cst.BinaryOperation, cst.IfExp, cst.BooleanOperation)):
            current = parent
        elif (
            isinstance(parent, cst.Attribute)
            and parent.attr.value == "format"
            and isinstance(parent_of(parent), cst.Call)
        ):
            call = parent_of(parent)
            assert call is not None
            current = call
        else:
            return current


def is_device_position(
    expression: cst.CSTNode,
    parent_of: ParentOf,
    names_of: QualifiedNamesOf,
    scope_of: Callable[[cst.CSTNode], Scope | None],
) -> bool:
    """Whether ``expression`` is certainly used as a device (so rewriting it is safe)."""
    if _is_direct_device_use(expression, parent_of, names_of):
        return True
    parent = parent_of(expression)
    if isinstance(parent, cst.Element):
        container = parent_of(parent)
        grand = parent_of(container) if container is not None else None
        if isinstance(grand, cst.Arg) and grand.keyword is not None:
            return grand.keyword.value in DEVICE_KEYWORDS
        return False
    target = _assignment_target(expression, parent)
    if target is None:
        return False
    if DEVICE_NAME_PATTERN.search(target.value):
        return True
    scope = scope_of(target)
    if scope is None:
        return False
    for assignment in scope.assignments[target.value]:
        for access in assignment.references:
            if _is_direct_device_use(access.node, parent_of, names_of):
                return True
    return False


def _assignment_target(expression: cst.CSTNode, parent: cst.CSTNode | None) -> cst.Name | None:
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
    elif isinstance(parent, cst.AnnAssign) and parent.value is expression:
        target = parent.target
    else:
        return None
    if isinstance(target, cst.Name):
        return target
    if isinstance(target, cst.Attribute) and DEVICE_NAME_PATTERN.search(target.attr.value):
        return target.attr
    return None


def _is_direct_device_use(
    expression: cst.CSTNode, parent_of: ParentOf, names_of: QualifiedNamesOf
) -> bool:
    parent = parent_of(expression)
    if isinstance(parent, cst.Arg):
        if parent.keyword is not None:
            return parent.keyword.value in DEVICE_KEYWORDS
        call = parent_of(parent)
        if not isinstance(call, cst.Call):
            return False
        if names_of(call.func) & DEVICE_FUNCTIONS:
            return True
        func = call.func
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value in DEVICE_METHODS
            and bool(call.args)
            and call.args[0] is parent
        )
    if isinstance(parent, cst.ComparisonTarget):
        comparison = parent_of(parent)
        return isinstance(comparison, cst.Comparison) and _compares_device(comparison)
    if isinstance(parent, cst.Comparison):
        return _compares_device(parent)
    return False


def _compares_device(comparison: cst.Comparison) -> bool:
    sides = [comparison.left, *(target.comparator for target in comparison.comparisons)]
    for side in sides:
        if isinstance(side, cst.Attribute) and side.attr.value in DEVICE_ATTRIBUTES:
            return True
        if isinstance(side, cst.Name) and DEVICE_NAME_PATTERN.search(side.value):
            return True
    return False


def is_text_match(node: cst.CSTNode, parent_of: ParentOf) -> bool:
    """``name.startswith("nccl")``, ``"nccl" in op_name.lower()``: the literal is searched
    for in text (a kernel or profiler event name), not used as a value."""
    arg = parent_of(node)
    if isinstance(arg, cst.Arg) and arg.keyword is None:
        call = parent_of(arg)
        func = call.func if isinstance(call, cst.Call) else None
        return isinstance(func, cst.Attribute) and func.attr.value in STRING_MATCH_METHODS
    if not isinstance(arg, cst.Comparison) or arg.left is not node:
        return False
    target = arg.comparisons[0]
    searched = target.comparator
    return (
        isinstance(target.operator, (cst.In, cst.NotIn))
        and isinstance(searched, cst.Call)
        and isinstance(searched.func, cst.Attribute)
        and searched.func.attr.value in TEXT_METHODS
    )


def not_a_device_to_rewrite(node: cst.CSTNode, parent_of: ParentOf) -> str | None:
    """Why the CUDA literal ``node`` must not be rewritten to ``npu``, or None.

    Three shapes where the rewrite changes what working code means: a string test on
    text (``location.startswith("cuda")`` matches what a CUDA run saved), an attribute
    or method name (``getattr(t, "cuda")``, an FX ``"call_method"`` target), and a table
    of several accelerators, where the rewrite would drop the CUDA entry.
    """
    arg = parent_of(node)
    if isinstance(arg, cst.Arg) and arg.keyword is None:
        call = parent_of(arg)
        if isinstance(call, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in STRING_MATCH_METHODS:
                return "tested as text (it may match a name a CUDA run saved)"
            index = next(i for i, candidate in enumerate(call.args) if candidate is arg)
            if isinstance(func, cst.Name) and func.value in ATTRIBUTE_FUNCTIONS and index == 1:
                return "used as an attribute name, not a device"
            if any(string_value(other.value) in FX_OPCODES for other in call.args[:index]):
                return "used as a method name, not a device"
    if isinstance(arg, cst.Element):
        container = parent_of(arg)
        if isinstance(container, (cst.List, cst.Tuple, cst.Set)) and any(
            string_value(element.value) in OTHER_ACCELERATORS for element in container.elements
        ):
            return "in a table of several accelerators (Ascend needs an entry of its own)"
    if isinstance(arg, cst.DictElement) and arg.key is node:
        table = parent_of(arg)
        if isinstance(table, cst.Dict) and any(
            isinstance(element, cst.DictElement) and string_value(element.key) in OTHER_ACCELERATORS
            for element in table.elements
        ):
            return "in a table of several accelerators (Ascend needs an entry of its own)"
    return None
