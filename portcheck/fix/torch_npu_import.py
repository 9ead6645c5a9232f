"""Adding the one ``import torch_npu`` a fixed file needs, and never a second one.

``torch.npu``, the ``"npu"`` device type and the ``"hccl"`` backend exist only once
torch_npu has been imported. The import goes right after the file's ``import torch``
(so ``torch.npu`` is there before any code uses it), or, when torch comes in another
way, after the imports at the top of the file. A module that imports torch only inside
functions does so on purpose (a CLI that starts fast, an optional dependency): there
the import goes right after the first function-level ``import torch``, in the same
block, and the module itself still imports nothing new. A module that imports torch
only under a guard (``if is_torch_available(): import torch``, ``try: import torch``)
gets the import under the same guard, right after that ``import torch``.

The line is marked ``# noqa: F401``: torch_npu is imported for its side effect (it
registers ``torch.npu`` and the ``"npu"`` device), so to pyflakes and ruff it is an
unused import, and ``ruff --fix`` would delete it and silently undo the port.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from portcheck.import_bindings import dotted_name

PACKAGE = "torch_npu"
SIDE_EFFECT = "# noqa: F401"
"""The comment on every inserted import: it is used for its side effect."""


def import_line(newline: str = "\n") -> str:
    """The inserted line's code."""
    return f"import {PACKAGE}  {SIDE_EFFECT}{newline}"


def ensure_torch_npu_import(module: cst.Module) -> cst.Module:
    """Add ``import torch_npu`` to a module that imports torch itself.

    A module that never imports torch (a config file whose only fix turned ``"cuda"``
    into ``"npu"``) gets no import: it would make that module need torch_npu, and the
    import belongs where torch is set up.
    """
    place = import_place(module)
    if place is None:
        return module
    line = cst.parse_statement(import_line())
    if place == IN_FUNCTIONS:
        return _insert_after_lazy_torch_import(module, line)
    if place == UNDER_GUARD:
        return module.visit(_AfterGuardedTorchImport(line))
    return module.with_changes(body=_inserted(module.body, place, line))


IN_FUNCTIONS = -1
UNDER_GUARD = -2


def import_place(module: cst.Module) -> int | None:
    """Where :func:`ensure_torch_npu_import` puts the import: an index into
    ``module.body``, :data:`IN_FUNCTIONS` (after the function-level ``import torch``),
    :data:`UNDER_GUARD` (after the ``import torch`` inside a module-level ``if`` or
    ``try``), or None (nowhere: torch_npu is imported already, or torch is not)."""
    if imports_torch_npu(module) or not _imports_torch(module):
        return None
    if not _imports_torch_at_module_level(module):
        return IN_FUNCTIONS
    if not _imports_torch_in_body(module.body) and _first_guarded_torch_import(module):
        return UNDER_GUARD
    return _insertion_index(module.body)


def _imports_torch_in_body(body: Sequence[cst.BaseStatement]) -> bool:
    return any(
        _imports_torch_statement(small)
        for statement in body
        for small in _small_statements(statement)
    )


def _first_guarded_torch_import(module: cst.Module) -> bool:
    """Whether some ``import torch`` runs when the module is imported, inside an ``if``
    or ``try`` block (not a function or class)."""
    finder = _GuardedTorchImport()
    module.visit(finder)
    return finder.found


