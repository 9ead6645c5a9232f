"""libcst's visitor traversal without its node rebuilding: the same callbacks, in the same order.

``CSTNode.visit`` visits a node's children through ``_visit_and_replace_children``,
which constructs (and validates) a new copy of every node on the way, even for a
read-only ``CSTVisitor`` that can change nothing; libcst says so itself ("TODO: provide
traversal where children are not replaced"). For portcheck that rebuilding is most of
the cost of resolving scopes and running the rules on a file.

:func:`read_only_visits` makes ``CSTNode.visit`` skip it for ``CSTVisitor`` instances
while it is active: the visitor gets ``on_visit``, ``on_visit_attribute``,
``on_leave_attribute`` and ``on_leave`` for the same nodes and fields in the same order
as libcst would give it, and every node is returned as it was, which is what libcst
returns to a ``CSTVisitor`` too. Transformers are left to libcst. It patches the
method rather than walking the tree itself because libcst's own visitors (the scope
analysis among them) call ``node.visit`` on subtrees directly.

The order of a node's fields is read from libcst's own ``_visit_and_replace_children``
of its class (the field-name arguments of its ``visit_*`` helper calls, in the order
Python evaluates them), so it follows the installed libcst; when that source cannot be
read, nothing is patched and libcst does all the work as before. The tests compare
every callback, in order, with libcst's own traversal.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from types import MappingProxyType
from typing import Any

import libcst as cst
from libcst import MaybeSentinel

from portcheck.fastcst.libcst_internals import Internals, internals, swapped

_VISIT_HELPERS = frozenset(
    {
        "visit_required",
        "visit_optional",
        "visit_sentinel",
        "visit_iterable",
        "visit_sequence",
        "visit_body_iterable",
        "visit_body_sequence",
    }
)
"""libcst's helpers that visit one field of a node (``libcst._nodes.internal``)."""

_LIBCST_VISIT = cst.CSTNode.visit
_NONE: frozenset[str] = frozenset()
_LAST_PLAN: list[Any] = [None, None]
"""The last visitor and its plan: a one-entry cache, safe to race (a miss recomputes)."""
_ORDERS: dict[type[cst.CSTNode], tuple[tuple[str, bool], ...]] = {}


class OrderUnknown(Exception):
    """The visiting order of a node class could not be read from libcst's source."""


@contextmanager
def read_only_visits() -> Iterator[bool]:
    """Within the block, ``CSTNode.visit`` does not rebuild nodes for a ``CSTVisitor``.

    Yields whether the faster traversal is in use: not when libcst's private parts or
    its source are missing. Nested and concurrent uses are counted, so the original
    method comes back when the last one ends.
    """
    if internals() is None or not _orders_readable():
        yield False
        return
    with swapped(cst.CSTNode, "visit", _visit, on_restore=_forget_last_plan):
        yield True


def _forget_last_plan() -> None:
    """Let the last visitor and its tree go."""
    _LAST_PLAN[:] = [None, None]


def _visit(node: cst.CSTNode, visitor: cst.CSTVisitor) -> cst.CSTNode:
    if not isinstance(visitor, cst.CSTVisitor):
        return _LIBCST_VISIT(node, visitor)
    last_visitor, plan = _LAST_PLAN
    if last_visitor is not visitor:  # libcst's own visitors visit subtrees one by one
        plan = _plan(visitor)
        _LAST_PLAN[:] = [visitor, plan]
    _walk(node, visitor, plan)
    return node


def _walk(node: cst.CSTNode, visitor: cst.CSTVisitor, plan: _Plan) -> None:
    node_type = type(node)
    hooks = plan.hooks.get(node_type)
    if hooks is None:
        hooks = plan.hooks[node_type] = plan.find_hooks(node_type)
    visit, visit_is_on_visit, leave = hooks
    if visit is None or (bool(visit(node)) if visit_is_on_visit else visit(node) is not False):
        order = _ORDERS.get(node_type)
        if order is None:
            order = field_order(node_type)
        announced, unseen = plan.announced, plan.unseen
        fields = None if announced is None else announced.get(node_type.__name__, _NONE)
        for field, announce_missing in order:
            value = getattr(node, field)
            announce = (fields is None or field in fields) and (
                announce_missing or value is not None
            )
            if announce:
                visitor.on_visit_attribute(node, field)
            if value is None or value is MaybeSentinel.DEFAULT:
                pass
            elif type(value) is tuple or type(value) is list:
                for child in value:
                    if type(child) not in unseen:
                        _walk(child, visitor, plan)
            elif type(value) not in unseen:
                _walk(value, visitor, plan)
            if announce:
                visitor.on_leave_attribute(node, field)
    if leave is not None:
        leave(node)


