"""Dependency manifests as PC009 and PC020 read them: which files, and what they declare.

Pip requirements files (whatever their names: :mod:`portcheck.discover` tells), PEP 621
``pyproject.toml``, ``setup.cfg`` and conda environments; ``setup.py`` is Python
(:mod:`rules._setup_requirements`).
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Iterator

from portcheck import requirements
from portcheck.knowledge import normalise_distribution
from portcheck.model import Category, Finding
from portcheck.rule import TextRule

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

CONDA_FILE = re.compile(r"environment[\w.-]*\.ya?ml$")
CONDA_ITEM = re.compile(r"^\s*-\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class ManifestRule(TextRule):
    """A rule over every dependency manifest, its findings on declaring lines."""

    def applies_to(self, filename: str) -> bool:
        return is_manifest(filename)

    def applies_to_file(self, filename: str, requirements: bool) -> bool:
        return requirements or is_manifest(filename)

    def declared(
        self,
        path: str,
        declaration: requirements.Declaration,
        *,
        api: str,
        category: Category,
        message: str,
        suggestion: str | None,
        evidence: str,
    ) -> Finding:
        """A finding on ``declaration``'s text (never fixable: manifests are edited by hand)."""
        return Finding(
            path=path,
            line=declaration.line,
            column=declaration.column,
            end_line=declaration.line,
            end_column=declaration.column + len(declaration.text),
            rule=self.id,
            source=declaration.text,
            api=api,
            category=category,
            message=message,
            suggestion=suggestion,
            fixable=False,
            evidence=evidence,
        )


def is_manifest(filename: str) -> bool:
    """A dependency manifest by its file name (``setup.py`` aside; pip requirements files
    that their names do not announce come with ``requirements=True``)."""
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


def _conda_declarations(text: str) -> Iterator[requirements.Declaration]:
    for number, line in enumerate(text.splitlines(), start=1):
        match = CONDA_ITEM.match(line)
        if match and not line.rstrip().endswith(":"):
            name = normalise_distribution(match.group(1))
            yield requirements.Declaration(number, match.start(1) + 1, line.strip("- \t"), name)
