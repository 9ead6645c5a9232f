"""Read Python sources out of a wheel (or an unpacked tree) without importing anything.

The knowledge base must be derivable on a machine with no NPU, no CUDA and no torch
installed, so every fact comes from parsing source text with :mod:`ast`.
"""

from __future__ import annotations

import ast
import zipfile
from functools import lru_cache
from pathlib import Path


class WheelReader:
    """Text access to the members of one wheel file or one unpacked directory.

    ``label`` names the source in evidence strings, e.g. ``"torch_npu 2.14.0 wheel"``.
    """

    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self._zip = zipfile.ZipFile(path) if path.is_file() else None
        self._parse = lru_cache(maxsize=None)(self._parse_uncached)

    def has(self, member: str) -> bool:
        """True when ``member`` (a ``/``-separated path inside the wheel) exists."""
        if self._zip is not None:
            try:
                self._zip.getinfo(member)
            except KeyError:
                return False
            return True
        return (self.path / member).is_file()

    def members(self) -> list[str]:
        """Every file member, ``/``-separated, sorted (so scans are reproducible)."""
        if self._zip is not None:
            return sorted(n for n in self._zip.namelist() if not n.endswith("/"))
        return sorted(
            p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()
        )

    def raw(self, member: str) -> bytes | None:
        """The bytes of ``member``, or None when it is absent."""
        if not self.has(member):
            return None
        return self._zip.read(member) if self._zip else (self.path / member).read_bytes()

    def text(self, member: str) -> str | None:
        """The decoded text of ``member``, or None when it is absent."""
        raw = self.raw(member)
        return None if raw is None else raw.decode("utf-8", errors="replace")

    def module(self, member: str) -> ast.Module | None:
        """The parsed module ``member``, cached; None when absent or unparsable."""
        return self._parse(member)

    def module_file(self, dotted: str) -> str | None:
        """The member path of a dotted module name (``pkg/mod.py`` or ``pkg/mod/__init__.py``)."""
        base = dotted.replace(".", "/")
        for candidate in (f"{base}.py", f"{base}/__init__.py"):
            if self.has(candidate):
                return candidate
        return None

    def _parse_uncached(self, member: str) -> ast.Module | None:
        source = self.text(member)
        if source is None:
            return None
        try:
            return ast.parse(source)
        except SyntaxError:
            return None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def module_namespace(reader: WheelReader, module: str) -> dict[str, str]:
    """Public names of a module, each mapped to the wheel member that binds it.

    Follows ``from .x import a`` and ``from .x import *`` (honouring ``x.__all__``) so that
    e.g. ``torch.npu.enable_flash_sdp``, star-imported from ``_backends.py``, is found.
    Submodules are found separately with :meth:`WheelReader.module_file`.
    """
    return _namespace(reader, module, frozenset())


def _namespace(reader: WheelReader, module: str, seen: frozenset[str]) -> dict[str, str]:
    member = reader.module_file(module)
    tree = reader.module(member) if member else None
    if member is None or tree is None or module in seen:
        return {}
    found = dict.fromkeys(top_level_public(tree), member)
    package = module if member.endswith("__init__.py") else module.rpartition(".")[0]
    for node in _top_level_statements(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = _resolve_relative(package, node.module, node.level)
        for alias in node.names:
            if alias.name == "*":
                inner = _namespace(reader, source, seen | {module})
                inner_tree = reader.module(reader.module_file(source) or "")
                exported = literal_all(inner_tree) if inner_tree else None
                for name, where in inner.items():
                    if exported is None or name in exported:
                        found.setdefault(name, where)
            elif node.level or source.startswith(module.split(".")[0] + "."):
                bound = alias.asname or alias.name
                if not bound.startswith("_"):
                    found.setdefault(bound, reader.module_file(source) or member)
    for name in literal_all(tree) or ():
        found.setdefault(name, member)
    return found


def _top_level_statements(tree: ast.Module) -> list[ast.stmt]:
    """Module-level statements, looking inside top-level ``if``/``try`` blocks."""
    out: list[ast.stmt] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        out.append(node)
        if isinstance(node, ast.If):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody)
    return out


def _resolve_relative(package: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".")
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join(base + ([module] if module else []))


def literal_all(tree: ast.Module) -> tuple[str, ...] | None:
    """The module's ``__all__`` when it is a literal list/tuple of strings (also ``+=``)."""
    names: list[str] | None = None
    for node in tree.body:
        if isinstance(node, ast.AugAssign) and _is_name(node.target, "__all__"):
            names = (names or []) + _string_list(node.value)
        elif _binds_all(node):
            names = _string_list(node.value)  # type: ignore[attr-defined]
    return None if names is None else tuple(names)


def top_level_public(tree: ast.Module) -> tuple[str, ...]:
    """Public names bound at module level by def, class or plain assignment."""
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append(node.name)
        elif isinstance(node, ast.Assign):
            found.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.append(node.target.id)
    return tuple(sorted({n for n in found if not n.startswith("_")}))


def find_class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    """The first top-level class called ``name``."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    return None


def class_public_methods(cls: ast.ClassDef) -> tuple[str, ...]:
    """Public methods of a class body."""
    return tuple(
        sorted(
            n.name
            for n in cls.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_")
        )
    )


def class_public_attributes(cls: ast.ClassDef) -> tuple[str, ...]:
    """Public attributes assigned in a class body, at any nesting level of ``if`` blocks.

    torch.backends.cudnn defines its flags this way (``benchmark = ContextProp(...)``)
    and swaps the module for an instance of the class.
    """
    found: set[str] = set()
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return tuple(sorted(n for n in found if not n.startswith("_")))


def compared_names(func: ast.FunctionDef, variable: str = "name") -> tuple[str, ...]:
    """String constants compared with ``variable`` (``if name == "allow_tf32"``) in a function.

    Attribute-dispatching classes (``__getattr__``) expose their attributes only this way.
    """
    found: set[str] = set()
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Compare)
            and _is_name(node.left, variable)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.Eq)
            and isinstance(node.comparators[0], ast.Constant)
            and isinstance(node.comparators[0].value, str)
        ):
            found.add(node.comparators[0].value)
    return tuple(sorted(found))


def find_method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def string_list_assignment(tree: ast.Module, name: str) -> tuple[str, ...] | None:
    """The literal list of strings assigned to module-level ``name``."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and _targets_name(node.targets, name):
            return tuple(_string_list(node.value))
    return None


def _binds_all(node: ast.stmt) -> bool:
    """``__all__ = [...]`` or ``__all__: list[str] = [...]``."""
    if isinstance(node, ast.Assign):
        return _targets_name(node.targets, "__all__")
    return isinstance(node, ast.AnnAssign) and _is_name(node.target, "__all__") and bool(node.value)


def _string_list(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []


def _targets_name(targets: list[ast.expr], name: str) -> bool:
    return any(_is_name(t, name) for t in targets)


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
