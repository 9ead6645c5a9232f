"""Four libcst metadata providers, computed the cheap way; the rules see no difference.

Resolving metadata is most of the cost of analysing a file, and four of libcst's
providers spend it on work a rule rarely needs:

- ``ParentNodeProvider`` walks the tree with libcst's visitor machinery, which
  rebuilds every node on the way; reading the fields libcst visits gives the same
  child → parent map about ten times faster (whitespace and punctuation left out);
- ``QualifiedNameProvider`` walks the whole tree to attach a lazily computed value to
  every node, when rules ask for the names of a few; a mapping that computes them on
  first access from the node's scope (exactly as the provider's lazy values do) skips
  the walk;
- ``ScopeProvider`` analyses every scope of the module (as costly as parsing it), when
  the names rules ask about mostly come from module-level imports that nothing else
  binds; :class:`~portcheck.fastcst.import_names.ModuleImports` answers those from Python's
  symbol table, and the scope analysis runs only on a file where a question needs it;
- ``PositionProvider`` computes a ``CodeRange`` for every node of the module, when
  only reported nodes need one; :class:`~portcheck.fastcst.positions.LazyPositions` computes
  those, generating the code of only the statements that hold them.

:func:`seed` puts all four into a ``MetadataWrapper`` before the rules run, so rules
keep asking for ``ParentNodeProvider``, ``QualifiedNameProvider``, ``ScopeProvider``
and ``PositionProvider`` as before. The tests compare them, node for node, with
libcst's own providers; only whitespace and punctuation nodes have no parent or
names here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

import libcst as cst
from libcst import MaybeSentinel
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

from portcheck.fastcst.import_names import ModuleImports, dotted_head, imported_names
from portcheck.fastcst.libcst_internals import fast_path, internals, metadata_store
from portcheck.fastcst.positions import LazyPositions
from portcheck.fastcst.walk import OrderUnknown, field_order, formatting_types


def seed(wrapper: MetadataWrapper, text: str | None = None) -> None:
    """Give ``wrapper`` its parent map, qualified names and positions without libcst's walks.

    ``text`` is the source the module was parsed from; it lets positions be found
    statement by statement.
    """
    computed = metadata_store(wrapper)
    if computed is None or internals() is None:  # another libcst layout: libcst does it all
        return
    parents = parent_map(wrapper.module)
    if parents is None:
        return
    computed.setdefault(ParentNodeProvider, parents)
    scopes = computed.setdefault(ScopeProvider, LazyScopes(wrapper.module))
    if QualifiedNameProvider not in computed:
        computed[QualifiedNameProvider] = LazyQualifiedNames(wrapper.module, parents, scopes, text)
    computed.setdefault(PositionProvider, LazyPositions(wrapper.module, parents, text))


def seeded_positions(
    wrapper: MetadataWrapper,
) -> tuple[LazyPositions | None, Mapping[cst.CSTNode, cst.CSTNode] | None]:
    """The positions and parent map :func:`seed` gave ``wrapper`` (None where it gave none)."""
    computed = metadata_store(wrapper)
    if computed is None:
        return None, None
    positions = computed.get(PositionProvider)
    parents = computed.get(ParentNodeProvider)
    return (
        positions if isinstance(positions, LazyPositions) else None,
        parents if isinstance(parents, Mapping) else None,
    )


def statement_places(
    wrapper: MetadataWrapper, text: str
) -> tuple[LazyPositions | None, Mapping[cst.CSTNode, cst.CSTNode] | None]:
    """What fixes need to regenerate only the statements they change: the positions and
    parent map :func:`seed` gave ``wrapper``, or, off the fast path, libcst's own parent
    map and a :class:`LazyPositions` used only to place statements in ``text``.

    Without them every fix would regenerate, reparse and diff the whole module: time
    quadratic in the findings of a file (200 findings: 49 s instead of 2 s).
    """
    if fast_path():
        return seeded_positions(wrapper)
    parents = wrapper.resolve(ParentNodeProvider)
    return LazyPositions(wrapper.module, parents, text, placing_only=True), parents


def parent_map(module: cst.Module) -> Mapping[cst.CSTNode, cst.CSTNode] | None:
    """Child → parent for every node under ``module`` but whitespace and punctuation;
    None if a node occurs twice.

    Whitespace, comments and punctuation are two thirds of a tree and no rule asks
    for their parents (or names), so they are left out, and asking for them gets the
    default, as for a node outside the tree. A node object shared by two places has no
    single parent; libcst's provider would keep the last one it visits, so such a tree
    is left to libcst.
    """
    formatting = formatting_types()
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    try:
        while stack:
            node = stack.pop()
            for field, _ in field_order(type(node)):
                value = getattr(node, field)
                if type(value) is tuple or type(value) is list:
                    children = value
                elif value is None or value is MaybeSentinel.DEFAULT:
                    continue
                else:
                    children = (value,)
                for child in children:
                    if type(child) in formatting:
                        continue
                    if parents.setdefault(child, node) is not node:
                        return None
                    stack.append(child)
    except OrderUnknown:
        return None
    return MappingProxyType(parents)


class LazyScopes(Mapping[cst.CSTNode, "Scope | None"]):
    """``ScopeProvider``'s answers, computed by libcst on the first question."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._scopes: Mapping[cst.CSTNode, Scope | None] | None = None

    @property
    def resolved(self) -> bool:
        return self._scopes is not None

    def _resolve(self) -> Mapping[cst.CSTNode, Scope | None]:
        if self._scopes is None:
            wrapper = MetadataWrapper(self._module, unsafe_skip_copy=True)
            self._scopes = wrapper.resolve(ScopeProvider)
        return self._scopes

    def __getitem__(self, node: cst.CSTNode) -> Scope | None:
        return self._resolve()[node]

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._resolve())

    def __len__(self) -> int:
        return len(self._resolve())


