"""Load the bundled knowledge base: one generated JSON per torch_npu release plus the
hand-curated TOML, merged into a :class:`Knowledge` per target.

Files are read lazily and cached, so importing this module costs nothing.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

from portcheck.knowledge.chips import DEFAULT_CHIP, Chip, resolve_chip
from portcheck.knowledge.coverage import COVERAGE_FILE, Coverage, CoverageFact, parse_coverage
from portcheck.knowledge.model import (
    CATEGORIES,
    ApiFact,
    EnvVarFact,
    PackageFact,
    ShimFacts,
    TorchRequirement,
    normalise_distribution,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

CURATED = "curated.toml"
RELEASES_FILE = "releases.json"
_RELEASE_FILE = re.compile(r"^torch_npu-(?P<version>[0-9][0-9A-Za-z.]*)\.json$")


class UnknownTargetError(ValueError):
    """Raised for a target with no bundled knowledge; the message lists the known ones."""


def source_data_dir() -> Path:
    """``rules/knowledge`` in the source tree (where the generator writes)."""
    return Path(__file__).resolve().parents[2] / "rules" / "knowledge"


def data_dir() -> Any:
    """The installed ``portcheck.rules/knowledge`` resource, or the source tree before install."""
    try:
        from importlib.resources import files

        installed = files("portcheck.rules") / "knowledge"
    except (ImportError, TypeError):
        return source_data_dir()
    return installed if installed.is_dir() else source_data_dir()


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


@cache
def _release_files() -> dict[str, str]:
    found = {}
    for entry in data_dir().iterdir():
        match = _RELEASE_FILE.match(entry.name)
        if match:
            found[match["version"]] = entry.name
    return found


def known_targets() -> tuple[str, ...]:
    """Bundled targets, oldest first, e.g. ``("torch_npu==2.1.0.post17", "torch_npu==2.14.0")``."""
    return tuple(f"torch_npu=={v}" for v in sorted(_release_files(), key=_version_key))


def default_target() -> str:
    """The newest bundled release."""
    return known_targets()[-1]


def _version_of(target: str) -> str:
    text = target.strip()
    for prefix in ("torch_npu==", "torch-npu==", "torch_npu ", "torch-npu "):
        if text.lower().startswith(prefix):
            return text[len(prefix) :].strip()
    return text


@cache
def _read_json(name: str) -> dict[str, Any]:
    return json.loads((data_dir() / name).read_text(encoding="utf-8"))


@cache
def _curated() -> dict[str, Any]:
    return tomllib.loads((data_dir() / CURATED).read_text(encoding="utf-8"))


def curated_probes() -> tuple[str, ...]:
    """torch_npu names that curated entries ``require``; the generator checks them per wheel."""
    tables = _curated().get("api", []) + _curated().get("package", [])
    return tuple(sorted({name for t in tables for name in t.get("requires", ())}))


def curated_env_probes() -> tuple[str, ...]:
    """Environment variable names that curated env entries ``require``; the generator looks
    for each in every release's wheel bytes."""
    return tuple(sorted({n for t in _curated().get("env", []) for n in t.get("requires", ())}))


@cache
def release_table() -> tuple[TorchRequirement, ...]:
    """Every torch_npu release whose METADATA the generator read, oldest first, with the
    torch release it requires (``releases.json``)."""
    rows = _read_json(RELEASES_FILE)["releases"]
    table = (
        TorchRequirement(r["torch_npu"], r["torch"], r["requires_dist"], r["evidence"])
        for r in rows
    )
    return tuple(sorted(table, key=lambda r: _version_key(r.torch_npu)))


class Knowledge:
    """Every fact for one torch_npu release (generated + curated) on one chip."""

    def __init__(
        self,
        target: str,
        version: str,
        shim: ShimFacts,
        apis: tuple[ApiFact, ...],
        env_vars: tuple[EnvVarFact, ...],
        packages: tuple[PackageFact, ...],
        chip: Chip | None = None,
        coverage: Coverage | None = None,
    ) -> None:
        self.target = target
        self.version = version
        self.chip = chip or resolve_chip(DEFAULT_CHIP)
        self.coverage = coverage
        self.shim = shim
        self._apis = {f.api: f for f in apis}
        self._env = {f.name: f for f in env_vars}
        self._packages = {f.distribution: f for f in packages}

    def api(self, qualified_name: str) -> ApiFact | None:
        """Exact match, else the longest ``prefix`` fact that is a dotted prefix of the name."""
        exact = self._apis.get(qualified_name)
        if exact is not None:
            return exact
        parts = qualified_name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            fact = self._apis.get(".".join(parts[:cut]))
            if fact is not None and fact.prefix:
                return fact
        return None

    def coverage_api(self, qualified_name: str) -> CoverageFact | None:
        """The chip's coverage fact of a public PyTorch API (``torch.linalg.eig``)."""
        return self.coverage.api(qualified_name) if self.coverage else None

    def coverage_dtype(self, qualified_name: str) -> CoverageFact | None:
        """The chip's coverage fact of a dtype (``torch.float8_e4m3fn``)."""
        return self.coverage.dtype(qualified_name) if self.coverage else None

    def env_var(self, name: str) -> EnvVarFact | None:
        return self._env.get(name)

    def package(self, distribution: str) -> PackageFact | None:
        return self._packages.get(normalise_distribution(distribution))

    def module_facts(self) -> tuple[ApiFact, ...]:
        return tuple(self._apis[k] for k in sorted(self._apis))

    def env_facts(self) -> tuple[EnvVarFact, ...]:
        return tuple(self._env[k] for k in sorted(self._env))

    def package_facts(self) -> tuple[PackageFact, ...]:
        return tuple(self._packages[k] for k in sorted(self._packages))

    def __repr__(self) -> str:
        return f"Knowledge({self.target!r}, {self.chip.id}, {len(self._apis)} apis)"


