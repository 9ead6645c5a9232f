"""Jupyter notebooks checked as the Python their code cells make together.

Jupyter runs a notebook's code cells in one namespace, so ``import torch`` in cell 1
gives ``torch.cuda.synchronize()`` in cell 3 its meaning: the code cells are joined
into one source and analysed as one module. IPython syntax that is not Python (line
magics ``%matplotlib``, shell lines ``!pip``, ``x = !ls``, help ``obj?``) is masked line
for line: such a line becomes ``pass`` at its indentation, so a block whose only
statement was a magic stays valid. The body of a non-Python cell magic (``%%bash``,
``%%writefile``, ...) becomes blank lines; a cell magic that runs Python (``%%time``,
``%%capture``, ...) loses only its first line. Every line of the joined source is thus
still one line of one cell.

Cells are numbered from 1 among *all* cells (markdown and raw ones too): the position a
reader counts in Jupyter, JupyterLab and VS Code. A finding keeps ``line`` as the line
of the joined source and gains ``cell`` and ``cell_line``.

A fix is applied to the joined source and mapped back line by line; only the
``source`` of the cells that changed is rewritten, and the notebook is written back
with the JSON layout it had (indent, key order, escaping, final newline), its outputs
and metadata untouched.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portcheck.discover import SourceFile
from portcheck.fix import FindingFilter, FixOutcome, fix_source
from portcheck.model import Diagnostic, Finding, Severity
from portcheck.source import SourceText

if TYPE_CHECKING:
    from portcheck.analyze import Analyzer

PYTHON_CELL_MAGICS = frozenset(
    {"capture", "debug", "prun", "pypy", "python", "python3", "time", "timeit"}
)
"""Cell magics whose body is ordinary Python: the body is checked, the magic line masked."""

_HELP = re.compile(r"(\?\??[\w.]+|[\w.\[\]()]+\?\??)\s*$")
_ASSIGN_FROM_MAGIC = re.compile(r"[\w.,\s\[\]()*]+=\s*[%!]")
_CELL_MAGIC = re.compile(r"%%(\w*)")


class NotebookError(ValueError):
    """The file is not a notebook portcheck can read; the message says why."""

    severity: Severity = "error"


class NotPythonNotebook(NotebookError):
    """A notebook in another language (R, Julia): nothing to check, nothing wrong."""

    severity: Severity = "info"


@dataclass(frozen=True)
class Line:
    """One line of the joined source: the cell line it stands for, as written and as analysed."""

    cell: int
    line: int
    original: str
    analysed: str

    @property
    def masked(self) -> bool:
        return self.analysed != self.original


@dataclass(frozen=True)
class CodeCell:
    """How one code cell stores its source, so a rewrite keeps that form."""

    number: int
    python: bool  # False: a non-Python cell magic, skipped whole
    list_form: bool  # ``source`` is a list of lines (nbformat's usual form), not one string
    final_newline: bool


@dataclass(frozen=True)
class JsonLayout:
    """How the file was serialised, so a rewrite changes nothing but the cells' sources."""

    indent: int | str | None
    separators: tuple[str, str]
    ensure_ascii: bool
    newline: str = "\n"  # "\r\n" for a notebook saved on Windows

    def dumps_at(self, value: object, text: str, start: int) -> str:
        """``value`` serialised to stand at ``start`` of ``text``: its lines after the
        first are indented like the line it starts on."""
        dumped = json.dumps(
            value, indent=self.indent, separators=self.separators, ensure_ascii=self.ensure_ascii
        )
        line_start = text.rfind("\n", 0, start) + 1
        margin = re.match(r"[ \t]*", text[line_start:start])
        # JSON escapes newlines inside strings, so every newline here is layout.
        dumped = dumped.replace("\n", "\n" + (margin.group() if margin else ""))
        return dumped.replace("\n", self.newline) if self.newline != "\n" else dumped


@dataclass(frozen=True)
class Notebook:
    """A parsed notebook and the Python source its code cells make together."""

    document: dict[str, Any]
    layout: JsonLayout
    cells: tuple[CodeCell, ...]
    lines: tuple[Line, ...]
    text: str
    """The notebook file as read: a fix rewrites the cells' sources in it and no more."""

    @property
    def python(self) -> str:
        return "".join(line.analysed + "\n" for line in self.lines)

    def locate(self, line: int) -> Line | None:
        """The cell line behind ``line`` of the joined source (1-based)."""
        return self.lines[line - 1] if 1 <= line <= len(self.lines) else None


