"""PC010: CUDA-only packages in ``setup()``'s ``install_requires``/``extras_require``.

``setup.py`` is a program, so it is read as Python: only string literals inside those
keyword arguments of a ``setup(...)`` call count as declarations.
"""

from __future__ import annotations

import libcst as cst

from portcheck import expressions, requirements
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

from ._advice import package_suggestion

REQUIREMENT_KEYWORDS = frozenset({"install_requires", "extras_require", "setup_requires"})
SETUP_FUNCTIONS = frozenset({"setuptools.setup", "distutils.core.setup"})


class SetupRequires(Rule):
    id = "PC010"
    name = "cuda-only-setup-requirement"
    summary = "CUDA-only package in setup() install_requires / extras_require"
    category = "rewrite"
    NEEDLES = Needles(names=REQUIREMENT_KEYWORDS)

    VALID = (
        Valid('from setuptools import setup\nsetup(name="x", install_requires=["numpy"])\n'),
        Valid('deps = ["flash-attn"]\n'),
    )
    INVALID = (
        Invalid(
            'from setuptools import setup\nsetup(name="x", install_requires=["torch", '
            '"flash-attn>=2.5"])\n',
            api="flash-attn",
            count=1,
        ),
        Invalid(
            'import setuptools\nsetuptools.setup(extras_require={"gpu": ["cupy-cuda12x"]})\n',
            count=1,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.qualified_names(node.func) & SETUP_FUNCTIONS:
            return
        for arg in node.args:
            if arg.keyword is None or arg.keyword.value not in REQUIREMENT_KEYWORDS:
                continue
            for string in expressions.string_literals(arg.value):
                self._check_requirement(string)

    def _check_requirement(self, node: cst.CSTNode) -> None:
        text = expressions.string_value(node)
        name = requirements.requirement_name(text) if text else None
        fact = self.knowledge.package(name) if name else None
        if fact is None:
            return
        message = f"CUDA-only package `{fact.distribution}` in setup() requirements"
        if fact.alternative:
            message += f"; Ascend alternative: {fact.alternative}"
        self.report(
            node,
            api=fact.distribution,
            category=fact.category,  # type: ignore[arg-type]
            message=message,
            suggestion=package_suggestion(fact),
            evidence=fact.evidence,
        )
