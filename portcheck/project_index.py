"""The project as a whole: its own packages, and what its modules re-export.

Rules read one file at a time, but projects import CUDA libraries through themselves:
vllm's kernels say ``from vllm.triton_utils import tl, triton``, and a wrapper module
re-exports ``torch.cuda`` or ``flash_attn``. Before the rules run, one cheap pass over
the run's files records

- the **first-party** top-level packages (a directory chain of ``__init__.py`` files,
  src-layout and namespace packages under ``src/`` included, and the modules in
  ``src/``): their names are never a third-party CUDA library, even when the
  audited project *is* one (xformers auditing xformers);
- the **re-exports**: each name a module binds at module level (inside ``if``/``try``
  blocks too, so ``try: import triton`` / ``except ImportError`` fallbacks count) by an
  import, a relative import or ``from .x import *`` (limited by ``x.__all__``),
  followed through the project's modules to the library it really comes from.

Nothing is imported or parsed: module names come from the file system, bindings from a
text scan of import statements (regular expressions, far cheaper than a parse).
The index is part of the analysis settings, so its :attr:`ProjectIndex.digest` is in
the result cache's key: editing a re-exporting module re-analyses the files it feeds.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from portcheck.discover import SourceFile
from portcheck.source import read_source

SOURCE_DIRECTORIES = ("src",)
"""Where a src-layout project keeps its packages (and namespace packages)."""
PROJECT_ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
"""Files that make a directory a project's root: a ``src`` above it is not the project's
(a checkout in ``~/src/vllm`` is not a src-layout package named ``vllm.vllm``)."""
MAX_CHAIN = 8
"""Re-exports of re-exports followed at most this deep (a cycle ends there too)."""


@dataclass(frozen=True)
class ProjectIndex:
    """First-party packages and re-exported names; empty: every file on its own."""

    first_party: frozenset[str] = frozenset()
    """Dotted names of the project's top-level packages and modules."""
    reexports: tuple[tuple[str, str], ...] = ()
    """``("vllm.triton_utils.tl", "triton.language")``: a project name → the library name."""
    defined_under_reexports: frozenset[str] = frozenset()
    """What the project's modules named like a re-exported name (or under one) define at
    module level (functions, classes, assignments, submodules): vllm's ``mhc/triton.py``
    sits beside an ``mhc/__init__.py`` whose ``from .triton import *`` binds the name
    ``triton`` to the library, and xformers' ``xformers/triton/`` package beside an
    ``import triton`` in ``xformers/__init__.py``. ``mhc.triton.hc_collapse_triton`` is
    then the module's function (``from ...mhc.triton import hc_collapse_triton`` imports
    the module), while ``mhc.triton.jit``, which the module does not define, is still
    the library's (``from ...mhc import triton`` then ``triton.jit``)."""
    modules: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    """Display path → module name, for the files of the run (not part of the key: it
    follows from the paths, which the cache key has already)."""
    cuda_modules: frozenset[str] = frozenset()
    """Display paths of the project's CUDA implementation modules: a module named after
    CUDA beside sibling modules named after other devices (``accelerators/cuda.py``
    beside ``mps.py``); part of the key, as it follows from other files' paths."""

    def __repr__(self) -> str:  # the cache fingerprint is built from the Analyzer's repr
        return f"ProjectIndex({self.digest})"

    def __hash__(self) -> int:
        # the digest covers exactly the compared fields; hashing them again each time
        # cost 0.28 ms per call on vllm's 6,106 re-exports, once per file analysed
        return hash(self.digest)

    @cached_property
    def digest(self) -> str:
        text = "\n".join(
            [
                *sorted(self.first_party),
                *(f"{a} {b}" for a, b in self.reexports),
                *sorted(self.defined_under_reexports),
                *(f"cuda {path}" for path in sorted(self.cuda_modules)),
            ]
        )
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    @cached_property
    def _heads(self) -> frozenset[str]:
        return frozenset(name.split(".", 1)[0] for name in self.first_party)

    @cached_property
    def _reexported(self) -> dict[str, str]:
        return dict(self.reexports)

    @cached_property
    def _module_of(self) -> dict[str, str]:
        return dict(self.modules)

    def module_name(self, display: str) -> str | None:
        return self._module_of.get(display)

    def is_cuda_module(self, display: str) -> bool:
        return display in self.cuda_modules

    def is_first_party(self, name: str) -> bool:
        if name.split(".", 1)[0] not in self._heads:
            return False
        return any(name == top or name.startswith(top + ".") for top in self.first_party)

    def resolve(self, name: str) -> str | None:
        """The library a name really is, the name itself if it is not the project's,
        or None for the project's own code (never a CUDA API)."""
        if not self.is_first_party(name):
            return name
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if end < len(parts) and f"{prefix}.{parts[end]}" in self.defined_under_reexports:
                return None
            target = self._reexported.get(prefix)
            if target is not None:
                return ".".join([target, *parts[end:]])
        return None

    def resolve_all(self, names: Iterable[str]) -> set[str]:
        if not self._heads:
            return set(names)
        resolved = (self.resolve(name) for name in names)
        return {name for name in resolved if name is not None}


