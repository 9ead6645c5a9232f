"""PC010: CUDA-only packages in ``setup()``'s ``install_requires``/``extras_require``.

``setup.py`` is a program, so it is read as Python: only string literals inside those
keyword arguments of a ``setup(...)`` call count as declarations
(:mod:`rules._setup_requirements`).
"""

from __future__ import annotations

import libcst as cst

from portcheck import requirements
from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

from ._advice import package_suggestion
from ._setup_requirements import REQUIREMENT_KEYWORDS, setup_requirements


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
        for string, text in setup_requirements(self, node):
            self._check_requirement(string, text)

    def _check_requirement(self, node: cst.CSTNode, text: str) -> None:
        name = requirements.requirement_name(text)
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
