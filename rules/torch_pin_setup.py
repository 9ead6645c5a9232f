"""PC022: a torch pin in ``setup()`` requirements that the target torch_npu cannot run with.

The same check as PC020, for ``setup.py``, which is a program and so is read as Python:
only string literals inside ``install_requires`` / ``extras_require`` / ``setup_requires``
of a ``setup(...)`` call count (:mod:`rules._setup_requirements`, shared with PC010).
"""

from __future__ import annotations

import libcst as cst

from portcheck.prefilter import Needles
from portcheck.rule import Invalid, Rule, Valid

from ._setup_requirements import REQUIREMENT_KEYWORDS, setup_requirements
from ._torch_pin import pin_problem


class TorchPinSetup(Rule):
    id = "PC022"
    name = "torch-pin-mismatch-setup"
    summary = "torch pinned in setup() to a release the target torch_npu cannot run with"
    category = "rewrite"
    NEEDLES = Needles(names=REQUIREMENT_KEYWORDS)

    VALID = (
        Valid('from setuptools import setup\nsetup(name="x", install_requires=["torch>=2.0"])\n'),
        Valid('deps = ["torch==2.3.1"]\n'),
    )
    INVALID = (
        Invalid(
            'from setuptools import setup\nsetup(name="x", install_requires=["torch==2.3.1"])\n',
            api="torch",
            count=1,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        for string, text in setup_requirements(self, node):
            problem = pin_problem(text, self.knowledge)
            if problem is not None:
                self.report(
                    string,
                    api="torch",
                    category=problem.category,  # type: ignore[arg-type]
                    message=problem.message,
                    suggestion=problem.suggestion,
                    evidence=problem.evidence,
                )