def build_index(files: Sequence[SourceFile], libraries: Iterable[str]) -> ProjectIndex:
    """The index of a run's files, from their paths and a text scan of their imports.

    Only re-exports of ``libraries`` (top-level modules the rules know) are kept: the
    rest resolve to nothing a rule asks about, and would only make the digest churn.
    """
    wanted = frozenset(libraries)
    python = [f for f in files if f.kind == "python"]
    if not python:
        return ProjectIndex()
    names = _ModuleNames()
    modules = {source.display: names.of(source.path) for source in python}
    first_party = frozenset(top for top in (names.top_of(source.path) for source in python) if top)
    bindings: dict[str, dict[str, str]] = {}
    stars: dict[str, list[str]] = {}
    exported: dict[str, list[str]] = {}
    for source in python:
        module = modules[source.display]
        text = _read(source) if module is not None else None
        if module is None or text is None:
            continue
        reader = _BindingReader(module, source.path.name == "__init__.py")
        reader.read(text)
        if reader.bindings:
            bindings[module] = reader.bindings
        if reader.stars:
            stars[module] = reader.stars
        if reader.all_names is not None:
            exported[module] = reader.all_names
    _add_star_imports(bindings, stars, exported)
    flat = {
        f"{module}.{name}": target
        for module, names in bindings.items()
        for name, target in names.items()
    }
    index = ProjectIndex(first_party=first_party)
    reexports = {}
    heads = {top.split(".")[0] for top in first_party}
    for name, target in flat.items():
        final = _follow(target, flat) if target.split(".")[0] in heads else target
        if final is not None and final.split(".")[0] in wanted and not index.is_first_party(final):
            reexports[name] = final
    return ProjectIndex(
        first_party=first_party,
        reexports=tuple(sorted(reexports.items())),
        defined_under_reexports=_defined_under(reexports, python, modules),
        modules=tuple((display, module) for display, module in modules.items() if module),
        cuda_modules=_cuda_modules(modules),
    )


def _defined_under(
    reexports: dict[str, str], python: Sequence[SourceFile], modules: dict[str, str | None]
) -> frozenset[str]:
    """``module.name`` for what each module named like a re-export, or under one, defines
    (see :attr:`ProjectIndex.defined_under_reexports`); those modules are few, and read
    again here."""
    defined: set[str] = set()
    for source in python:
        module = modules[source.display]
        if module is None:
            continue
        parts = module.split(".")
        if not any(".".join(parts[:end]) in reexports for end in range(1, len(parts) + 1)):
            continue
        defined.add(module)  # a submodule is defined by its package
        read = read_source(source.path, source.display)
        text = getattr(read, "text", None)
        if isinstance(text, str):
            defined.update(f"{module}.{name}" for name in _top_level_names(text))
    return frozenset(defined)


def _top_level_names(text: str) -> set[str]:
    return {a or b for a, b in TOP_LEVEL_NAME.findall(text)}


_CUDA_PART = re.compile(r"cuda", re.IGNORECASE)
_OTHER_DEVICE_PART = re.compile(
    r"(?<![a-z])(?:cpu|npu|xpu|mps|hpu|xla|tpu|mlu|musa|neuron|ipu|rocm|hip|mtia|ascend)(?![a-z])",
    re.IGNORECASE,
)


