"""Which import a name comes from, without libcst's scope analysis where scopes cannot matter.

Rules ask one question of a name: which absolute import does it come from
(``c.synchronize`` after ``from torch import cuda as c`` is ``torch.cuda.synchronize``).
libcst answers it from ``ScopeProvider``, a scope analysis of the whole module that
costs about as much as parsing it. Most names need much less: the scopes around the
node bind the first part of the dotted name (``torch``) by import statements, or not
at all, or (a function) as a parameter, so the answer follows from those imports.
Python's own symbol table (:mod:`symtable`, built at C speed) says which scopes bind
the name and how.

The answer is then libcst's own arithmetic on those imports: the longest prefix of the
dotted name an import binds (``torch.cuda`` for ``import torch.cuda``), and
``ImportAssignment.get_qualified_names_for`` of each import statement that binds it.
:meth:`ModuleImports.imported` returns None, leaving the question to libcst, wherever
libcst's answer could differ:

- some scope declares the name ``global`` or ``nonlocal``, a scope the symbol table
  cannot place binds it, or the symbol table cannot be built;
- a scope the node is in binds the name other than by import or as a parameter and
  has no import of it (an assignment: the answer then depends on the order of bindings
  this module does not track), or is a class the node is directly in that binds it (a
  method does not see its class's names), or a lambda or comprehension that binds it;
  a scope with both an import and another binding (``except ImportError: x = None``)
  gets the import's names, as in libcst;
- an import in the node's own scope binding the name is not known to come before it
  (in an earlier statement of a block that holds both), and leaving it out changes
  the answer: libcst lets a use see only the imports of its own scope before it, but
  answers other nodes from all of them;
- the node may not be visited by libcst's scope analysis (a type parameter
  declaration, the first argument of what may be ``typing.NewType``/``TypeVar``);
- a string libcst may parse as an annotation holds a statement that can bind a name
  (``x: "import torch_npu as torch"``).

A node libcst's scope analysis never visits (inside an import, ``global`` or
``nonlocal`` statement, the ``attr`` of an attribute, a keyword argument's name) has
no scope there and so no names; it gets none here either. As in libcst, the name of a
parameter, def or class gets the names of every binding of the scope it is bound in,
and a name an assignment-like target binds gets none.

The tests compare every answer with libcst's provider, name for name, on the fixtures
and on snippets written to hit each case above; ``benchmarks/compare_names.py`` does it
on the benchmark corpus.
"""

from __future__ import annotations

import re
import symtable
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import GlobalScope, ImportAssignment, QualifiedName, QualifiedNameSource

_NEVER_VISITED_INSIDE = frozenset({cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal})
"""Statements whose names libcst's scope analysis never visits (every version since 1.0)."""
_TYPE_PARAMETER_DECLARATIONS = frozenset(
    getattr(cst, name)
    for name in ("TypeAlias", "TypeVar", "TypeVarTuple", "ParamSpec")
    if hasattr(cst, name)
)
"""Declarations whose names libcst visits or not depending on its version."""
_COMPREHENSIONS = frozenset({cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp})
_ANONYMOUS_SCOPES = frozenset({"lambda", "listcomp", "setcomp", "dictcomp", "genexpr"})
"""Symbol-table names of scopes that have no name in the source."""
_TYPING_CALLS = frozenset({"NewType", "TypeVar", "cast"})
"""``typing`` functions whose arguments libcst treats specially (skipped or parsed)."""
_UNVISITED_FIRST_ARGUMENT = frozenset({"NewType", "TypeVar"})
_WITH_TARGET = frozenset(
    {cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For, cst.CompFor}
)
"""Nodes whose ``target`` libcst's expression context marks as stored to."""
_TARGET_WRAPPERS = frozenset({cst.Tuple, cst.List, cst.StarredElement, cst.Element})
"""What a stored name can be inside, passing the store on (``a, *b = ...``)."""
_BLOCKS = frozenset(
    {cst.Module, cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine}
)
"""Nodes whose ``body`` is a sequence of statements, visited in order."""
_BINDING_WORD = re.compile(r"\b(?:import|def|class|global|nonlocal)\b|\btype(?:\s|\\)+\w")
"""What a statement parsed from an annotation string needs to bind a name in the
current scope; an assignment there does not (libcst gives its targets no context)."""
_ANY_SCOPE = GlobalScope()
"""``ImportAssignment`` wants a scope; the names it gives for an import never use it."""