class LazyQualifiedNames(Mapping[cst.CSTNode, "set[QualifiedName]"]):
    """``QualifiedNameProvider``'s answers, each computed on first access.

    Like the provider: a node with a scope gets ``scope.get_qualified_names_for(node)``,
    any other node of the parent map an empty set, and a node outside it (whitespace
    and punctuation included, which have no names) no entry. ``text``, the source the
    module was parsed from, lets :meth:`imported` answer most nodes without scopes.
    """

    def __init__(
        self,
        module: cst.Module,
        parents: Mapping[cst.CSTNode, cst.CSTNode],
        scopes: Mapping[cst.CSTNode, Scope | None],
        text: str | None = None,
    ) -> None:
        self._module = module
        self._parents = parents
        self._scopes = scopes
        self._known: dict[cst.CSTNode, set[QualifiedName]] = {}
        self._imports = ModuleImports(module, parents, text)
        self._imported: dict[cst.CSTNode, set[str] | None] = {}
        """What ``ModuleImports`` answered per node (None: ask libcst); rules ask again."""

    def __getitem__(self, node: cst.CSTNode) -> set[QualifiedName]:
        known = self._known.get(node)
        if known is not None:
            return known
        if node is not self._module and node not in self._parents:
            raise KeyError(node)
        scope = self._scopes.get(node)
        names = set() if scope is None else set(scope.get_qualified_names_for(node))
        self._known[node] = names
        return names

    def imported(self, node: cst.CSTNode) -> set[str]:
        """The node's names that come from absolute imports (all that rules ask about).

        A name whose first part no import statement of the module binds has none, and
        needs no scope look-up: every import-sourced qualified name libcst gives comes
        from an import that binds the first part of the node's dotted name (libcst's
        ``get_full_name_for_node``). The others are answered by
        :class:`~portcheck.fastcst.import_names.ModuleImports` where it can.
        """
        head = dotted_head(node)
        if head is not None:
            if head not in self._imports.import_heads():
                return set()
            if node in self._imported:
                known = self._imported[node]
            else:
                known = self._imported[node] = self._imports.imported(node, head)
            if known is not None:
                return set(known)  # a copy: the caller may change it
        elif type(node) is not cst.SimpleString and type(node) is not cst.ConcatenatedString:
            return set()  # no dotted name, and not a string annotation libcst resolves
        try:
            return imported_names(self[node])
        except KeyError:
            return set()

    def __iter__(self) -> Iterator[cst.CSTNode]:
        yield self._module
        yield from self._parents

    def __len__(self) -> int:
        return 1 + len(self._parents)
