"""Reporting a behaviour fact (``behaviour-torch_npu-*.json``) where its API is named.

PC014–PC016 each look for one run-time pattern; what it does on the NPU, its category and
its wheel line are data, so a release without the fact yields no finding.
"""

from __future__ import annotations

import libcst as cst

from portcheck.rule import Rule


def report_behaviour(rule: Rule, node: cst.CSTNode, fact_api: str, api: str, what: str) -> None:
    """Report ``api`` at ``node`` with the fact ``fact_api``, if the release has it."""
    fact = rule.knowledge.api(fact_api)
    if fact is None:
        return
    rule.report(
        node,
        api=api,
        category=fact.category,  # type: ignore[arg-type]
        message=what,
        suggestion=fact.note,
        evidence=fact.evidence,
    )
