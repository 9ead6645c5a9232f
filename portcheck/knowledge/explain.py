"""Human-readable answer for ``portcheck explain NAME`` across all bundled releases."""

from __future__ import annotations

from typing import Union

from portcheck.knowledge.load import known_targets, load_knowledge
from portcheck.knowledge.model import ApiFact, EnvVarFact, PackageFact

Fact = Union[ApiFact, EnvVarFact, PackageFact]


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
        if fact.prefix:
            lines.append(f"  (covers every name under {fact.api})")
        lines.append("  transfer_to_npu migrates it at run time" if fact.shim else "")
    if isinstance(fact, PackageFact) and fact.modules:
        lines.append(f"  modules: {', '.join(fact.modules)}")
    if not fact.verified:
        lines.append("  UNVERIFIED: treat as a lead, not a fact")
    return [line for line in lines if line]


def explain(name: str) -> str | None:
    """Category, replacement, note and evidence of ``name`` for each bundled release,
    grouping releases whose facts agree; None when no release knows the name."""
    groups: dict[tuple[object, ...], list[tuple[str, Fact]]] = {}
    for target in known_targets():
        fact = _lookup(target, name)
        if fact is not None:
            groups.setdefault(_key(fact), []).append((target, fact))
    if not groups:
        return None
    out = [name]
    for members in groups.values():
        out.append(f"{', '.join(t for t, _ in members)}:")
        out.extend(_describe(members[0][1]))
        out.extend(f"  evidence ({t}): {f.evidence}" for t, f in members)
    return "\n".join(out) + "\n"