def parse_notebook(text: str) -> Notebook:
    """Read an nbformat 4 notebook; raise :class:`NotebookError` when it is not one."""
    try:
        document = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"not valid JSON at line {error.lineno} column {error.colno} ({error.msg})"
        ) from error
    except RecursionError as error:
        raise NotebookError("JSON nested too deeply to read") from error
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        version = document.get("nbformat") if isinstance(document, dict) else None
        if isinstance(version, int) and version < 4:
            raise NotebookError(
                f"nbformat {version} notebook; save it with a current Jupyter "
                "(nbformat 4) to have it checked"
            )
        raise NotebookError('not a Jupyter notebook (no "cells" list)')
    language = _language(document)
    if language and not language.startswith(("python", "ipython")):
        raise NotPythonNotebook(f"a {language} notebook, not Python; skipped")
    cells: list[CodeCell] = []
    lines: list[Line] = []
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"cell {number} is not a JSON object")
        if cell.get("cell_type") != "code":
            continue
        list_form, cell_lines, final_newline = _split_source(cell.get("source", ""), number)
        analysed, python = mask_ipython(cell_lines)
        cells.append(CodeCell(number, python, list_form, final_newline))
        lines.extend(
            Line(number, index, original, masked)
            for index, (original, masked) in enumerate(zip(cell_lines, analysed), start=1)
        )
    return Notebook(document, detect_layout(text), tuple(cells), tuple(lines), text)


def _integer(digits: str) -> int | str:
    """A JSON integer; one too long for Python to convert (over 4,300 digits) stays text,
    which is all a notebook's metadata needs: only cell sources are ever rewritten."""
    try:
        return int(digits)
    except ValueError:
        return digits


def _language(document: dict[str, Any]) -> str:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return ""
    info = metadata.get("language_info")
    if isinstance(info, dict) and isinstance(info.get("name"), str):
        return info["name"].lower()
    kernelspec = metadata.get("kernelspec")
    if isinstance(kernelspec, dict) and isinstance(kernelspec.get("language"), str):
        return kernelspec["language"].lower()
    return ""


def _split_source(source: object, number: int) -> tuple[bool, list[str], bool]:
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        list_form, joined = True, "".join(source)
    elif isinstance(source, str):
        list_form, joined = False, source
    else:
        raise NotebookError(f'cell {number}: "source" is neither a string nor a list of strings')
    if not joined:
        return list_form, [], False
    lines = joined.split("\n")
    final_newline = lines[-1] == ""
    if final_newline:
        lines.pop()
    return list_form, lines, final_newline


def detect_layout(text: str) -> JsonLayout:
    """The ``json.dumps`` arguments that reproduce ``text`` (nbformat: indent 1, UTF-8)."""
    body = text.strip()
    indent: int | str | None = None
    if "\n" in body:
        second = body.split("\n", 2)[1]
        whitespace = second[: len(second) - len(second.lstrip())]
        indent = len(whitespace) if whitespace.strip(" ") == "" else whitespace
    if indent is not None:
        separators = (",", ": ")
    elif re.search(r'"\s*:\s', body):
        separators = (", ", ": ")
    else:
        separators = (",", ":")
    ensure_ascii = body.isascii() and "\\u" in body
    newline = "\r\n" if "\r\n" in text else "\n"
    return JsonLayout(indent, separators, ensure_ascii, newline)


def mask_ipython(lines: Sequence[str]) -> tuple[list[str], bool]:
    """The cell's lines as Python (IPython syntax masked) and whether the cell is Python."""
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        magic = _CELL_MAGIC.match(lines[first])
        if magic:
            if magic.group(1) not in PYTHON_CELL_MAGICS:
                return ["" for _ in lines], False
            body, _ = mask_ipython(lines[first + 1 :])
            return [*lines[:first], "pass", *body], True
    analysed: list[str] = []
    scanner = _LogicalLines()
    continued_magic = False
    for line in lines:
        if continued_magic or (scanner.at_statement_start and _is_ipython(line)):
            indent = line[: len(line) - len(line.lstrip())]
            analysed.append("" if continued_magic else indent + "pass")
            continued_magic = line.rstrip().endswith("\\")
            continue
        analysed.append(line)
        scanner.feed(line)
    return analysed, True