class _GuardedTorchImport(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        if _imports_torch_in_body(node.body):
            self.found = True
        return not self.found


class _AfterGuardedTorchImport(cst.CSTTransformer):
    """The import after the first module-level ``import torch`` inside a block."""

    def __init__(self, line: cst.BaseStatement) -> None:
        super().__init__()
        self.line = line
        self.done = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if self.done:
            return updated_node
        body = updated_node.body
        for index, statement in enumerate(body):
            if any(_imports_torch_statement(small) for small in _small_statements(statement)):
                self.done = True
                return updated_node.with_changes(body=_inserted(body, index + 1, self.line))
        return updated_node


def _inserted(
    body: Sequence[cst.BaseStatement], index: int, line: cst.BaseStatement
) -> tuple[cst.BaseStatement, ...]:
    """``body`` with ``line`` before ``body[index]``; but when ``body[index - 1]`` is a
    line such as ``import torch; torch.cuda.synchronize()``, the import goes into that
    line, right after the torch import: code after it on the line needs torch_npu too."""
    before = body[index - 1] if index else None
    smalls = _small_statements(before) if before is not None else ()
    torch_at = next(
        (i for i, small in enumerate(smalls) if _imports_torch_statement(small)), len(smalls)
    )
    if before is None or torch_at >= len(smalls) - 1:
        return (*body[:index], line, *body[index:])
    semicolon = cst.Semicolon(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(" ")
    )
    added = cst.Import(names=[cst.ImportAlias(cst.Name(PACKAGE))], semicolon=semicolon)
    joined = before.with_changes(body=(*smalls[: torch_at + 1], added, *smalls[torch_at + 1 :]))
    if isinstance(joined, cst.SimpleStatementLine) and joined.trailing_whitespace.comment is None:
        joined = joined.with_changes(
            trailing_whitespace=joined.trailing_whitespace.with_changes(
                whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(SIDE_EFFECT)
            )
        )
    return (*body[: index - 1], joined, *body[index:])


def imports_torch_npu(module: cst.Module) -> bool:
    """True when the module imports torch_npu outside any function or class body."""
    return any(_is_package(name) for name in _module_level_imports(module, classes=False))


def _imports_torch_at_module_level(module: cst.Module) -> bool:
    """True when torch is imported when the module is (anywhere outside a function)."""
    return any(name.split(".")[0] == "torch" for name in _module_level_imports(module))


def _module_level_imports(module: cst.Module, *, classes: bool = True) -> list[str]:
    """The absolute modules imported outside functions (and class bodies, unless
    ``classes``): what importing the module itself imports."""
    finder = _ModuleLevelImportFinder(classes)
    module.visit(finder)
    return finder.names


class _ModuleLevelImportFinder(cst.CSTVisitor):
    def __init__(self, classes: bool) -> None:
        super().__init__()
        self.classes = classes
        self.names: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return self.classes

    def visit_Import(self, node: cst.Import) -> bool:
        self.names.extend(dotted_name(alias.name) for alias in node.names)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if not node.relative and node.module is not None:
            self.names.append(dotted_name(node.module))
        return False


def _insert_after_lazy_torch_import(module: cst.Module, line: cst.BaseStatement) -> cst.Module:
    """The module with ``line`` after the first statement of each function that imports
    torch (each such function may be the one that runs).

    Unless the module already imports torch_npu in some function: the project then has
    its own way of loading it, which a second import would only hide.
    """
    if any(_is_package(dotted_name(name)) for name in _imported_modules(module)):
        return module
    return module.visit(_AfterLazyTorchImports(line))


class _AfterLazyTorchImports(cst.CSTTransformer):
    def __init__(self, line: cst.BaseStatement) -> None:
        super().__init__()
        self.line = line
        self.done: list[bool] = []
        """One entry per function being visited: has it got its import yet?"""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.done.append(False)
        return True

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.done.pop()
        return updated_node

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not self.done or self.done[-1]:
            return updated_node
        body = updated_node.body
        for index, statement in enumerate(body):
            if any(_imports_torch_statement(small) for small in _small_statements(statement)):
                self.done[-1] = True
                return updated_node.with_changes(body=_inserted(body, index + 1, self.line))
        return updated_node


def _imports_torch_statement(statement: cst.BaseSmallStatement) -> bool:
    if isinstance(statement, cst.Import):
        return any(_is_torch(alias.name) for alias in statement.names)
    return (
        isinstance(statement, cst.ImportFrom)
        and not statement.relative
        and statement.module is not None
        and _is_torch(statement.module)
    )


def _is_torch(name: cst.BaseExpression) -> bool:
    return dotted_name(name).split(".")[0] == "torch"


def _imports_torch(module: cst.Module) -> bool:
    """True when any import in the module, at any depth, comes from torch."""
    return any(dotted_name(name).split(".")[0] == "torch" for name in _imported_modules(module))


def _imported_modules(module: cst.Module) -> list[cst.BaseExpression]:
    modules: list[cst.BaseExpression] = []
    for found in m.findall(module, m.Import() | m.ImportFrom()):
        if isinstance(found, cst.Import):
            modules.extend(alias.name for alias in found.names)
        elif isinstance(found, cst.ImportFrom) and not found.relative and found.module is not None:
            modules.append(found.module)
    return modules


def _insertion_index(body: Sequence[cst.BaseStatement]) -> int:
    """After the first top-level ``import torch...``, else after the leading imports."""
    for index, statement in enumerate(body):
        if any(
            isinstance(small, cst.Import)
            and any(dotted_name(alias.name).split(".")[0] == "torch" for alias in small.names)
            for small in _small_statements(statement)
        ):
            return index + 1
    index = 0
    for position, statement in enumerate(body):
        smalls = _small_statements(statement)
        is_docstring = position == 0 and _is_docstring(statement)
        if not smalls or not (is_docstring or all(_is_import(s) for s in smalls)):
            break
        index = position + 1
    return index


def _small_statements(statement: cst.BaseStatement) -> Sequence[cst.BaseSmallStatement]:
    return statement.body if isinstance(statement, cst.SimpleStatementLine) else ()


def _is_import(statement: cst.BaseSmallStatement) -> bool:
    return isinstance(statement, (cst.Import, cst.ImportFrom))


def _is_docstring(statement: cst.BaseStatement) -> bool:
    smalls = _small_statements(statement)
    return (
        len(smalls) == 1
        and isinstance(smalls[0], cst.Expr)
        and isinstance(smalls[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_package(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")