UNVISITED = -1
"""The place of a node libcst's scope analysis never visits."""
_BOUND_NAME = -2
"""The place of the name of a parameter, def or class, which libcst puts in the scope
the name is bound in."""


@dataclass(frozen=True)
class _Enclosing:
    """A function or class a node is inside."""

    node: cst.FunctionDef | cst.ClassDef
    in_body: bool
    """The node is in its body (its scope), not in a decorator, default or base."""


@dataclass(frozen=True)
class _Place:
    """Where a node is: its ancestors and the scopes around it."""

    ancestors: tuple[cst.CSTNode, ...]
    """The node, its parent, and so on up to the module."""
    enclosing: tuple[_Enclosing, ...]
    """Innermost first."""
    nested: bool
    """Inside a lambda or comprehension."""
    first_scope: cst.CSTNode
    """The innermost function, lambda or class whose body holds the node, else the module."""


_IMPORT = "import"
_PARAMETER = "parameter"
_OTHER = "other"


@dataclass(frozen=True)
class _Binders:
    """How each scope binds a name: ``_IMPORT`` (import statements only) or ``_OTHER``."""

    module: str | None
    by_path: Mapping[tuple[str, ...], str]
    """Functions and classes by the names leading to them (``("C", "forward")``)."""
    anonymous: bool
    """A lambda or comprehension binds it."""