def _is_ipython(line: str) -> bool:
    code = line.strip()
    return (
        code.startswith(("%", "!", "?"))
        or bool(_HELP.fullmatch(code))
        or bool(_ASSIGN_FROM_MAGIC.match(code))
    )


class _LogicalLines:
    """Just enough of Python's tokenizer to know whether a line starts a statement.

    ``% y`` continuing a bracketed expression or a line inside a triple-quoted string is
    Python, not a magic; IPython only transforms lines that start a logical line.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None
        self.backslash = False

    @property
    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.backslash

    def feed(self, line: str) -> None:
        index = 0
        while index < len(line):
            char = line[index]
            if self.quote is not None:
                if char == "\\":
                    index += 2
                    continue
                if line.startswith(self.quote, index):
                    index += len(self.quote)
                    self.quote = None
                    continue
            elif char == "#":
                break
            elif char in "\"'":
                triple = line[index : index + 3]
                self.quote = triple if triple in ('"""', "'''") else char
                index += len(self.quote)
                continue
            elif char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            index += 1
        self.backslash = line.rstrip("\r").endswith("\\")
        if self.quote in ('"', "'") and not self.backslash:
            self.quote = None  # an unterminated one-line string: a syntax error, not ours


def notebook_diagnostic(display: str, error: NotebookError) -> Diagnostic:
    return Diagnostic(display, "notebook-error", f"{display}: {error}", error.severity)


def fix_notebook(
    analyzer: Analyzer,
    display: str,
    text: str,
    *,
    unsafe: bool = False,
    keep: FindingFilter | None = None,
) -> FixOutcome:
    """:func:`~portcheck.fix.fix_source` for a notebook: ``text`` is the notebook file.

    The joined code cells are fixed as one module; the outcome's text is the notebook
    with only the changed cells' sources rewritten, and its findings name their cells.
    A fix that cannot be put back into single cells leaves the notebook unchanged.
    """
    try:
        notebook = parse_notebook(text)
    except NotebookError as error:
        return FixOutcome(text, (), (), diagnostics=(notebook_diagnostic(display, error),))
    outcome = fix_source(analyzer, display, notebook.python, unsafe=unsafe, keep=keep)
    if not outcome.changed:
        return _located(outcome, text, notebook, notebook)
    try:
        new_text = apply_fixed_python(notebook, outcome.text)
    except UnmappableFix as error:
        source = SourceText(text, text.encode("utf-8", "surrogatepass"), "utf-8")
        unfixed = analyzer.analyze_text(SourceFile(Path(display), display, "notebook"), source)
        problem = Diagnostic(display, "fix-failed", f"{display}: {error}; notebook left unchanged")
        return replace(
            outcome,
            text=text,
            fixed=(),
            remaining=tuple(unfixed.findings),
            diagnostics=(*unfixed.diagnostics, problem),
            parsed=unfixed.parsed,
            handled=tuple(unfixed.handled),
        )
    return _located(outcome, new_text, notebook, parse_notebook(new_text))


def _located(outcome: FixOutcome, text: str, before: Notebook, after: Notebook) -> FixOutcome:
    return replace(
        outcome,
        text=text,
        fixed=tuple(locate_findings(before, outcome.fixed)),
        remaining=tuple(locate_findings(after, outcome.remaining)),
        handled=tuple(locate_findings(after, outcome.handled)),
        diagnostics=tuple(locate_diagnostic(after, d) for d in outcome.diagnostics),
    )


def locate_findings(notebook: Notebook, findings: Sequence[Finding]) -> list[Finding]:
    """The findings with the cell they are in: ``cell`` and ``cell_line`` added."""
    located: list[Finding] = []
    for finding in findings:
        where = notebook.locate(finding.line)
        if where is None:
            located.append(finding)
            continue
        extra = {**finding.extra, "cell": where.cell, "cell_line": where.line}
        located.append(replace(finding, extra=extra))
    return located


