"""Whether a torch requirement can be met together with the target torch_npu release.

Every torch_npu wheel pins one torch release in its METADATA (``releases.json``, built
from the wheels). A project that pins another torch cannot install the target release
beside it; the useful answer names the torch_npu release that matches the pin instead.
Shared by PC020 (manifests) and PC022 (``setup.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from portcheck import requirements
from portcheck.knowledge import Knowledge, TorchRequirement, normalise_distribution, release_table

TORCH_NAMES = frozenset({"torch", "pytorch"})
CONDA_PIN = re.compile(r"^\s*(?:py)?torch\s*=\s*(?P<version>[0-9][0-9.]*)(?:\.\*)?\s*(?:=\S*)?$")
"""conda's ``pytorch=2.3.1`` (one ``=``: a fuzzy ``2.3.1.*`` match; a build string may
follow): conda's own syntax, which packaging does not read."""


@dataclass(frozen=True)
class PinProblem:
    """A torch pin the target cannot run with, and what would match it."""

    message: str
    suggestion: str
    evidence: str
    category: str


def torch_specifier(spec: str) -> SpecifierSet | None:
    """The version constraint of a torch requirement (pip or conda syntax); None when the
    text is not a torch requirement or does not constrain the version."""
    conda = CONDA_PIN.match(spec)
    if conda:
        return SpecifierSet(f"=={conda['version']}.*")
    requirement = requirements.parsed(spec)
    if requirement is None or normalise_distribution(requirement.name) not in TORCH_NAMES:
        return None
    return requirement.specifier if str(requirement.specifier) else None


def _allows(specifier: SpecifierSet, row: TorchRequirement) -> bool:
    try:
        return specifier.contains(Version(row.torch), prereleases=True)
    except InvalidVersion:
        return False


def pin_problem(spec: str, knowledge: Knowledge) -> PinProblem | None:
    """None when ``spec`` is no torch pin or allows the torch the target requires."""
    try:
        specifier = torch_specifier(spec)
    except InvalidSpecifier:
        return None
    table = release_table()
    target = next((row for row in table if row.torch_npu == knowledge.version), None)
    if specifier is None or target is None or _allows(specifier, target):
        return None
    matching = [row for row in table if _allows(specifier, row)]
    head = (
        f"torch pin `{spec.strip()}` cannot run with torch_npu {target.torch_npu}, "
        f"which requires torch {target.requires_dist.removeprefix('torch').strip()}"
    )
    if matching:
        best = matching[-1]
        return PinProblem(
            message=f"{head}; the torch_npu release for this pin is {best.torch_npu}",
            suggestion=(
                f"Install torch_npu=={best.torch_npu} (check with --target "
                f"torch_npu=={best.torch_npu} where bundled), or move the pin to "
                f"torch=={target.torch} for torch_npu {target.torch_npu}."
            ),
            evidence=f"{target.evidence}; {best.evidence}",
            category="rewrite",
        )
    known = ", ".join(f"{row.torch_npu} (torch {row.torch})" for row in table)
    return PinProblem(
        message=f"{head}; no torch_npu release on PyPI matches this pin",
        suggestion=f"Move the torch pin to a release torch_npu supports: {known}.",
        evidence=target.evidence,
        category="blocker",
    )
