"""Which files can have findings: a cheap two-stage test that keeps most files from libcst.

Parsing a file with libcst and resolving its names costs about ten times a plain
``libcst.parse_module``, and a hundred times Python's own :func:`ast.parse`; in a large
repository most files mention CUDA only in comments and docstrings, or not at all. So
a file goes to libcst only when it passes two tests, each of which a file with a
finding always passes:

1. **scan** (C-speed regular expressions over the bytes): a name the enabled rules need,
   as a whole identifier, or a string prefix they need, right after a quote;
2. **code check**: :func:`ast.parse` the file and look at its *code*: identifiers and
   string literals, never comments, and docstrings only for a rule that asks.

Each rule says what its findings are made of with :class:`Needles` (``Rule.NEEDLES``
or ``Rule.needles(knowledge)``):

- ``names``: identifiers at least one of which every finding involves — a name, an
  attribute, a keyword argument, a def/class/parameter name, or a component of an
  imported module path. A qualified name such as ``torch.cuda.synchronize`` is built
  from identifiers written in the file, so a rule matching qualified names under
  ``torch.cuda`` needs ``cuda``. Compared exactly, as libcst compares them.
- ``string_prefixes``: the other findings involve a string literal whose value
  (escapes evaluated) starts with one of these.
- ``docstrings``: whether that literal may be a statement of its own (a docstring).
- ``torch_attributes``: identifiers that count only where a torch API can be named by
  them: as an attribute of a chain whose root a torch import binds (``th.linalg.eig``
  after ``import torch as th``), as a name imported from a torch module
  (``from torch.nn import name``) or as a component of a torch module path. Operator
  names are common words (``mode``, ``det``); ``self.mode``, a keyword argument
  ``mode=`` or a local variable ``det`` is never ``torch.det``, so these names stay
  sharp where ``names`` would pass most files.
- ``method_calls``: identifiers that count only as a called attribute (``x.name(...)``),
  for methods of objects whose type no static test knows (Tensor methods).
- ``modules``: top-level modules every finding's name starts with, once the project
  index has resolved it (``triton``, ``flash_attn``). Each is a name needle, except a
  module that is the run's own first-party package: its names are the project's own
  code, found only where it re-exports a library (vllm auditing vllm: 992 of its 5,558
  files were parsed for the word ``vllm`` alone, none with a finding). A name the
  project re-exports from one of the modules is a needle instead: ``tl`` of
  ``vllm.triton_utils.tl`` (triton.language) is written wherever that name is used, as
  every part of a resolved name is. Only then: re-exported names as needles in every
  project would parse 152 more of transformers' 2,860 files (``mp``, ``groups``), none
  with a finding.

Why neither test can drop a finding that libcst would make:

- a file :mod:`ast` cannot parse is always passed on (libcst then reports or parses it);
- every identifier libcst sees is an identifier of the :mod:`ast` tree (which also
  NFKC-normalises, so it sees at least as many matches);
- libcst splits ``"cu" "da"`` and ``f"cuda:{i}"`` into several nodes that :mod:`ast`
  joins into one value, so for an implicit concatenation, or any string inside an
  f-string, the test is "contains a prefix", which every part that starts with it
  satisfies; "starts with" is used only for a literal proven to be a single token;
- an identifier is written out in the bytes, between characters that cannot be part
  of an ASCII identifier (a non-ASCII letter beside it only makes the scan pass more);
- a literal whose value starts with a prefix is written as a quote then the prefix,
  unless an escape (``"\\x63uda"``) or a backslash-newline hides it: the scan also
  looks for every way of writing a prefix's characters as escapes or splitting it.

A rule that declares no needles makes every file go to libcst.
"""

from __future__ import annotations

import ast
import codecs
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from portcheck.project_index import ProjectIndex
from portcheck.source import SourceText, python_ast