def locate_diagnostic(notebook: Notebook, diagnostic: Diagnostic) -> Diagnostic:
    """A diagnostic about line N of the joined source, reworded to name the cell."""
    if diagnostic.line is None:
        return diagnostic
    # a parse error can point just past its cell (an unclosed bracket): use the cell before
    candidates = (notebook.locate(line) for line in range(diagnostic.line, 0, -1))
    where = next((found for found in candidates if found is not None), None)
    if where is None:
        return diagnostic
    column = f"{diagnostic.column}:" if diagnostic.column is not None else ""
    prefix = f"{diagnostic.path}:{diagnostic.line}:{column}"
    message = diagnostic.message
    if message.startswith(prefix):
        message = (
            f"{diagnostic.path}:cell {where.cell}:{where.line}:{column}" + message[len(prefix) :]
        )
    return replace(diagnostic, message=message)


class UnmappableFix(ValueError):
    """A fix of the joined source that cannot be put back into single cells."""


def apply_fixed_python(notebook: Notebook, fixed: str) -> str:
    """The notebook file after the joined source became ``fixed``; only changed cells move.

    Unchanged lines are found with :mod:`difflib`; within each changed stretch every old
    line is paired with the new line most like it (see :func:`align`). A changed line
    stays in its cell, an inserted line (``import torch_npu``) joins the cell of the line
    above it, and masked IPython lines are put back as they were.
    """
    new_lines = fixed.split("\n")
    if new_lines and new_lines[-1] == "":
        new_lines.pop()
    by_cell: dict[int, list[str]] = {cell.number: [] for cell in notebook.cells}
    python_cells = {cell.number for cell in notebook.cells if cell.python}
    old_lines = [line.analysed for line in notebook.lines]
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        old = notebook.lines[old_start:old_end]
        new = new_lines[new_start:new_end]
        if tag == "equal":
            steps: list[tuple[int | None, int | None]] = [(i, i) for i in range(len(old))]
        else:
            steps = align(old_lines[old_start:old_end], new)
        owner = notebook.lines[old_start - 1].cell if old_start else None
        for old_index, new_index in steps:
            if old_index is None:
                owner = owner if owner is not None else _top_cell(notebook)
                if owner not in python_cells:
                    raise UnmappableFix("the fix inserts lines into a cell that is not Python")
                assert new_index is not None  # align() never pairs None with None
                by_cell[owner].append(new[new_index])
                continue
            line = old[old_index]
            owner = line.cell
            if line.masked:
                if new_index is None:
                    raise UnmappableFix("the fix deletes a masked IPython line")
                by_cell[owner].append(line.original)
            elif new_index is not None:
                by_cell[owner].append(new[new_index])
    changed = {}
    for cell in notebook.cells:
        source = by_cell[cell.number]
        original = [line.original for line in notebook.lines if line.cell == cell.number]
        if source != original:
            changed[cell.number] = _join_source(cell, source)
    return _rewrite_sources(notebook, changed)


def _rewrite_sources(notebook: Notebook, sources: dict[int, str | list[str]]) -> str:
    """The notebook file with the ``source`` of these cells (by number) replaced, and
    every other byte as it was: numbers such as ``1E5``, escapes such as ``\\/`` and
    ``\\u00e9``, duplicate keys and key order outside the sources stay as written."""
    text = notebook.text
    try:
        spans = _source_spans(text)
    except (ValueError, IndexError, RecursionError) as error:
        raise UnmappableFix("the notebook's JSON cannot be rewritten in place") from error
    for number in sorted(sources, reverse=True):
        if number not in spans:
            raise UnmappableFix(f"cell {number} has no source to rewrite in place")
        start, end = spans[number]
        text = text[:start] + notebook.layout.dumps_at(sources[number], text, start) + text[end:]
    return text


_SKIP = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)
"""Reads a value only to find where it ends: numbers stay text, however long."""
_SPACE = re.compile(r"[ \t\n\r]*")


