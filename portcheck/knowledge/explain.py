"""Human-readable answer for ``portcheck explain NAME`` across all bundled releases."""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Union

from portcheck.knowledge.chips import CHIPS, Chip
from portcheck.knowledge.coverage import CoverageFact
from portcheck.knowledge.load import known_targets, load_knowledge
from portcheck.knowledge.model import ApiFact, EnvVarFact, PackageFact

Fact = Union[ApiFact, EnvVarFact, PackageFact]
EVERY_CHIP = (
    ", ".join(c.id for c in CHIPS)
    + " (one torch_npu wheel serves every chip: its name and behaviour facts hold on all)"
)
NO_LIST = (
    "kernel comparison only (every Ascend support list is for a newer torch: no ✘ verdicts, "
    "no dtype facts)"
)
NO_910A_COLUMN = " (Ascend's list has no 910A column: 910A verdicts rest on the kernel list)"


def _lookup(target: str, name: str) -> Fact | None:
    knowledge = load_knowledge(target)
    return knowledge.api(name) or knowledge.env_var(name) or knowledge.package(name)


def _key(fact: Fact) -> tuple[object, ...]:
    """What must agree for two releases to be shown together (evidence names the release)."""
    if isinstance(fact, ApiFact):
        return (fact.api, fact.category, fact.replacement, fact.note, fact.shim, fact.verified)
    if isinstance(fact, PackageFact):
        return (fact.distribution, fact.category, fact.alternative, fact.note, fact.verified)
    return (fact.name, fact.category, fact.replacement, fact.note, fact.verified)


def _describe(fact: Fact) -> list[str]:
    replacement = fact.alternative if isinstance(fact, PackageFact) else fact.replacement
    head = fact.category + (f" -> {replacement}" if replacement else "")
    lines = [f"  {head}", f"  {fact.note}"]
    if isinstance(fact, ApiFact):
        lines.append(f"  chips: {EVERY_CHIP}")
        if fact.prefix:
            lines.append(f"  (covers every name under {fact.api})")
        lines.append("  transfer_to_npu migrates it at run time" if fact.shim else "")
    if isinstance(fact, PackageFact) and fact.modules:
        lines.append(f"  modules: {', '.join(fact.modules)}")
    if not fact.verified:
        lines.append("  UNVERIFIED: treat as a lead, not a fact")
    return [line for line in lines if line]


def _coverage(name: str) -> list[str]:
    """Operator/dtype support of ``name`` per release and chip, chips that agree together;
    empty when no release and chip has a coverage fact for it."""
    out: list[str] = []
    found = False
    for target in known_targets():
        coverage = load_knowledge(target).coverage
        if coverage is None:
            out.append(f"coverage on {target}: no coverage data for this release")
            continue
        if coverage.support_list is None:
            out.append(f"coverage on {target}: {NO_LIST}")
        groups: dict[tuple[str, str], list[CoverageFact]] = {}
        for chip in CHIPS:
            knowledge = load_knowledge(target, chip.id)
            fact = knowledge.coverage_api(name) or knowledge.coverage_dtype(name)
            if fact is not None:
                groups.setdefault((fact.category, fact.reason), []).append(fact)
        flagged = {fact.chip for facts in groups.values() for fact in facts}
        for (category, reason), facts in groups.items():
            found = True
            chips = [c for c in CHIPS if c.id in {f.chip for f in facts}]
            where = chips[0] if len(chips) == 1 else Chip("", "these chips", ())
            out.append(
                f"coverage on {target}, {', '.join(c.id for c in chips)}: {category} ({reason})"
            )
            out.append(f"  {facts[0].message(where)}.")
            out.append(f"  evidence: {facts[0].evidence}")
        rest = [c.id for c in CHIPS if c.id not in flagged]
        if groups and rest:
            note = NO_910A_COLUMN if "910a" in rest else ""
            out.append(f"coverage on {target}, {', '.join(rest)}: no finding{note}")
    return out if found else []


def explain(name: str) -> str | None:
    """Category, replacement, note and evidence of ``name`` for each bundled release,
    grouping releases whose facts agree, then its operator/dtype coverage per chip; None
    when no release knows the name."""
    groups: dict[tuple[object, ...], list[tuple[str, Fact]]] = {}
    for target in known_targets():
        fact = _lookup(target, name)
        if fact is not None:
            groups.setdefault(_key(fact), []).append((target, fact))
    coverage = _coverage(name)
    distributions = _distributions(name)
    if not groups and not coverage and not distributions:
        return None
    out = [name]
    for members in groups.values():
        out.append(f"{', '.join(t for t, _ in members)}:")
        out.extend(_describe(members[0][1]))
        out.extend(f"  evidence ({t}): {f.evidence}" for t, f in members)
    out.extend(distributions)
    out.extend(coverage)
    return "\n".join(out) + "\n"


def near_names(name: str, most: int = 3) -> list[str]:
    """Known names that look like ``name`` (a typo, another spelling), closest first:
    APIs, environment variables, distributions and their modules, and operators with
    coverage facts, of every bundled release."""
    return difflib.get_close_matches(name, _known_names(), n=most, cutoff=0.8)


@lru_cache(maxsize=1)
def _known_names() -> tuple[str, ...]:
    names: set[str] = set()
    for target in known_targets():
        knowledge = load_knowledge(target)
        names.update(fact.api for fact in knowledge.module_facts())
        names.update(fact.name for fact in knowledge.env_facts())
        for package in knowledge.package_facts():
            names.add(package.distribution)
            names.update(package.modules)
        if knowledge.coverage is not None:
            names.update(fact.api for fact in knowledge.coverage.api_facts())
    return tuple(sorted(names))


def _distributions(module: str) -> list[str]:
    """The pip distributions that install ``module`` (``flashinfer`` -> flashinfer-python),
    as the newest release knows them: ``portcheck explain DIST`` shows each in full."""
    facts = load_knowledge(known_targets()[-1]).package_facts()
    found = [f for f in facts if module in f.modules and f.distribution != module]
    return [
        f"distribution {f.distribution}: {f.category}"
        + (f" -> {f.alternative}" if f.alternative else "")
        + f" (portcheck explain {f.distribution})"
        for f in found
    ]