def _cuda_modules(modules: dict[str, str | None]) -> frozenset[str]:
    """The files of modules (or in packages) whose name starts with ``cuda``
    (``cuda``, ``cuda_accelerator``, ``cuda_communicator``) and that have a sibling
    named after another device (``cpu``, ``mps``, ``npu_accelerator``, ``rocm``)."""
    children: dict[str, set[str]] = {}
    for module in modules.values():
        parts = module.split(".") if module else []
        for end in range(1, len(parts)):
            children.setdefault(".".join(parts[:end]), set()).add(parts[end])
    found = set()
    for display, module in modules.items():
        parts = module.split(".") if module else []
        for end in range(1, len(parts)):
            name = parts[end]
            if not _CUDA_PART.match(name.split("_", 1)[0]):
                continue
            siblings = children.get(".".join(parts[:end]), set())
            if any(_OTHER_DEVICE_PART.search(sibling) for sibling in siblings - {name}):
                found.add(display)
                break
    return frozenset(found)


def _read(source: SourceFile) -> str | None:
    read = read_source(source.path, source.display)
    text = getattr(read, "text", None)
    return text if isinstance(text, str) and "import" in text else None


def _follow(target: str, flat: dict[str, str]) -> str | None:
    """``target`` through the project's own re-exports, to where it really comes from."""
    for _ in range(MAX_CHAIN):
        parts = target.split(".")
        for end in range(len(parts), 0, -1):
            step = flat.get(".".join(parts[:end]))
            if step is not None:
                target = ".".join([step, *parts[end:]])
                break
        else:
            return target
    return None


def _add_star_imports(
    bindings: dict[str, dict[str, str]], stars: dict[str, list[str]], exported: dict[str, list[str]]
) -> None:
    """``from .x import *`` re-exports what ``x`` binds (what its ``__all__`` lists)."""
    for _ in range(MAX_CHAIN):
        changed = False
        for module, sources in stars.items():
            own = bindings.setdefault(module, {})
            for source in sources:
                public = exported.get(source)
                for name, target in bindings.get(source, {}).items():
                    wanted = name in public if public is not None else not name.startswith("_")
                    if wanted and name not in own:
                        own[name] = target
                        changed = True
        if not changed:
            return


IMPORTED = r"[\w.]+(?:[ \t]+as[ \t]+\w+)?"
IMPORT = re.compile(rf"[ \t]*import[ \t]+({IMPORTED}(?:[ \t]*,[ \t]*{IMPORTED})*)")
FROM_IMPORT = re.compile(
    r"[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\*|\([^)]*\)|(?:[^\n#;\\]|\\\n)+)"
)
ALL = re.compile(r"^__all__[ \t]*(?::[^=\n]*)?=[ \t]*[\[(]([^\])]*)[\])]", re.M)
COMMENT = re.compile(r"#[^\n]*")
TOP_LEVEL_NAME = re.compile(
    r"^(?:async[ \t]+def|def|class)[ \t]+(\w+)|^(\w+)[ \t]*(?::[^=\n]*)?=(?!=)", re.M
)
QUOTED = re.compile(r"[\"']([A-Za-z_]\w*)[\"']")


class _BindingReader:
    """The names a module binds to imported things, read from its text.

    A text scan, not a parse: it also sees imports inside functions and strings, which
    a module does not bind at module level. That costs nothing here, because the index
    is only asked about names that other modules import from this one, and those are
    the module-level ones.
    """

    def __init__(self, module: str, is_package: bool) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.bindings: dict[str, str] = {}
        self.stars: list[str] = []
        self.all_names: list[str] | None = None

    def read(self, text: str) -> None:
        """Each line with the word ``import`` is matched from its start: a regular
        expression tried on every line would cost more than the whole scan."""
        position = text.find("import")
        while position != -1:
            start = text.rfind("\n", 0, position) + 1
            plain = IMPORT.match(text, start)
            if plain is not None:
                self._read_import(plain.group(1))
            else:
                source = FROM_IMPORT.match(text, start)
                if source is not None:
                    self._read_from(len(source.group(1)), source.group(2), source.group(3))
            end = text.find("\n", position)
            position = -1 if end == -1 else text.find("import", end)
        if "__all__" in text:
            listed = ALL.search(text)
            if listed is not None:
                self.all_names = QUOTED.findall(listed.group(1))

    def _read_import(self, clause: str) -> None:
        for item in clause.split(","):
            name, _, alias = (part.strip() for part in item.partition(" as "))
            if alias:
                self._bind(alias, name)
            elif name:
                self._bind(name.split(".")[0], name.split(".")[0])

    def _read_from(self, level: int, module: str, clause: str) -> None:
        base = self._absolute(module or None, level)
        if base is None:
            return
        if clause == "*":
            self.stars.append(base)
            return
        clause = COMMENT.sub("", clause).strip("()").replace("\\\n", " ")
        for item in clause.split(","):
            name, _, alias = " ".join(item.split()).partition(" as ")
            if name.isidentifier():
                self._bind(alias or name, f"{base}.{name}")

    def _absolute(self, module: str | None, level: int) -> str | None:
        if level == 0:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (level - 1)]
        return ".".join([*base, *([module] if module else [])]) or None

    def _bind(self, name: str, target: str) -> None:
        if name.isidentifier():
            self.bindings.setdefault(name, target)  # the first import wins over fallbacks