IDENTIFIER_FIELDS: dict[str, tuple[str, ...]] = {
    "Name": ("id",),
    "Attribute": ("attr",),
    "FunctionDef": ("name",),
    "AsyncFunctionDef": ("name",),
    "ClassDef": ("name",),
    "arg": ("arg",),
    "keyword": ("arg",),
    "alias": ("name", "asname"),
    "ImportFrom": ("module",),
    "Global": ("names",),
    "Nonlocal": ("names",),
    "ExceptHandler": ("name",),
    "MatchAs": ("name",),
    "MatchStar": ("name",),
    "MatchMapping": ("rest",),
    "MatchClass": ("kwd_attrs",),
    "TypeVar": ("name",),
    "ParamSpec": ("name",),
    "TypeVarTuple": ("name",),
}
"""Every ``identifier`` field of CPython's AST (Parser/Python.asdl), by node class."""

_FIELDS_BY_CLASS = {
    getattr(ast, name): fields for name, fields in IDENTIFIER_FIELDS.items() if hasattr(ast, name)
}
NOT_AFTER_WORD = rb"(?<![A-Za-z0-9_])"
NOT_BEFORE_WORD = rb"(?![A-Za-z0-9_])"
"""A name is a whole identifier; a non-ASCII letter next to it only makes the scan pass more."""
_STRING_LITERAL_START = re.compile(r"[rRbBuUfF]{0,2}('''|\"\"\"|'|\")")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True)
class Needles:
    """What a rule's findings are made of; see the module docstring for the contract."""

    names: frozenset[str] = frozenset()
    string_prefixes: tuple[str, ...] = ()
    docstrings: bool = False
    torch_attributes: frozenset[str] = frozenset()
    method_calls: frozenset[str] = frozenset()
    modules: frozenset[str] = frozenset()


class _Scan:
    """The byte scan: a name as a whole identifier, or a string prefix after a quote.

    A literal can also start with a prefix without its bytes showing it: one of its
    characters is an escape (``\\x63``, ``\\143``, ``\\u0063``, ``\\U00000063``,
    ``\\N{...}``), or a backslash-newline inside the literal splits it, right after the
    opening quote or after one of the prefix's characters but the last. Each kind gets
    its own pattern, which keeps every search fast.
    """

    def __init__(self, names: Iterable[str], prefixes: Sequence[str]) -> None:
        self.names = _word_pattern(names, before=NOT_AFTER_WORD, after=NOT_BEFORE_WORD)
        self.prefixes = _word_pattern(prefixes, before=b"[\"']")
        escapes = {"N{"}
        splitters: set[str] = set()
        for prefix in prefixes:
            for character in prefix:
                code = ord(character)
                for template in ("x{:02x}", "u{:04x}", "U{:08x}"):
                    escapes.update(_hex_cases(template.format(code)))
                escapes.add(f"{code:03o}")
            splitters.update(("'", '"', *prefix[:-1]))
        self.escapes = _word_pattern(escapes, before=b"\\\\") if prefixes else None
        self.splits = (
            re.compile(b"[" + re.escape("".join(sorted(splitters)).encode()) + b"]\\\\[\r\n]")
            if prefixes
            else None
        )

    def search(self, raw: bytes) -> bool:
        for pattern in (self.names, self.prefixes, self.escapes):
            if pattern is not None and pattern.search(raw) is not None:
                return True
        return (
            self.splits is not None
            and (b"\\\n" in raw or b"\\\r" in raw)
            and self.splits.search(raw) is not None
        )


class Prefilter:
    """The test of one run: built once from the enabled rules, asked once per file."""

    def __init__(
        self,
        needles: Sequence[Needles],
        everything: bool = False,
        project: ProjectIndex | None = None,
    ) -> None:
        self.everything = everything
        modules = frozenset(module for needle in needles for module in needle.modules)
        self.names = frozenset(name for needle in needles for name in needle.names)
        self.names |= _module_names(modules, project or ProjectIndex())
        self.prefixes = tuple(sorted({p for needle in needles for p in needle.string_prefixes}))
        self.docstring_prefixes = tuple(
            sorted({p for needle in needles if needle.docstrings for p in needle.string_prefixes})
        )
        self._needle_scan = _Scan(self.names, self.prefixes)
        self.torch_attributes = frozenset(n for needle in needles for n in needle.torch_attributes)
        self.method_calls = frozenset(n for needle in needles for n in needle.method_calls)
        self._attribute_scan = _attribute_pattern(self.torch_attributes, self.method_calls)
        self._last: tuple[bytes, bool] | None = None

    @classmethod
    def passing_everything(cls) -> Prefilter:
        return cls((), everything=True)

    def may_match(self, source: SourceText) -> bool:
        """The scan alone: cheap enough for the parent process to ask of every file."""
        return self._scan(source)

    def must_parse(self, source: SourceText) -> bool:
        """Both tests: False only when no enabled rule can match anything in the file."""
        if self.everything:
            return True
        return self._scan(source) and self._code_may_match(source.text)

    def _scan(self, source: SourceText) -> bool:
        if self.everything:
            return True
        raw = source.raw if _ascii_compatible(source.encoding) else source.text.encode()
        last = self._last  # read once: an editor server may ask from several threads
        if last is not None and last[0] is raw:
            return last[1]
        hit = self._needle_scan.search(raw) or (
            self._attribute_scan is not None and self._attribute_scan.search(raw) is not None
        )
        self._last = (raw, hit)
        return hit

    def _code_may_match(self, text: str) -> bool:
        tree = python_ast(text)
        return tree is None or _CodeCheck(self, text).run(tree)


