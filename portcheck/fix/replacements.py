"""Each fixable finding's own fix as line replacements (SARIF ``fixes``), from its analysis.

A finding's fix is what the first pass of ``--fix`` would apply if that finding (and
the findings it shares an edit with, such as an aliased import and its uses) were the
only ones selected. It is planned from the edits the rules returned while the file was
analysed, so a SARIF run reads and parses each file once, like any other format.

The new text is made locally: only the statements that hold an edited node are
generated again (with the indentation of the blocks around them), in place of their
old code, which the positions of the findings already placed in the text; the changed
lines are then diffed with :mod:`difflib`, as a diff of the whole files would. When a
statement cannot be placed, or the fix's ``import torch_npu`` depends on import
statements the fix itself changes, the whole module is generated and diffed instead.
Either way a fix whose code would not parse is left out.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import libcst as cst
import libcst.matchers as m

from portcheck.fastcst.positions import LazyPositions, PlacedStatement, statement_code
from portcheck.fix.apply import ReplaceNodes, apply_fixes
from portcheck.fix.plan import FixPair, FixPlanner
from portcheck.fix.torch_npu_import import import_line, import_place
from portcheck.model import Finding
from portcheck.rule import Edit, Fix

Replacements = tuple[dict[str, Any], ...]
Change = tuple[int, int, str]
"""Characters ``[begin, end)`` of the old text and what replaces them."""


def fix_replacements(
    module: cst.Module,
    text: str,
    pairs: Sequence[tuple[Finding, Fix | None]],
    positions: LazyPositions | None = None,
    parents: Mapping[cst.CSTNode, cst.CSTNode] | None = None,
) -> dict[Finding, Replacements]:
    """The replacements of each fixable finding of ``pairs`` (the rules' findings and
    fixes for ``module``, parsed from ``text``); a fix that would not parse is left out.

    ``positions`` and ``parents`` are the analysis's metadata; without them every fix
    is made on the whole module.
    """
    fixable = [(finding, fix) for finding, fix in pairs if fix is not None and finding.fixable]
    if not fixable:
        return {}
    planner = FixPlanner(pairs, module, parents)
    sharing = _sharing(pairs)
    fixer = _LocalFixer(module, text, positions, parents)
    made: dict[tuple[int, ...], Replacements | None] = {}
    found: dict[Finding, Replacements] = {}
    for finding, fix in fixable:
        together = {pairs[index][0] for edit in fix.edits for index in sharing[id(edit.original)]}
        chosen = planner.choose(together, unsafe=False)
        if not chosen:
            continue
        key = tuple(id(chosen_fix) for _, chosen_fix in chosen)
        if key not in made:
            made[key] = fixer.replacements(chosen)
        replacements = made[key]
        if replacements is not None:
            found[finding] = replacements
    return found


def _sharing(pairs: Sequence[tuple[Finding, Fix | None]]) -> dict[int, list[int]]:
    """For each edited node, the pairs whose fix edits it."""
    sharing: dict[int, list[int]] = {}
    for index, (_, fix) in enumerate(pairs):
        for edit in fix.edits if fix is not None else ():
            sharing.setdefault(id(edit.original), []).append(index)
    return sharing


class _LocalFixer:
    """Replacements of chosen fixes, generating only the statements they change."""

    def __init__(
        self,
        module: cst.Module,
        text: str,
        positions: LazyPositions | None,
        parents: Mapping[cst.CSTNode, cst.CSTNode] | None,
    ) -> None:
        self._module = module
        self._text = text
        self._positions = positions
        self._parents = parents
        self._lines: _Lines | None = None
        self._import: tuple[int | None, int] | None = None

    def replacements(self, chosen: Sequence[FixPair]) -> Replacements | None:
        try:
            changes = self._changes(chosen)
        except _WouldNotParse:
            return None
        if changes is not None:
            if self._lines is None:
                self._lines = _Lines(self._text)
            found = self._lines.replacements(changes)
            if found is not None:
                return found
        return whole_module_replacements(self._module, self._text, chosen)

    def _changes(self, chosen: Sequence[FixPair]) -> list[Change] | None:
        """The text changes of ``chosen``; None when they must be made on the whole module.

        Raises :class:`_WouldNotParse` when a changed statement would not parse.
        """
        positions, parents = self._positions, self._parents
        if positions is None or parents is None:
            return None
        edits = {id(edit.original): edit for _, fix in chosen for edit in fix.edits}
        placed: dict[cst.CSTNode, PlacedStatement] = {}
        for edit in edits.values():
            statement = positions.holding_statement(edit.original)
            if statement is None:
                return None
            placed[statement.statement] = statement
        outermost = [
            statement
            for statement in placed.values()
            if not any(outer in placed for outer in _ancestors(statement.statement, parents))
        ]
        replace = ReplaceNodes({key: edit.replacement for key, edit in edits.items()})
        changes: list[Change] = []
        for statement in outermost:
            fixed = statement.statement.visit(replace)
            if not isinstance(fixed, cst.CSTNode):  # a replacement removed the statement
                raise _WouldNotParse
            if not _parses(statement_code(self._module, fixed, ())):
                raise _WouldNotParse
            code = statement_code(self._module, fixed, statement.indents)
            changes.append((statement.begin, statement.end, code))
        if any(fix.needs_torch_npu_import for _, fix in chosen):
            if _touches_imports(edits.values(), parents):
                return None
            insertion, last_deciding = self._import_insertion()
            if insertion is not None:
                if any(statement.begin < last_deciding for statement in outermost):
                    return None
                line = import_line(self._module.default_newline)
                changes.append((insertion, insertion, line))
            elif last_deciding < 0:
                return None
        return sorted(changes, key=lambda change: (change[0], change[1]))

    def _import_insertion(self) -> tuple[int | None, int]:
        """Where ``import torch_npu`` goes (None: nowhere, the module needs none) and the
        end of the statements that decided it (-1: they could not be placed)."""
        if self._import is None:
            self._import = self._find_import_insertion()
        return self._import

    def _find_import_insertion(self) -> tuple[int | None, int]:
        module = self._module
        index = import_place(module)
        if index is None:
            return None, 0
        if index <= 0:  # the top of the file, in functions or under a guard
            return None, -1
        assert self._positions is not None
        before = self._positions.holding_statement(module.body[index - 1])
        if before is None or before.statement is not module.body[index - 1]:
            return None, -1
        return before.end, before.end


class _WouldNotParse(Exception):
    """A fix whose code would not parse: it is left out."""


def _ancestors(
    node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode]
) -> Iterable[cst.CSTNode]:
    outer = parents.get(node)
    while outer is not None:
        yield outer
        outer = parents.get(outer)


IMPORTS = m.Import() | m.ImportFrom()


def _touches_imports(edits: Iterable[Edit], parents: Mapping[cst.CSTNode, cst.CSTNode]) -> bool:
    """Whether an edit is in, contains or makes an import statement: then whether the
    module needs ``import torch_npu``, and where, is decided on the fixed module."""
    for edit in edits:
        if any(
            isinstance(outer, (cst.Import, cst.ImportFrom))
            for outer in _ancestors(edit.original, parents)
        ):
            return True
        if m.findall(edit.original, IMPORTS) or m.findall(edit.replacement, IMPORTS):
            return True
    return False


def _parses(code: str) -> bool:
    try:
        cst.parse_module(code)
    except cst.ParserSyntaxError:
        return False
    return True


def whole_module_replacements(
    module: cst.Module, text: str, chosen: Sequence[FixPair]
) -> Replacements | None:
    """Apply ``chosen`` to the whole module and diff the result; None if it would not parse."""
    fixed = apply_fixes(module, chosen).code
    if not _parses(fixed):
        return None
    return replacements(text, fixed)


def replacements(before: str, after: str) -> Replacements:
    """Whole-line SARIF replacements that turn ``before`` into ``after``."""
    return _diff(before.splitlines(keepends=True), after.splitlines(keepends=True), 0)


def _diff(old: Sequence[str], new: Sequence[str], first_line: int) -> Replacements:
    """Replacements of lines ``old`` (the first is line ``first_line + 1``) by ``new``."""
    changes = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, first, last, new_first, new_last in matcher.get_opcodes():
        if tag == "equal":
            continue
        changes.append(
            {
                "deletedRegion": {
                    "startLine": first_line + first + 1,
                    "startColumn": 1,
                    "endLine": first_line + last + 1,
                    "endColumn": 1,
                },
                "insertedContent": {"text": "".join(new[new_first:new_last])},
            }
        )
    return tuple(changes)


class _Lines:
    """The lines of a text as :meth:`str.splitlines` cuts them, with their offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0, *itertools.accumulate(map(len, self.lines))]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def replacements(self, changes: Sequence[Change]) -> Replacements | None:
        """The line replacements of non-overlapping ``changes`` (sorted): the changed lines
        of each run of touching changes are diffed; the lines between are equal."""
        found: list[dict[str, Any]] = []
        for run in self._runs(changes):
            if run is None:
                return None
            first, last, group = run
            start, end = self.starts[first], self.starts[last]
            pieces: list[str] = []
            position = start
            for begin, stop, code in group:
                pieces.extend((self.text[position:begin], code))
                position = stop
            pieces.append(self.text[position:end])
            old = self.lines[first:last]
            new = "".join(pieces).splitlines(keepends=True)
            same_start = _common_prefix(old, new)
            same_end = _common_prefix(old[same_start:][::-1], new[same_start:][::-1])
            found.extend(
                _diff(
                    old[same_start : len(old) - same_end],
                    new[same_start : len(new) - same_end],
                    first + same_start,
                )
            )
        return tuple(found)

    def _runs(self, changes: Sequence[Change]) -> Iterable[tuple[int, int, list[Change]] | None]:
        """Changes grouped by the lines ``[first, last)`` they touch: changes on touching
        lines are one group, as no equal line separates them in a diff. None: changes
        that overlap, or an insertion inside a line."""
        current: tuple[int, int, list[Change]] | None = None
        previous_end = -1
        for change in changes:
            begin, end, _ = change
            if begin < previous_end:
                yield None
                return
            previous_end = end
            first = self.line_of(begin)
            if begin == end:
                if begin != self.starts[first]:
                    yield None
                    return
                last = first
            else:
                last = self.line_of(end - 1) + 1
            if current is not None and first <= current[1]:
                current = (current[0], max(current[1], last), [*current[2], change])
                continue
            if current is not None:
                yield current
            current = (first, last, [change])
        if current is not None:
            yield current


def _common_prefix(old: Sequence[str], new: Sequence[str]) -> int:
    count = 0
    for before, after in zip(old, new):
        if before != after:
            break
        count += 1
    return count
