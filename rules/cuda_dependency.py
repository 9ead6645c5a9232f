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

import configparser
import re
import sys
from typing import Any

from portcheck import requirements
from portcheck.knowledge import Knowledge, normalise_distribution
from portcheck.model import Finding
from portcheck.rule import TextExample, TextRule

from ._advice import package_suggestion

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

CONDA_FILE = re.compile(r"environment[\w.-]*\.ya?ml$")
CONDA_ITEM = re.compile(r"^\s*-\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
CUDA_INDEX_EVIDENCE = "PyTorch wheel indexes: /whl/cuXXX serves builds linked against CUDA"


class CudaDependency(TextRule):
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

    def applies_to(self, filename: str) -> bool:
        return is_manifest(filename)

    def applies_to_file(self, filename: str, requirements: bool) -> bool:
        return requirements or is_manifest(filename)

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
        location: dict[str, Any] = {
            "path": path,
            "line": declaration.line,
            "column": declaration.column,
            "end_line": declaration.line,
            "end_column": declaration.column + len(declaration.text),
            "rule": self.id,
            "source": declaration.text,
        }
        fact = knowledge.package(declaration.name) if declaration.name else None
        if fact is None and requirements.uses_cuda_build(declaration.text):
            return Finding(
                **location,
                api="torch-cuda-build",
                category="caution",
                message="Dependency on a CUDA build of PyTorch",
                suggestion="On Ascend install the CPU build of torch plus the matching torch_npu.",
                fixable=False,
                evidence=CUDA_INDEX_EVIDENCE,
            )
        if fact is None:
            return None
        message = f"CUDA-only package `{fact.distribution}` declared"
        if fact.alternative:
            message += f"; Ascend alternative: {fact.alternative}"
        return Finding(
            **location,
            api=fact.distribution,
            category=fact.category,  # type: ignore[arg-type]
            message=message,
            suggestion=package_suggestion(fact),
            fixable=False,
            evidence=fact.evidence,
        )


def is_manifest(filename: str) -> bool:
    """A dependency manifest this module can read (``setup.py`` aside)."""
    return (
        filename in ("pyproject.toml", "setup.cfg")
        or requirements.is_requirements_file(filename)
        or CONDA_FILE.match(filename) is not None
    )


def manifest_declarations(path: str, text: str) -> list[requirements.Declaration]:
    """Every requirement a manifest declares, with its line (shared with PC020)."""
    filename = path.rsplit("/", 1)[-1]
    if filename == "pyproject.toml":
        return list(requirements.locate(text, _pyproject_specs(text)))
    if filename == "setup.cfg":
        return list(requirements.locate(text, _setup_cfg_specs(text)))
    if CONDA_FILE.match(filename):
        return list(_conda_declarations(text))
    return list(requirements.requirements_txt(text))


def _pyproject_specs(text: str) -> list[str]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    project = document.get("project", {})
    specs = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        specs.extend(group)
    for group in document.get("dependency-groups", {}).values():
        specs.extend(item for item in group if isinstance(item, str))
    return [spec for spec in specs if isinstance(spec, str)]


def _setup_cfg_specs(text: str) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    specs: list[str] = []
    if parser.has_option("options", "install_requires"):
        specs.extend(parser.get("options", "install_requires").splitlines())
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            specs.extend(value.splitlines())
    return [spec.strip() for spec in specs if spec.strip()]


def _conda_declarations(text: str):
    for number, line in enumerate(text.splitlines(), start=1):
        match = CONDA_ITEM.match(line)
        if match and not line.rstrip().endswith(":"):
            name = normalise_distribution(match.group(1))
            yield requirements.Declaration(number, match.start(1) + 1, line.strip("- \t"), name)
