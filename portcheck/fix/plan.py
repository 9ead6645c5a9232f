"""Which of a file's fixes to apply in one pass.

A fix is applied only when its finding survived filtering, its tier is allowed, and
every other fix it shares an edit with (an aliased import and the names that use it)
is applied too: half of such a group would leave code that means something else.
A fix with companions (a fixed ``if`` test and the CUDA-only value its branch picks)
joins the group of the fixes that rewrite them, and is never made when none does.
Fixes whose edits nest inside one another wait for the next pass, when the analysis
has seen the result of the first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

import libcst as cst

from portcheck.cuda_path import is_cuda_only_value
from portcheck.model import Finding
from portcheck.rule import Edit, Fix

FixPair = tuple[Finding, Fix]
_NONE: frozenset[int] = frozenset()


def choose_fixes(
    pairs: Sequence[tuple[Finding, Fix | None]],
    selected: Collection[Finding],
    module: cst.Module,
    *,
    unsafe: bool,
) -> list[FixPair]:
    """The fixes to apply now, in finding order; ``selected`` are the findings to fix."""
    return FixPlanner(pairs, module).choose(selected, unsafe=unsafe)


class FixPlanner:
    """The fixes of one analysis, grouped and checked for nesting once, so that many
    choices over the same fixes (one per finding, for SARIF) cost little each.

    ``parents`` (child → parent, as the analysis's metadata has it) finds nested edits
    without walking the module again.
    """

    def __init__(
        self,
        pairs: Sequence[tuple[Finding, Fix | None]],
        module: cst.Module,
        parents: Mapping[cst.CSTNode, cst.CSTNode] | None = None,
    ) -> None:
        self._with_fix = [(finding, fix) for finding, fix in pairs if fix is not None]
        edits = [edit for _, fix in self._with_fix for edit in fix.edits]
        self._nested = _nested_edits(module, edits, parents)
        self._groups = _groups(self._with_fix)
        self._group_of = {
            index: number for number, group in enumerate(self._groups) for index in group
        }
        self._indices: dict[Finding, list[int]] = {}
        for index, (finding, _) in enumerate(self._with_fix):
            self._indices.setdefault(finding, []).append(index)
        self._keep_comments = {
            index for index, (_, fix) in enumerate(self._with_fix) if fix.keeps_comments()
        }
        self._changes_code: dict[int, bool] = {}

    def choose(self, selected: Collection[Finding], *, unsafe: bool) -> list[FixPair]:
        """Only the groups of ``selected`` are looked at (a group is chosen only when
        every fix of it is eligible), so one choice per finding stays linear overall."""
        with_fix = self._with_fix
        indices = {index for finding in selected for index in self._indices.get(finding, ())}
        eligible = {
            index
            for index in indices
            if (unsafe or not with_fix[index][1].unsafe)
            and index in self._keep_comments
            and self._changes(index)
        }
        chosen: list[FixPair] = []
        taken: set[int] = set()
        for number in sorted({self._group_of[index] for index in eligible}):
            group = self._groups[number]
            if not set(group) <= eligible:
                continue
            originals = {id(edit.original) for index in group for edit in with_fix[index][1].edits}
            companions = {id(node) for index in group for node in with_fix[index][1].companions}
            if not companions <= originals:
                continue
            if any(
                not nested.isdisjoint(taken) or not nested.isdisjoint(originals)
                for nested in (self._nested.get(original, _NONE) for original in originals)
            ):
                continue
            if not _consistent([edit for index in group for edit in with_fix[index][1].edits]):
                continue
            taken |= originals
            chosen.extend(with_fix[index] for index in group)
        chosen.sort(key=lambda pair: pair[0].sort_key())
        return chosen

    def _changes(self, index: int) -> bool:
        if index not in self._changes_code:
            self._changes_code[index] = _changes_code(self._with_fix[index][1])
        return self._changes_code[index]


def _changes_code(fix: Fix) -> bool:
    return any(not edit.original.deep_equals(edit.replacement) for edit in fix.edits)


def _groups(pairs: Sequence[FixPair]) -> list[list[int]]:
    """Indices of fixes that share an edited node, each group in finding order."""
    parent = list(range(len(pairs)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[int, int] = {}
    for index, (_, fix) in enumerate(pairs):
        for edit in fix.edits:
            first = owner.setdefault(id(edit.original), index)
            parent[root(index)] = root(first)
    for index, (_, fix) in enumerate(pairs):
        for node in fix.companions:
            if id(node) in owner:
                parent[root(index)] = root(owner[id(node)])
    groups: dict[int, list[int]] = {}
    for index in range(len(pairs)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


def _consistent(edits: Sequence[Edit]) -> bool:
    """The same node is never replaced by two different things."""
    replacement: dict[int, cst.CSTNode] = {}
    for edit in edits:
        seen = replacement.setdefault(id(edit.original), edit.replacement)
        if seen is not edit.replacement and not seen.deep_equals(edit.replacement):
            return False
    return True


def _nested_edits(
    module: cst.Module,
    edits: Sequence[Edit],
    parents: Mapping[cst.CSTNode, cst.CSTNode] | None = None,
) -> dict[int, set[int]]:
    """For each edited node, the other edited nodes it contains or is contained in."""
    edited = {id(edit.original) for edit in edits}
    related: dict[int, set[int]] = {}
    if len(edited) < 2:
        return related
    if parents is not None and all(edit.original in parents for edit in edits):
        for node in {id(edit.original): edit.original for edit in edits}.values():
            outer = parents.get(node)
            while outer is not None:
                if id(outer) in edited:
                    related.setdefault(id(outer), set()).add(id(node))
                    related.setdefault(id(node), set()).add(id(outer))
                outer = parents.get(outer)
        return related

    class Ancestry(cst.CSTVisitor):
        def __init__(self) -> None:
            self.open: list[int] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            key = id(node)
            if key in edited:
                for outer in self.open:
                    related.setdefault(outer, set()).add(key)
                    related.setdefault(key, set()).add(outer)
                self.open.append(key)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            if self.open and self.open[-1] == id(original_node):
                self.open.pop()

    module.visit(Ancestry())
    return related


def settle_companions(
    pairs: Sequence[tuple[Finding, Fix | None]],
    reported: Collection[int] = frozenset(),
) -> list[tuple[Finding, Fix | None]]:
    """The findings as ``--fix`` will treat them, once fixes with companions are tied to
    the fixes of their companions: a fix whose companion is reported without a fix (or
    is ``"nccl"``, reported or not) is dropped (a person must port the test and the value
    together), a companion that no rule reports (``"cuda"`` in a message) is no
    companion, and a fix tied to an unsafe one is unsafe too, so that no finding says
    "fixable" that ``--fix`` leaves alone. ``reported``: the ids of the reported nodes."""
    with_fix = [(finding, fix) for finding, fix in pairs if fix is not None]
    if not any(fix.companions for _, fix in with_fix):
        return list(pairs)
    owners: dict[int, list[int]] = {}
    for index, (_, fix) in enumerate(with_fix):
        for edit in fix.edits:
            owners.setdefault(id(edit.original), []).append(index)
    dropped: set[int] = set()
    unsafe: set[int] = set()
    companions: dict[int, tuple[cst.CSTNode, ...]] = {}
    for index, (_, fix) in enumerate(with_fix):
        if not fix.companions:
            continue
        tied = {index}
        kept = []
        for node in fix.companions:
            if id(node) in owners:
                tied.update(owners[id(node)])
                kept.append(node)
            elif id(node) in reported or is_cuda_only_value(node):
                dropped.add(index)
        companions[index] = tuple(kept)
        if any(with_fix[member][1].unsafe for member in tied):
            unsafe |= tied
    settled: list[tuple[Finding, Fix | None]] = []
    position = {id(fix): index for index, (_, fix) in enumerate(with_fix)}
    for finding, maybe_fix in pairs:
        at = position.get(id(maybe_fix)) if maybe_fix is not None else None
        if at is not None and at in companions and maybe_fix is not None:
            maybe_fix = replace(maybe_fix, companions=companions[at])
        if maybe_fix is None or at is None:
            settled.append((finding, maybe_fix))
        elif at in dropped:
            extra = {**finding.extra, "kept_cuda": CHOSEN_VALUE}
            extra.pop("unsafe_fix", None)
            settled.append((_demoted(finding, extra, UNFIXED_HELP), None))
        elif at in unsafe and not maybe_fix.unsafe:
            extra = {**finding.extra, "unsafe_fix": True, "fixed_with": CHOSEN_VALUE}
            unsafe_fix = replace(maybe_fix, unsafe=True)
            settled.append((_demoted(finding, extra, UNSAFE_HELP), unsafe_fix))
        else:
            settled.append((finding, maybe_fix))
    return settled


CHOSEN_VALUE = 'a test whose branch holds a CUDA value ("nccl", "cuda"): fixed only with it'
UNFIXED_HELP = (
    'This test picks a CUDA value ("nccl", "cuda") that portcheck does not rewrite: port '
    "the test and that value together by hand."
)
UNSAFE_HELP = (
    'This test picks a CUDA value ("nccl", "cuda") whose fix is uncertain: '
    "`--fix --unsafe-fixes` rewrites both together."
)


def _demoted(finding: Finding, extra: dict[str, object], help_text: str) -> Finding:
    category = "rewrite" if finding.category == "auto" else finding.category
    return replace(finding, fixable=False, category=category, suggestion=help_text, extra=extra)