class _CodeCheck:
    """One walk over one file's AST, stopping at the first thing a rule could match."""

    def __init__(self, prefilter: Prefilter, text: str) -> None:
        self.prefilter = prefilter
        self.text = text
        self.lines: list[str] | None = None
        self.statements: set[int] = set()
        self.joined: set[int] = set()

    def run(self, tree: ast.AST) -> bool:
        names = self.prefilter.names
        attributes = self.prefilter.torch_attributes
        methods = self.prefilter.method_calls
        torch_roots: set[str] = set()  # names a torch import binds
        roots: set[str] = set()  # roots of attribute chains that end in a needle
        node: Any  # its fields are read after `kind is` tests, which mypy does not follow
        for node in ast.walk(tree):  # breadth first: parents before children
            kind = type(node)
            if attributes and (kind is ast.Import or kind is ast.ImportFrom):
                if _imports_torch(node, attributes, torch_roots):
                    return True
            elif kind is ast.Attribute and node.attr in attributes:
                roots.add(_root(node))
            elif kind is ast.Call and methods:
                func = node.func
                if type(func) is ast.Attribute and func.attr in methods:
                    return True
            if kind is ast.Constant:
                if isinstance(node.value, str) and self._string_may_match(node):
                    return True
            elif kind is ast.Expr:
                self.statements.add(id(node.value))
            elif kind is ast.JoinedStr:
                self.joined.update(id(inner) for inner in ast.walk(node))
            elif kind in _FIELDS_BY_CLASS and names:
                for field in _FIELDS_BY_CLASS[kind]:
                    if _mentions(getattr(node, field, None), names):
                        return True
        return not roots.isdisjoint(torch_roots)

    def _string_may_match(self, node: ast.Constant) -> bool:
        value = cast(str, node.value)  # run() tests that it is one
        prefixes = self.prefilter.prefixes
        if not any(prefix in value for prefix in prefixes):
            return False
        if id(node) in self.joined or not self._is_single_literal(node):
            return True
        if id(node) in self.statements:
            prefixes = self.prefilter.docstring_prefixes
        return value.startswith(prefixes)

    def _is_single_literal(self, node: ast.Constant) -> bool:
        """True only when the node's source is one string token (not ``"a" "b"``)."""
        segment = self._segment(node)
        if segment is None:
            return False
        opening = _STRING_LITERAL_START.match(segment)
        if opening is None:
            return False
        quote = opening.group(1)
        body = segment[opening.end() : len(segment) - len(quote)]
        return (
            len(segment) >= opening.end() + len(quote)
            and segment.endswith(quote)
            and quote not in body
        )

    def _segment(self, node: ast.Constant) -> str | None:
        end_line, end_column = node.end_lineno, node.end_col_offset
        if end_line is None or end_column is None:
            return None
        if self.lines is None:
            self.lines = _LINE.findall(self.text)
        try:
            first = self.lines[node.lineno - 1].encode()
            if node.lineno == end_line:
                return first[node.col_offset : end_column].decode()
            middle = "".join(self.lines[node.lineno : end_line - 1])
            last = self.lines[end_line - 1].encode()[:end_column]
            return first[node.col_offset :].decode() + middle + last.decode()
        except (IndexError, UnicodeDecodeError):
            return None