def field_order(node_type: type[cst.CSTNode]) -> tuple[tuple[str, bool], ...]:
    """The fields libcst visits for ``node_type``, in its order, each with whether a
    missing (None) value is still announced to attribute callbacks.

    libcst's helpers announce a field even when it holds None or a sentinel, except
    where the node's code calls the helper only for a present value (``format_spec``
    of ``FormattedStringExpression``): a single call inside a conditional expression.
    """
    known = _ORDERS.get(node_type)
    if known is not None:
        return known
    try:
        source = inspect.getsource(node_type._visit_and_replace_children)
        tree = ast.parse(textwrap.dedent(source))
    except (OSError, TypeError, SyntaxError) as error:
        raise OrderUnknown(node_type.__name__) from error
    conditional = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.IfExp)
        for node in ast.walk(branch)
    }
    calls: dict[str, list[ast.Call]] = {}
    for call in sorted(_helper_calls(tree), key=lambda call: (call.lineno, call.col_offset)):
        field = call.args[1] if len(call.args) >= 2 else None
        if not isinstance(field, ast.Constant) or not isinstance(field.value, str):
            raise OrderUnknown(node_type.__name__)
        calls.setdefault(field.value, []).append(call)
    order = tuple(
        (field, len(field_calls) > 1 or id(field_calls[0]) not in conditional)
        for field, field_calls in calls.items()
    )
    _ORDERS[node_type] = order
    return order


def _helper_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _VISIT_HELPERS
        ):
            yield node


@cache
def _orders_readable() -> bool:
    try:
        field_order(cst.Name)
        field_order(cst.Call)
    except OrderUnknown:
        return False
    return True


NodeHook = Callable[[cst.CSTNode], Any]
Hooks = tuple["NodeHook | None", bool, "NodeHook | None"]
"""What to call on entering a node (and whether it is ``on_visit``, whose truth decides
the descent, rather than a ``visit_<Type>`` method, whose False does), and on leaving."""


class _Plan:
    """How to walk for one visitor.

    ``announced``: the fields, by node type name, whose attribute callbacks can do
    something (None: all of them). ``unseen``: node types the visitor cannot observe
    and whose subtrees hold no node it can. ``hooks``: by node type, what to call on
    entering and leaving it: where libcst's ``on_visit``/``on_leave`` would only look
    up ``visit_<Type>``/``leave_<Type>`` methods by name, the methods themselves (or
    nothing), found once per type instead of once per node.
    """

    def __init__(
        self,
        visitor: cst.CSTVisitor,
        announced: Mapping[str, frozenset[str]] | None,
        unseen: frozenset[type[cst.CSTNode]],
        blind: bool,
        batched_methods: Mapping[str, Sequence[NodeHook]] | None,
    ) -> None:
        self.announced = announced
        self.unseen = unseen
        self.hooks: dict[type[cst.CSTNode], Hooks] = {}
        self._visitor = visitor
        self._blind = blind
        self._batched_methods = batched_methods
        """By callback name, the rules' methods: libcst's batched visitor calls them all."""

    def find_hooks(self, node_type: type[cst.CSTNode]) -> Hooks:
        visitor, name = self._visitor, node_type.__name__
        methods = self._batched_methods
        if methods is not None:
            if not self._blind:
                return visitor.on_visit, True, visitor.on_leave
            return (
                _calling_all(methods.get(f"visit_{name}", ())),
                False,
                _calling_all(methods.get(f"leave_{name}", ())),
            )
        visitor_type = type(visitor)
        if visitor_type.on_visit is cst.CSTVisitor.on_visit:
            visit, visit_is_on_visit = _method(visitor, f"visit_{name}"), False
        else:
            visit, visit_is_on_visit = visitor.on_visit, True
        if visitor_type.on_leave is cst.CSTVisitor.on_leave:
            leave = _method(visitor, f"leave_{name}")
        else:
            leave = visitor.on_leave
        return visit, visit_is_on_visit, leave


def _method(visitor: cst.CSTVisitor, name: str) -> NodeHook | None:
    """``getattr(visitor, name)`` as libcst's dispatch finds it; None for an empty stub."""
    method = getattr(visitor, name, None)
    return None if method is None or _is_empty_stub(method) else method


def _is_empty_stub(method: object) -> bool:
    """libcst's typed visitor classes define every ``visit_*``/``leave_*`` as a no-op."""
    return bool(getattr(method, "_is_no_op", False))


def _calling_all(methods: Sequence[NodeHook]) -> NodeHook | None:
    """The batched visitor's dispatch for one type: every method, results ignored."""
    if not methods:
        return None

    def call_all(node: cst.CSTNode) -> None:
        for method in methods:
            method(node)

    return call_all