def _source_spans(text: str) -> dict[int, tuple[int, int]]:
    """Where the ``source`` of each cell (by number) is written in the notebook's JSON;
    with duplicate keys, the last one, which is the one ``json.loads`` keeps."""
    start = _SPACE.match(text).end()  # type: ignore[union-attr]
    cells = None
    for key, value_start, value_end in _members(text, start):
        if key == "cells":
            cells = (value_start, value_end)
    spans: dict[int, tuple[int, int]] = {}
    if cells is None:
        return spans
    for number, (cell_start, _) in enumerate(_elements(text, cells[0]), start=1):
        if text[cell_start] == "{":
            for key, value_start, value_end in _members(text, cell_start):
                if key == "source":
                    spans[number] = (value_start, value_end)
    return spans


def _members(text: str, start: int) -> Iterator[tuple[str, int, int]]:
    """Each member of the JSON object opening at ``start``: its key and value span."""
    index = _SPACE.match(text, start + 1).end()  # type: ignore[union-attr]
    if text[index] == "}":
        return
    while True:
        key, index = json.decoder.scanstring(text, index + 1)  # type: ignore[attr-defined]
        index = _SPACE.match(text, index).end() + 1  # type: ignore[union-attr]
        value_start = _SPACE.match(text, index).end()  # type: ignore[union-attr]
        _, value_end = _SKIP.raw_decode(text, value_start)
        yield key, value_start, value_end
        index = _SPACE.match(text, value_end).end()  # type: ignore[union-attr]
        if text[index] == "}":
            return
        index = _SPACE.match(text, index + 1).end()  # type: ignore[union-attr]


def _elements(text: str, start: int) -> Iterator[tuple[int, int]]:
    """The span of each element of the JSON array opening at ``start``."""
    index = _SPACE.match(text, start + 1).end()  # type: ignore[union-attr]
    if text[index] == "]":
        return
    while True:
        _, end = _SKIP.raw_decode(text, index)
        yield index, end
        index = _SPACE.match(text, end).end()  # type: ignore[union-attr]
        if text[index] == "]":
            return
        index = _SPACE.match(text, index + 1).end()  # type: ignore[union-attr]


MAX_ALIGNED = 10_000
"""Old × new lines of one changed stretch; a fix never comes near (it changes a line or two)."""

SIMILAR = 0.5
"""How alike (difflib ratio) an old and a new line must be to count as one line changed."""


def align(old: Sequence[str], new: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Pair old and new lines in order, most alike first: ``(old, new)``, ``(old, None)``
    for a deleted line, ``(None, new)`` for an inserted one (after what precedes it)."""
    if len(old) * len(new) > MAX_ALIGNED:
        raise UnmappableFix("the fix changes too many lines at once to map them to cells")
    score = [[0.0] * (len(new) + 1) for _ in range(len(old) + 1)]
    paired = [[False] * (len(new) + 1) for _ in range(len(old) + 1)]
    for i, before in enumerate(old, start=1):
        for j, after in enumerate(new, start=1):
            score[i][j] = max(score[i - 1][j], score[i][j - 1])
            similarity = difflib.SequenceMatcher(None, before, after).ratio()
            if similarity >= SIMILAR and score[i - 1][j - 1] + similarity > score[i][j]:
                score[i][j] = score[i - 1][j - 1] + similarity
                paired[i][j] = True
    steps: list[tuple[int | None, int | None]] = []
    i, j = len(old), len(new)
    while i or j:
        if i and j and paired[i][j]:
            i, j = i - 1, j - 1
            steps.append((i, j))
        elif j and (not i or score[i][j - 1] >= score[i - 1][j]):
            j -= 1
            steps.append((None, j))
        else:
            i -= 1
            steps.append((i, None))
    return steps[::-1]


def _top_cell(notebook: Notebook) -> int:
    """The cell that takes lines inserted above the first line of code."""
    if notebook.lines and notebook.lines[0].masked:
        raise UnmappableFix("the fix inserts lines above a cell magic")
    return notebook.lines[0].cell if notebook.lines else notebook.cells[0].number


def _join_source(cell: CodeCell, lines: list[str]) -> str | list[str]:
    """nbformat's own form: one string per line, each but the last ending in a newline."""
    text = "\n".join(lines) + ("\n" if cell.final_newline and lines else "")
    if not cell.list_form:
        return text
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