class ModuleImports:
    """One module's import-bound names, answered without a scope analysis where possible."""

    def __init__(
        self,
        module: cst.Module,
        parents: Mapping[cst.CSTNode, cst.CSTNode],
        text: str | None,
    ) -> None:
        self._module = module
        self._parents: Mapping[Any, Any] = parents
        """Its nodes' fields are read after ``type(node) is`` tests, which mypy cannot
        follow (``isinstance`` would, but costs more on a walk this hot)."""
        self._text = text
        self._scanned = False
        self._imports: dict[cst.CSTNode, dict[str, list[cst.Import | cst.ImportFrom]]] = {}
        """Per scope (the module, a function or class): the names its imports bind."""
        self._imports_of_head: dict[tuple[cst.CSTNode, str], list[cst.CSTNode]] = {}
        """Per scope and first name part: the import statements binding it."""
        self._comprehension_bound: set[str] = set()
        self._strings: list[cst.SimpleString | cst.ConcatenatedString] = []
        self._typing_call_renamed = False
        self._tables: dict[tuple[str, ...], list[symtable.SymbolTable]] | None = None
        self._binders: dict[str, _Binders | None] = {}
        self._strings_may_bind: bool | None = None
        self._names: dict[tuple[object, ...], frozenset[str]] = {}
        self._holding: dict[str, dict[tuple[str, ...], list[symtable.SymbolTable]]] | None = None
        self._heads: frozenset[str] | None = None
        self._orders: dict[int, dict[int, int]] = {}
        """Per block (by id; the tree lives as long as this object): its statements' order."""

    def import_heads(self) -> frozenset[str]:
        """The first part of every name an import statement of the module binds (``a``
        for ``import a.b``): no other name can have import names."""
        if self._heads is None:
            self._scan()
            self._heads = frozenset(
                bound.split(".")[0] for imports in self._imports.values() for bound in imports
            )
        return self._heads

    def imported(self, node: cst.CSTNode, head: str) -> set[str] | None:
        """The node's names from absolute imports, or None when libcst must be asked.

        ``head`` is the first part of the node's dotted name, which an import binds. Without
        the source text there is no symbol table, and only nodes libcst never visits
        are answered.
        """
        self._scan()
        place = self._place(node)
        if place == UNVISITED:
            return set()
        full_name = _full_name(node)
        if full_name is None:
            return None
        binders = self._binders_of(head)
        if binders is None or self._may_bind_in_strings():
            return None
        if place == _BOUND_NAME:
            # named after every binding of the scope it binds in, imports included
            scope = self._binding_scope(node)
            imports = self._imports.get(scope, {}).get(head, []) if scope is not None else []
            return set(self._names_from(imports, head, head)) if imports else set()
        if not isinstance(place, _Place) or (binders.anonymous and place.nested):
            return None
        if self._is_bound_here(node):
            return set()  # libcst names the target of a binding after that binding alone
        parameters: dict[cst.CSTNode, str] = {}
        chain = self._lookup_chain(place, head, binders, parameters)
        if chain is None:
            return None
        binding = _first_binding(chain, full_name, self._imports, parameters)
        if binding is None:
            return set()
        prefix, scope, statements = binding
        names = self._names_from(statements, prefix, full_name)
        if scope is place.first_scope:
            # libcst resolves a use (an access) from the imports of its own scope before
            # it, anything else from all of them: both must give the same names
            later = self._not_before(place, head)
            if later:
                earlier = [statement for statement in statements if statement not in later]
                if not earlier or self._names_from(earlier, prefix, full_name) != names:
                    return None
        return set(names)

    def _names_from(
        self, statements: list[cst.Import | cst.ImportFrom], prefix: str, full_name: str
    ) -> frozenset[str]:
        """The absolute import names libcst gives ``full_name`` from imports binding
        ``prefix`` (remembered: files use the same few names over and over)."""
        key = (prefix, full_name, *map(id, statements))
        known = self._names.get(key)
        if known is None:
            names: set[QualifiedName] = set()
            for statement in dict.fromkeys(statements):
                assignment = ImportAssignment(prefix, _ANY_SCOPE, statement, 0, statement)
                names |= assignment.get_qualified_names_for(full_name)
            known = self._names[key] = frozenset(imported_names(names))
        return known

    def _lookup_chain(
        self, place: _Place, head: str, binders: _Binders, parameters: dict[cst.CSTNode, str]
    ) -> list[cst.CSTNode] | None:
        """The scopes whose bindings of ``head`` the node sees, innermost first; None if a
        scope around it binds ``head`` in a way this module does not follow. Functions
        binding it only as a parameter go to ``parameters`` as well (a parameter is bound
        before anything in the body)."""
        chain: list[cst.CSTNode] = []
        names = [enclosing.node.name.value for enclosing in place.enclosing]
        in_function = False
        for depth, enclosing in enumerate(place.enclosing):
            path = tuple(reversed(names[depth:]))
            if path not in self._symbol_tables():
                return None
            is_class = type(enclosing.node) is cst.ClassDef
            how = binders.by_path.get(path)
            if how is None or not enclosing.in_body or (is_class and in_function):
                # not binding, or not a scope of the node: a decorator, default or base is
                # evaluated outside, and a class is invisible to the functions inside it
                in_function = in_function or (enclosing.in_body and not is_class)
                continue
            if is_class:
                return None
            if how == _PARAMETER:
                parameters[enclosing.node] = head
            elif how != _IMPORT and (enclosing.node, head) not in self._imports_of_head:
                return None
            in_function = True
            chain.append(enclosing.node)
        if binders.module == _OTHER and (self._module, head) not in self._imports_of_head:
            return None
        if binders.module is not None:
            chain.append(self._module)
        return chain

    def _binding_scope(self, name: cst.CSTNode) -> cst.CSTNode | None:
        """Where the name of a parameter (its function or lambda), def or class (the
        scope of the statement) is bound."""
        owner = self._parents.get(name)
        if type(owner) is cst.Param:
            return self._parents.get(self._parents.get(owner))
        return None if owner is None else self._scope_of_statement(owner)

    def _is_bound_here(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` is a def, a class or a name an assignment-like target binds
        (an attribute or subscript target binds nothing)."""
        if type(node) is cst.FunctionDef or type(node) is cst.ClassDef:
            return True
        if type(node) is not cst.Name:
            return False
        child: Any = node
        parent: Any = self._parents.get(node)
        while type(parent) in _TARGET_WRAPPERS:
            child, parent = parent, self._parents.get(parent)
        kind = type(parent)
        if kind is cst.AsName:
            return parent.name is child
        return kind in _WITH_TARGET and parent.target is child

    def _not_before(self, place: _Place, head: str) -> list[cst.CSTNode]:
        """The imports of ``head`` in the node's own scope not known to come before it: an
        import comes before a node when it is in an earlier statement of a block that
        also holds the node (libcst visits a scope's statements in order)."""
        position = {ancestor: depth for depth, ancestor in enumerate(place.ancestors)}
        later = []
        for statement in self._imports_of_head.get((place.first_scope, head), ()):
            child, parent = statement, self._parents.get(statement)
            while parent is not None and parent not in position:
                child, parent = parent, self._parents.get(parent)
            if parent is None or type(parent) not in _BLOCKS:
                later.append(statement)
                continue
            holder = place.ancestors[position[parent] - 1]
            order = self._order_in(parent)
            if order[id(child)] >= order[id(holder)]:
                later.append(statement)
        return later

    def _order_in(self, block: cst.CSTNode) -> dict[int, int]:
        """The index of each statement of ``block`` by its id, built once per block: a
        scan per use made 100,000 uses of an import in one block quadratic."""
        order = self._orders.get(id(block))
        if order is None:
            body = block.body  # type: ignore[attr-defined]
            order = self._orders[id(block)] = {id(child): i for i, child in enumerate(body)}
        return order

    def _place(self, node: cst.CSTNode) -> _Place | int | None:
        """Where ``node`` is; ``UNVISITED`` if libcst's scope analysis never visits it,
        ``_BOUND_NAME`` for the name of a parameter, def or class, None if it may not be
        visited."""
        ancestors = [node]
        enclosing: list[_Enclosing] = []
        nested = False
        first_scope: cst.CSTNode | None = None
        child, parent = node, self._parents.get(node)
        while parent is not self._module:
            if parent is None:
                return None
            ancestors.append(parent)
            kind = type(parent)
            if kind in _NEVER_VISITED_INSIDE:
                return UNVISITED
            if kind is cst.Attribute:
                if parent.attr is child:
                    return UNVISITED
            elif kind is cst.Arg:
                if parent.keyword is child:
                    return UNVISITED
            elif (kind is cst.Param or kind is cst.FunctionDef or kind is cst.ClassDef) and (
                parent.name is child
            ):
                return _BOUND_NAME
            elif kind is cst.FunctionDef or kind is cst.ClassDef:
                in_body = parent.body is child
                enclosing.append(_Enclosing(parent, in_body))
                if in_body and first_scope is None:
                    first_scope = parent
            elif kind is cst.Lambda:
                nested = True
                if parent.body is child and first_scope is None:
                    first_scope = parent
            elif kind in _COMPREHENSIONS:
                nested = True
            elif kind in _TYPE_PARAMETER_DECLARATIONS or (
                kind is cst.Call and _is_first_argument(child, parent) and self._may_skip(parent)
            ):
                return None
            child, parent = parent, self._parents.get(parent)
        ancestors.append(self._module)
        return _Place(tuple(ancestors), tuple(enclosing), nested, first_scope or self._module)

    def _may_skip(self, call: cst.Call) -> bool:
        """Whether this may be ``typing.NewType``/``TypeVar``, whose first argument libcst
        does not visit."""
        return self._typing_call_renamed or _last_part(call.func) in _UNVISITED_FIRST_ARGUMENT

    def _scan(self) -> None:
        """One pass over the tree for what the answers need: every scope's imports,
        the names comprehensions bind, and the strings that may be annotations."""
        if self._scanned:
            return
        self._scanned = True
        node: Any
        for node in self._parents:
            kind = type(node)
            if kind is cst.Import or kind is cst.ImportFrom:
                self._record_import(node)
            elif kind is cst.SimpleString or kind is cst.ConcatenatedString:
                self._strings.append(node)
            elif kind is cst.CompFor or kind is cst.NamedExpr:
                self._comprehension_bound.update(_target_names(node.target))

    def _record_import(self, statement: cst.Import | cst.ImportFrom) -> None:
        if isinstance(statement.names, cst.ImportStar):
            return
        for alias in statement.names:
            if alias.asname is not None and _last_part(alias.name) in _TYPING_CALLS:
                self._typing_call_renamed = True
        scope = self._scope_of_statement(statement)
        if scope is None:
            return
        imports = self._imports.setdefault(scope, {})
        for alias in statement.names:
            for name in _recorded_names(alias):
                imports.setdefault(name, []).append(statement)
                same_head = self._imports_of_head.setdefault((scope, name.split(".")[0]), [])
                if statement not in same_head:
                    same_head.append(statement)

    def _scope_of_statement(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The function, class or module whose scope a statement is in."""
        child, parent = node, self._parents.get(node)
        while parent is not None and parent is not self._module:
            is_scope = type(parent) is cst.FunctionDef or type(parent) is cst.ClassDef
            if is_scope and parent.body is child:
                return parent
            child, parent = parent, self._parents.get(parent)
        return parent

    def _binders_of(self, name: str) -> _Binders | None:
        if name not in self._binders:
            self._binders[name] = self._read_binders(name)
        return self._binders[name]

    def _read_binders(self, name: str) -> _Binders | None:
        """How each scope binds ``name``; None if a scope declares it global or
        nonlocal, or the symbol table cannot be built or matched to the source."""
        tables = self._symbol_tables()
        if not tables:
            return None
        module_how: str | None = None
        by_path: dict[tuple[str, ...], str] = {}
        anonymous = name in self._comprehension_bound
        for path, holding in self._tables_holding(name).items():
            hows: set[str | None] = set()
            if len(holding) < len(tables[path]):
                hows.add(None)  # another scope of the same name does not have it
            for table in holding:
                symbol = table.lookup(name)
                if path and (symbol.is_declared_global() or symbol.is_nonlocal()):
                    return None
                hows.add(_how_bound(symbol))
            if not path:
                module_how = hows.pop()
            elif path[-1] in _ANONYMOUS_SCOPES:
                anonymous = anonymous or hows != {None}
                by_path[path] = _OTHER  # a def of that name is taken for one
            elif len(hows) > 1:
                by_path[path] = _OTHER  # two scopes of one name: which one is which is unknown
            elif hows != {None}:
                by_path[path] = hows.pop() or _OTHER
        return _Binders(module_how, by_path, anonymous)

    def _tables_holding(self, name: str) -> Mapping[tuple[str, ...], list[symtable.SymbolTable]]:
        """The symbol tables that have ``name``, by path; built once for every name an
        import binds (one set intersection per table)."""
        if self._holding is None:
            imported = self.import_heads()
            self._holding = {}
            for path, same_path in self._symbol_tables().items():
                for table in same_path:
                    for found in imported & table.get_identifiers():
                        self._holding.setdefault(found, {}).setdefault(path, []).append(table)
        return self._holding.get(name, {})

    def _symbol_tables(self) -> dict[tuple[str, ...], list[symtable.SymbolTable]]:
        """The module's symbol tables by the names leading to them; empty if Python
        rejects the source or has a kind of scope libcst's nesting may not match."""
        if self._tables is None:
            self._tables = {}
            if self._text is None:
                return self._tables
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    top = symtable.symtable(self._text, "<module>", "exec")
            except Exception:  # whatever Python rejects gets libcst's own analysis
                return self._tables
            found: dict[tuple[str, ...], list[symtable.SymbolTable]] = {(): [top]}
            pending: list[tuple[tuple[str, ...], symtable.SymbolTable]] = [((), top)]
            while pending:
                path, table = pending.pop()
                for child in table.get_children():
                    kind = getattr(child.get_type(), "value", child.get_type())
                    if kind not in ("function", "class"):
                        return self._tables
                    child_path = (*path, child.get_name())
                    found.setdefault(child_path, []).append(child)
                    pending.append((child_path, child))
            self._tables = found
        return self._tables

    def _may_bind_in_strings(self) -> bool:
        """Whether a string libcst may parse as annotation code holds a statement that
        could bind a name (libcst visits it as if it were written in place)."""
        if self._strings_may_bind is None:
            self._strings_may_bind = any(
                _may_hold_binding_statement(string) and self._may_be_annotation(string)
                for string in self._strings
            )
        return self._strings_may_bind

    def _may_be_annotation(self, node: cst.CSTNode) -> bool:
        """Whether libcst's scope analysis may parse this string as annotation code:
        inside an annotation, a subscript of a plain name (``List["..."]``), or a call
        of a function named like ``typing.cast``/``NewType``/``TypeVar`` (or renamed)."""
        innermost_seen = False
        parent = self._parents.get(node)
        while parent is not None and parent is not self._module:
            kind = type(parent)
            if kind is cst.Annotation:
                return True
            if not innermost_seen and kind is cst.Subscript:
                innermost_seen = True
                if type(parent.value) is cst.Name:
                    return True
            elif not innermost_seen and kind is cst.Call:
                innermost_seen = True
                if self._typing_call_renamed or _last_part(parent.func) in _TYPING_CALLS:
                    return True
            parent = self._parents.get(parent)
        return False


def imported_names(names: Iterable[QualifiedName]) -> set[str]:
    """The names that come from absolute imports.

    Local names and relative imports are dropped: a project's own ``cuda_utils``
    module or ``cuda`` variable is never a CUDA API.
    """
    return {
        name.name
        for name in names
        if name.source is QualifiedNameSource.IMPORT and not name.name.startswith(".")
    }


def _first_binding(
    chain: list[cst.CSTNode],
    full_name: str,
    imports: Mapping[cst.CSTNode, Mapping[str, list[cst.Import | cst.ImportFrom]]],
    parameters: Mapping[cst.CSTNode, str],
) -> tuple[str, cst.CSTNode, list[cst.Import | cst.ImportFrom]] | None:
    """libcst's look-up: the longest prefix of ``full_name`` some scope of the chain
    binds (by import, or as a parameter of a function in ``parameters``), the innermost
    scope binding it, and that scope's imports binding it (none for a parameter)."""
    prefix = full_name
    while True:
        for scope in chain:
            found = imports.get(scope, {}).get(prefix)
            if found:
                return prefix, scope, found
            if parameters.get(scope) == prefix:
                return prefix, scope, []
        cut = prefix.rfind(".")
        if cut < 0:
            return None
        prefix = prefix[:cut]


def _how_bound(symbol: symtable.Symbol) -> str | None:
    if (
        symbol.is_assigned()
        or symbol.is_declared_global()
        or symbol.is_nonlocal()
        or symbol.is_annotated()
        or (symbol.is_parameter() and symbol.is_imported())
    ):
        return _OTHER
    if symbol.is_parameter():
        return _PARAMETER
    return _IMPORT if symbol.is_imported() else None


def _is_first_argument(node: cst.CSTNode, call: cst.Call) -> bool:
    return bool(call.args) and call.args[0] is node


def _may_hold_binding_statement(node: cst.SimpleString | cst.ConcatenatedString) -> bool:
    value: str | bytes | None
    if type(node) is cst.SimpleString and "\\" not in node.value:
        value = node.value
    else:
        try:
            value = node.evaluated_value
        except Exception:  # libcst could not evaluate it either, so does not parse it
            return False
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value is not None and _BINDING_WORD.search(value) is not None


def _recorded_names(alias: cst.ImportAlias) -> list[str]:
    """The names libcst records for one alias: ``c`` for ``import a.b as c``, else the
    dotted name and each of its prefixes."""
    if alias.asname is not None:
        name = alias.asname.name
        return [name.value] if type(name) is cst.Name else []
    full = _full_name(alias.name)
    if full is None:
        return []
    parts = full.split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]


def _target_names(target: Any) -> list[str]:
    """The names an assignment target binds (not attributes or subscripts)."""
    kind = type(target)
    if kind is cst.Name:
        return [target.value]
    if kind is cst.Tuple or kind is cst.List:
        return [name for element in target.elements for name in _target_names(element.value)]
    if kind is cst.StarredElement:
        return _target_names(target.value)
    return []


def _last_part(node: cst.CSTNode) -> str:
    name = _full_name(node)
    return "" if name is None else name.rsplit(".", 1)[-1]


def dotted_head(node: cst.CSTNode) -> str | None:
    """The first part of libcst's ``get_full_name_for_node(node)``: the name at the root
    of a chain of attributes, calls and subscripts; ``"None"`` when an attribute's chain
    ends in something else (libcst formats the missing part as ``None``); None when
    libcst gives the node no full name."""
    root, through_attribute = _chain_root(node, None)
    if type(root) is cst.Name:
        return root.value
    return "None" if through_attribute else None


def _full_name(node: cst.CSTNode) -> str | None:
    """libcst's ``get_full_name_for_node`` for chains that end in a name; None otherwise."""
    attributes: list[str] = []
    root, _ = _chain_root(node, attributes)
    if type(root) is not cst.Name:
        return None
    return ".".join((root.value, *reversed(attributes)))


def _chain_root(node: Any, attributes: list[str] | None) -> tuple[cst.CSTNode, bool]:
    """Where ``get_full_name_for_node`` stops going down a chain, and whether it went
    through an attribute; the attribute names on the way go to ``attributes``."""
    through_attribute = False
    while True:
        kind = type(node)
        if kind is cst.Attribute:
            through_attribute = True
            if attributes is not None:
                attributes.append(node.attr.value)
            node = node.value
        elif kind is cst.Call:
            node = node.func
        elif kind is cst.Subscript:
            node = node.value
        elif kind is cst.FunctionDef or kind is cst.ClassDef:
            node = node.name
        elif kind is cst.Decorator:
            node = node.decorator
        else:
            return node, through_attribute