def _module_names(modules: frozenset[str], project: ProjectIndex) -> frozenset[str]:
    """The name needles of ``modules`` in ``project`` (see ``Needles.modules``)."""
    own = {module for module in modules if project.is_first_party(module)}
    if not own:
        return modules
    reexported = {
        name.rsplit(".", 1)[-1]
        for name, target in project.reexports
        if target.split(".", 1)[0] in modules
    }
    return frozenset(modules - own) | frozenset(reexported)


def _root(node: ast.expr) -> str:
    """The name an attribute chain starts from (``th`` of ``th.linalg.eig``), else ""."""
    while type(node) is ast.Attribute:
        node = node.value
    return node.id if type(node) is ast.Name else ""


def _imports_torch(
    node: ast.Import | ast.ImportFrom, attributes: frozenset[str], torch_roots: set[str]
) -> bool:
    """Record the names a torch import binds; True when it names a needle itself
    (``from torch.linalg import eig``, ``from torch import linalg``, ``import torch.fft``)."""
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level or module.split(".")[0] != "torch":
            return False
        torch_roots.update(alias.asname or alias.name for alias in node.names)
        written = [*module.split("."), *(alias.name for alias in node.names)]
        return not attributes.isdisjoint(written)
    named = False
    for alias in node.names:
        path = alias.name.split(".")
        if path[0] == "torch":
            torch_roots.add(alias.asname or "torch")
            named = named or not attributes.isdisjoint(path)
    return named


def _alternatives(words: Iterable[str]) -> bytes:
    unique = sorted(set(words), key=lambda word: (-len(word), word))
    return b"(?:" + b"|".join(re.escape(word.encode()) for word in unique) + b")"


def _attribute_pattern(
    torch_attributes: frozenset[str], methods: frozenset[str]
) -> re.Pattern[bytes] | None:
    """Bytes where a ``torch_attributes`` or ``method_calls`` needle can be written: after
    a dot (whitespace, line continuations and comments may come between), or, for the
    former, after ``from torch`` up to the next ``;`` or ``)``, which covers parenthesised
    import lists and continued lines."""
    if not torch_attributes and not methods:
        return None
    # a comment runs to the end of its line: ``#[^\n]*`` alone could also stop at any
    # later ``#``, and a line of hashes backtracked exponentially (deepspeed's
    # autotuning/constants.py hung the run)
    gap = rb"(?:\s|\\\r?\n|#[^\n]*(?![^\n]))*"
    after_dot = rb"\." + gap + _alternatives(torch_attributes | methods) + NOT_BEFORE_WORD
    if not torch_attributes:
        return re.compile(after_dot)
    alternatives = _alternatives(torch_attributes)
    statement = rb"[^;)]*?"  # to the end of a parenthesised list (a superset elsewhere)
    imported = (
        rb"(?<![\w.])from(?:\s|\\\r?\n)+torch"
        + statement
        + NOT_AFTER_WORD
        + alternatives
        + NOT_BEFORE_WORD
    )
    return re.compile(after_dot + b"|" + imported)


def _hex_cases(escape: str) -> set[str]:
    """``x6e`` and ``x6E`` (after the backslash): hex digits may be in either case."""
    spellings = {escape[0]}
    for character in escape[1:]:
        spellings = {s + c for s in spellings for c in {character.lower(), character.upper()}}
    return spellings


def _mentions(value: object, names: frozenset[str]) -> bool:
    if isinstance(value, str):
        return value in names or ("." in value and not names.isdisjoint(value.split(".")))
    if isinstance(value, list):
        return any(_mentions(item, names) for item in value)
    return False


def _word_pattern(
    words: Iterable[str], before: bytes = b"", after: bytes = b""
) -> re.Pattern[bytes] | None:
    unique = sorted(set(words), key=lambda word: (-len(word), word))
    if not unique:
        return None
    alternatives = b"|".join(re.escape(word.encode()) for word in unique)
    return re.compile(before + b"(?:" + alternatives + b")" + after)


@cache
def _ascii_compatible(encoding: str) -> bool:
    """Whether a word's ASCII bytes can be searched for in the file's raw bytes."""
    probe = string.printable
    try:
        return codecs.encode(probe, encoding) == probe.encode("ascii")
    except (LookupError, UnicodeError):
        return False