class _ModuleNames:
    """Module names from the file system: a package is a chain of ``__init__.py`` dirs."""

    def __init__(self) -> None:
        self._has_init: dict[Path, bool] = {}
        self._in_source: dict[Path, bool] = {}
        self._cwd = Path(os.path.abspath(os.getcwd()))

    def _package_dir(self, directory: Path) -> bool:
        known = self._has_init.get(directory)
        if known is None:
            known = self._has_init[directory] = (directory / "__init__.py").is_file()
        return known

    def _parts(self, path: Path) -> list[str] | None:
        """The dotted parts of a file's module name; None when it is no importable name."""
        parts = [] if path.name == "__init__.py" else [path.stem]
        directory = path.parent
        while self._package_dir(directory):
            parts.insert(0, directory.name)
            directory = directory.parent
        if self._under_source_directory(directory):  # src/<namespace>/.../<package>
            while directory.name not in SOURCE_DIRECTORIES and directory.name.isidentifier():
                parts.insert(0, directory.name)
                directory = directory.parent
        if not parts or not all(part.isidentifier() for part in parts):
            return None
        return parts

    def of(self, path: Path) -> str | None:
        parts = self._parts(Path(os.path.abspath(path)))
        return ".".join(parts) if parts else None

    def top_of(self, path: Path) -> str | None:
        """The first-party name a file makes: its top package, or a top-level module at
        the root of a run or in ``src/``; None for a loose script elsewhere."""
        resolved = Path(os.path.abspath(path))
        parts = self._parts(resolved)
        if not parts:
            return None
        if len(parts) == 1 and resolved.name != "__init__.py":
            return parts[0] if resolved.parent.name in SOURCE_DIRECTORIES else None
        if self._under_source_directory(resolved.parent):
            package_start = next(
                (i for i in range(len(parts)) if self._is_regular(resolved, parts, i)), 0
            )
            return ".".join(parts[: package_start + 1])
        return parts[0]

    def _under_source_directory(self, directory: Path) -> bool:
        """Whether ``directory`` is in a ``src`` directory of the project being checked.

        The walk up stops at a project root (a directory holding ``pyproject.toml``,
        ``setup.py``, ``setup.cfg`` or ``.git``) and at the directory the run starts from
        (for paths below it): directories above those are where the checkout lives, not
        the project's layout, even when one of them is named ``src``."""
        known = self._in_source.get(directory)
        if known is None:
            known = self._in_source[directory] = self._find_source_directory(directory)
        return known

    def _find_source_directory(self, directory: Path) -> bool:
        inside_run = directory == self._cwd or self._cwd in directory.parents
        for current in (directory, *directory.parents):
            if current.name in SOURCE_DIRECTORIES:
                return True
            if current == self._cwd and inside_run:
                return False
            if any((current / marker).exists() for marker in PROJECT_ROOT_MARKERS):
                return False
        return False

    def _is_regular(self, path: Path, parts: list[str], index: int) -> bool:
        """Whether the package ``parts[: index + 1]`` has an ``__init__.py``."""
        depth = len(parts) - index - (0 if path.name == "__init__.py" else 1)
        directory = path.parent
        for _ in range(depth - 1):
            directory = directory.parent
        return depth >= 1 and self._package_dir(directory)