def load_knowledge(target: str | None = None, chip: str | None = None) -> Knowledge:
    """The knowledge of ``target`` (``"torch_npu==2.14.0"`` or ``"2.14.0"``; None: newest)
    on ``chip`` (an id or alias of :mod:`portcheck.knowledge.chips`; None: the Atlas A2)."""
    version = _version_of(target) if target else _version_of(default_target())
    return _load(version, resolve_chip(chip).id)


BEHAVIOUR_FILE = "behaviour-torch_npu-{version}.json"


def _optional_text(name: str) -> str | None:
    entry = data_dir() / name
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


def _behaviour(version: str) -> list[ApiFact]:
    """Facts of same-name APIs that behave differently (they replace the name facts)."""
    text = _optional_text(BEHAVIOUR_FILE.format(version=version))
    return [_api(raw) for raw in json.loads(text)["apis"]] if text else []


@cache
def _load(version: str, chip: str) -> Knowledge:
    files = _release_files()
    if version not in files:
        known = ", ".join(known_targets())
        raise UnknownTargetError(f"unknown target 'torch_npu=={version}'; known targets: {known}")
    document = _read_json(files[version])
    symbols: dict[str, str] = document.get("symbols", {})
    behaviour = {fact.api: fact for fact in _behaviour(version)}
    apis = [
        behaviour.pop(raw["api"]) if raw["api"] in behaviour else _api(raw)
        for raw in document["apis"]
    ]
    apis += behaviour.values()
    curated = _curated()
    for raw in _for_release(curated.get("api", []), version):
        fact = _curated_api(raw, symbols)
        if fact is not None:
            apis = [a for a in apis if a.api != fact.api] + [fact]
    strings: dict[str, str] = document.get("strings", {})
    env = [_env(raw, strings, version) for raw in _for_release(curated.get("env", []), version)]
    packages = [
        p
        for raw in _for_release(curated.get("package", []), version)
        if (p := _package(raw, symbols)) is not None
    ]
    return Knowledge(
        document["target"],
        version,
        _shim(document.get("shim") or {}),
        tuple(apis),
        tuple(env),
        tuple(packages),
        resolve_chip(chip),
        parse_coverage(_optional_text(COVERAGE_FILE.format(version=version)), chip),
    )


def _for_release(tables: list[dict[str, Any]], version: str) -> list[dict[str, Any]]:
    return [t for t in tables if version in t.get("releases", [version])]


def _required(raw: dict[str, Any], symbols: dict[str, str]) -> str | None:
    """Evidence for a curated entry's ``requires`` in this release (torch_npu names for api
    and package entries, variable names found in the wheel for env entries); None if one is
    missing."""
    needed = raw.get("requires", [])
    if any(n not in symbols for n in needed):
        return None
    return "; ".join([raw["evidence"], *(f"{symbols[n]} ({n})" for n in needed)])


def _checked(category: str, verified: bool, what: str) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"{what}: unknown category {category!r}")
    if category == "auto" and not verified:
        raise ValueError(f"{what}: an unverified fact cannot be 'auto'")
    return category


def _api(raw: dict[str, Any]) -> ApiFact:
    category = _checked(raw["category"], raw["verified"], raw["api"])
    return ApiFact.from_json({**raw, "category": category})


def _curated_api(raw: dict[str, Any], symbols: dict[str, str]) -> ApiFact | None:
    evidence = _required(raw, symbols)
    return None if evidence is None else _api({**raw, "evidence": evidence})


def _env(raw: dict[str, Any], strings: dict[str, str], version: str) -> EnvVarFact:
    """The entry as written when the release's wheel names every required variable; else a
    ``caution`` without replacement: the CUDA-side setting still does nothing there."""
    evidence = _required(raw, strings)
    if evidence is None:
        missing = ", ".join(n for n in raw["requires"] if n not in strings)
        return EnvVarFact(
            name=raw["name"],
            category="caution",
            replacement=None,
            note=f"Not read on Ascend, and torch_npu {version} has no counterpart ({missing}).",
            evidence=f"torch_npu {version} wheel: no .py/.so member names {missing}",
            verified=True,
        )
    return EnvVarFact(
        name=raw["name"],
        category=_checked(raw["category"], raw["verified"], raw["name"]),
        replacement=raw.get("replacement"),
        note=raw["note"],
        evidence=evidence,
        verified=bool(raw["verified"]),
    )


def _package(raw: dict[str, Any], symbols: dict[str, str]) -> PackageFact | None:
    evidence = _required(raw, symbols)
    if evidence is None:
        return None
    name = normalise_distribution(raw["distribution"])
    return PackageFact(
        distribution=name,
        modules=tuple(raw.get("modules", ())),
        category=_checked(raw["category"], raw["verified"], name),
        alternative=raw.get("alternative"),
        note=raw["note"],
        evidence=evidence,
        verified=bool(raw["verified"]),
    )


def _shim(raw: dict[str, Any]) -> ShimFacts:
    return ShimFacts(
        evidence=raw.get("evidence", ""),
        device_wrapped=tuple(raw.get("device_wrapped", ())),
        device_kwargs=tuple(raw.get("device_kwargs", ())),
        hccl_wrapped=tuple(raw.get("hccl_wrapped", ())),
        aliases=tuple(sorted(raw.get("aliases", {}).items())),
        patched_modules=tuple(sorted(raw.get("patched_modules", {}).items())),
        jit_script_disabled=bool(raw.get("jit_script_disabled", False)),
        triton_disabled=tuple(raw.get("triton_disabled", ())),
        white_lists=tuple((k, tuple(v)) for k, v in sorted(raw.get("white_lists", {}).items())),
    )