def _plan(visitor: cst.CSTVisitor) -> _Plan:
    """What the visitor can observe.

    ``CSTVisitor`` and libcst's batched visitor call ``visit_<Type>_<field>`` and
    ``leave_<Type>_<field>`` methods only if they exist, so announcing other fields
    changes nothing; a visitor with its own ``on_visit_attribute`` hears about all.
    Likewise they see a node only through ``visit_<Type>``/``leave_<Type>`` methods:
    when a visitor has none for whitespace and punctuation nodes (two thirds of a
    tree, all under other such nodes), the walk leaves those out; when it has them
    for the module only (libcst's metadata providers, which start a visitor of their
    own from there), the walk stops at the module.
    """
    visitor_type = type(visitor)
    private = _private()
    batched: Any = visitor if isinstance(visitor, private.batched_visitor) else None
    if batched is not None:
        base = private.batched_visitor
        own_attribute_hooks = _overrides(visitor_type, base, _ATTRIBUTE_HOOKS)
        callbacks = tuple(batched.visitor_methods)
        blind = batched.before_visit is None and batched.after_leave is None
        blind = blind and not _overrides(visitor_type, base, _NODE_HOOKS)
    else:
        own_attribute_hooks = _overrides(visitor_type, cst.CSTVisitor, _ATTRIBUTE_HOOKS)
        callbacks = callback_names(visitor_type)
        # the scope analysis overrides on_leave only to record each node's scope, which
        # no caller can use for whitespace or punctuation (they have no names)
        blind = visitor_type is private.scope_visitor or not _overrides(
            visitor_type, cst.CSTVisitor, _NODE_HOOKS
        )
    announced = None if own_attribute_hooks else _attribute_fields(callbacks)
    observed = _named_types(callbacks)
    if not blind or announced is None:
        unseen: frozenset[type[cst.CSTNode]] = frozenset()
    elif observed <= {"Module"}:
        unseen = _all_node_types() - {cst.Module}
    elif observed & _formatting_names():
        unseen = frozenset()
    else:
        unseen = formatting_types()
    methods = None if batched is None else batched.visitor_methods
    return _Plan(visitor, announced, unseen, blind, methods)


def _private() -> Internals:
    found = internals()
    if found is None:  # read_only_visits swaps nothing in then
        raise OrderUnknown("libcst's private visitor classes")
    return found


_ATTRIBUTE_HOOKS = ("on_visit_attribute", "on_leave_attribute")
_NODE_HOOKS = ("on_visit", "on_leave")


def _overrides(visitor_type: type, base: type, hooks: tuple[str, ...]) -> bool:
    return any(getattr(visitor_type, hook) is not getattr(base, hook) for hook in hooks)


@cache
def callback_names(visitor_type: type) -> tuple[str, ...]:
    """The ``visit_*``/``leave_*`` methods of a visitor class, without libcst's empty stubs
    (libcst leaves them out too)."""
    return tuple(
        name
        for name in dir(visitor_type)
        if name.startswith(("visit_", "leave_"))
        and callable(getattr(visitor_type, name))
        and not _is_empty_stub(getattr(visitor_type, name))
    )


@cache
def _attribute_fields(method_names: tuple[str, ...]) -> Mapping[str, frozenset[str]]:
    """Node type name → fields named by ``visit_<Type>_<field>``/``leave_<Type>_<field>``."""
    fields: dict[str, set[str]] = {}
    for name in method_names:
        kind, _, rest = name.partition("_")
        type_name, _, field = rest.partition("_")
        if kind in ("visit", "leave") and type_name and field:
            fields.setdefault(type_name, set()).add(field)
    return MappingProxyType({name: frozenset(names) for name, names in fields.items()})


@cache
def _named_types(method_names: tuple[str, ...]) -> frozenset[str]:
    """The node type names that ``visit_<Type>...``/``leave_<Type>...`` methods name."""
    return frozenset(
        name.split("_")[1] for name in method_names if name.startswith(("visit_", "leave_"))
    )


@cache
def formatting_types() -> frozenset[type[cst.CSTNode]]:
    """Whitespace, comment and punctuation/operator nodes: libcst's whitespace and op modules.

    Their children are such nodes too, and they carry no names, so a visitor without
    callbacks for them cannot tell whether they were walked. None are known (so none
    is left out of a walk) when libcst's private modules are missing.
    """
    private = internals()
    return frozenset(
        value
        for module in (private.formatting_modules if private is not None else ())
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, cst.CSTNode)
        and value.__module__ == module.__name__
    )


@cache
def _formatting_names() -> frozenset[str]:
    return frozenset(node_type.__name__ for node_type in formatting_types())


@cache
def _all_node_types() -> frozenset[type[cst.CSTNode]]:
    """Every node class libcst has defined so far (a class made later is walked)."""
    found: set[type[cst.CSTNode]] = set()
    pending: list[type[cst.CSTNode]] = cst.CSTNode.__subclasses__()
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                pending.append(subclass)
    return frozenset(found)
