"""PC009: CUDA-only packages declared in dependency manifests.

A requirement on flash-attn or cupy-cuda12x fails to install, or installs and fails at
import, on an Ascend machine; the finding sits on the declaring line. Covered: pip
requirements files (``requirements*.txt``/``.in``, ``constraints*.txt``, every
``.txt``/``.in`` under a ``requirements/`` directory, files pulled in with ``-r``/``-c``;
``-e``/VCS lines with ``#egg=``, ``name @ url`` and wheel URLs or file names),
``pyproject.toml`` (PEP 621 dependencies and optional dependencies), ``setup.cfg``
``install_requires`` and ``environment.yml`` pip lists. ``setup.py`` is Python and is
covered by PC010.
"""

from __future__ import annotations

from portcheck import requirements
from portcheck.knowledge import Knowledge
from portcheck.model import Finding
from portcheck.rule import TextExample

from ._advice import package_suggestion
from ._manifest import ManifestRule, manifest_declarations

CUDA_INDEX_EVIDENCE = "PyTorch wheel indexes: /whl/cuXXX serves builds linked against CUDA"


class CudaDependency(ManifestRule):
    id = "PC009"
    name = "cuda-only-dependency"
    summary = "CUDA-only package declared in requirements / pyproject / setup.cfg / conda"
    category = "rewrite"

    VALID = (
        TextExample("requirements.txt", "# needs CUDA 12\ntorch==2.3.1\nnumpy\n"),
        TextExample("pyproject.toml", '[project]\nname = "x"\ndependencies = ["numpy"]\n'),
    )
    INVALID = (
        TextExample("requirements.txt", "numpy\nflash-attn==2.5.8\n", api="flash-attn"),
        TextExample("requirements-dev.txt", "Flash_Attn>=2\ncupy-cuda12x\n", count=2),
        TextExample(
            "requirements.txt",
            "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch\n",
            api="torch-cuda-build",
        ),
        TextExample(
            "pyproject.toml",
            '[project]\nname = "x"\ndependencies = [\n  "numpy",\n  "xformers>=0.0.25",\n]\n',
            api="xformers",
        ),
        TextExample(
            "pyproject.toml",
            '[project]\nname = "x"\ndependencies = ["numpy", "triton"]\n'
            '[project.optional-dependencies]\nfast = ["xformers>=0.0.22", "cupy-cuda12x"]\n',
            count=3,
        ),
        TextExample(
            "setup.cfg", "[options]\ninstall_requires =\n    numpy\n    bitsandbytes\n", count=1
        ),
        TextExample("environment.yml", "dependencies:\n  - pip:\n    - pynvml\n", count=1),
        TextExample(
            "requirements.txt",
            "-e git+https://github.com/Dao-AILab/flash-attention.git#egg=flash_attn\n",
            api="flash-attn",
            count=1,
        ),
        TextExample(
            "requirements.txt",
            "https://github.com/Dao-AILab/flash-attention/releases/download/v2.5.8/"
            "flash_attn-2.5.8+cu122torch2.3cxx11abiFALSE-cp310-cp310-linux_x86_64.whl\n"
            "apex @ git+https://github.com/NVIDIA/apex\n",
            api="flash-attn",
            count=2,
        ),
    )

    def check(self, path: str, text: str, knowledge: Knowledge) -> list[Finding]:
        findings = []
        for declaration in manifest_declarations(path, text):
            finding = self._finding(path, declaration, knowledge)
            if finding is not None:
                findings.append(finding)
        return findings

    def _finding(
        self, path: str, declaration: requirements.Declaration, knowledge: Knowledge
    ) -> Finding | None:
        fact = knowledge.package(declaration.name) if declaration.name else None
        if fact is None and requirements.uses_cuda_build(declaration.text):
            return self.declared(
                path,
                declaration,
                api="torch-cuda-build",
                category="caution",
                message="Dependency on a CUDA build of PyTorch",
                suggestion="On Ascend install the CPU build of torch plus the matching torch_npu.",
                evidence=CUDA_INDEX_EVIDENCE,
            )
        if fact is None:
            return None
        message = f"CUDA-only package `{fact.distribution}` declared"
        if fact.alternative:
            message += f"; Ascend alternative: {fact.alternative}"
        return self.declared(
            path,
            declaration,
            api=fact.distribution,
            category=fact.category,  # type: ignore[arg-type]
            message=message,
            suggestion=package_suggestion(fact),
            evidence=fact.evidence,
        )
