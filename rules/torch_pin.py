"""PC020: a torch pin in a manifest that the target torch_npu release cannot run with.

The most common first failure of a port is a version mismatch: torch_npu X.Y.Z installs
only beside the torch its wheel requires, so a project pinned to ``torch==2.3.1`` cannot
use torch_npu 2.14.0. The finding sits on the pin and names the torch_npu release that
matches it (from the wheels' METADATA, ``releases.json``). Requirements files,
``pyproject.toml``, ``setup.cfg`` and conda environments are read; ``setup.py`` is PC022.
"""

from __future__ import annotations

from portcheck.knowledge import Knowledge
from portcheck.model import Finding
from portcheck.rule import TextExample

from ._manifest import ManifestRule, manifest_declarations
from ._torch_pin import pin_problem


class TorchPin(ManifestRule):
    id = "PC020"
    name = "torch-pin-mismatch"
    summary = "torch pinned to a release the target torch_npu cannot run with"
    category = "rewrite"

    VALID = (
        TextExample("requirements.txt", "torch>=2.10\nnumpy\n"),
        TextExample("requirements.txt", "torch\ntorch_npu==2.14.0\n"),
        TextExample("pyproject.toml", '[project]\nname = "x"\ndependencies = ["torch==2.14.0"]\n'),
    )
    INVALID = (
        TextExample("requirements.txt", "numpy\ntorch==2.3.1\n", api="torch", count=1),
        TextExample(
            "pyproject.toml",
            '[project]\nname = "x"\ndependencies = ["torch>=2.1,<2.4"]\n',
            api="torch",
        ),
        TextExample("environment.yml", "dependencies:\n  - pytorch=2.1.0\n", count=1),
        TextExample("requirements.txt", "torch==2.3.1+cu121\n", api="torch", count=1),
    )

    def check(self, path: str, text: str, knowledge: Knowledge) -> list[Finding]:
        findings = []
        for declaration in manifest_declarations(path, text):
            if declaration.name not in ("torch", "pytorch"):
                continue
            problem = pin_problem(declaration.text, knowledge)
            if problem is None:
                continue
            findings.append(
                self.declared(
                    path,
                    declaration,
                    api="torch",
                    category=problem.category,  # type: ignore[arg-type]
                    message=problem.message,
                    suggestion=problem.suggestion,
                    evidence=problem.evidence,
                )
            )
        return findings
