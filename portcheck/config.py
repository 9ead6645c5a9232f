"""Settings of a run: ``[tool.portcheck]`` in ``pyproject.toml``, overridden by the command line.

The file is found by walking up from the paths being checked (the nearest
``pyproject.toml`` that has a ``[tool.portcheck]`` table wins), or named with
``--config``. Every problem in it is a :class:`ConfigError` whose one-line message names
the file, the key and what to change, because a CI gate that silently ignores a typo in
its configuration is worse than no gate. Paths and globs in the file are relative to
the file's directory.
"""

from __future__ import annotations

import difflib
import json
import os
import posixpath
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portcheck.discover import DEFAULT_EXCLUDES, VENDORED_DIRECTORIES
from portcheck.knowledge.chips import DEFAULT_CHIP, UnknownChipError, resolve_chip
from portcheck.model import CATEGORIES, Category

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
SECTION = "[tool.portcheck]"


class ConfigError(Exception):
    """A configuration or option the user must correct (exit code 2)."""


@dataclass(frozen=True)
class PerFileIgnore:
    """Rules never reported for files matching ``pattern`` (relative to the config file)."""

    pattern: str
    rules: frozenset[str]


@dataclass(frozen=True)
class Overrides:
    """What the command line said; None (or empty) means "use the file or the default"."""

    target: str | None = None
    chip: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_under: float | None = None
    fail_on: tuple[str, ...] = ()
    baseline: Path | None = None


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one run; ``rules`` are the enabled rule ids."""

    config_file: Path | None
    target: str
    rules: tuple[str, ...]
    all_rules_enabled: bool
    per_file_ignores: tuple[PerFileIgnore, ...]
    exclude: tuple[str, ...]
    extend_exclude: tuple[str, ...]
    fail_under: float | None
    fail_on: tuple[Category, ...]
    baseline: Path | None
    chip: str = DEFAULT_CHIP
    fail_on_diagnostics: bool = False
    """``diagnostic`` in fail-on: a file that could not be analysed or was skipped fails."""

    @property
    def base_dir(self) -> Path:
        """The directory that relative paths and globs of the configuration start from."""
        return self.config_file.parent if self.config_file else Path.cwd()

    def run_excludes(self, root: Path, include_vendored: bool = False) -> tuple[str, ...]:
        """``exclude`` and ``extend-exclude`` as globs relative to the run root; with
        ``include_vendored``, without the default skips of vendored trees."""
        base = Path(os.path.abspath(self.base_dir))
        patterns = (*self.exclude, *self.extend_exclude)
        if include_vendored:
            patterns = tuple(p for p in patterns if p not in VENDORED_DIRECTORIES)
        return tuple(
            rebase_pattern(pattern, base, Path(os.path.abspath(root))) for pattern in patterns
        )


@dataclass(frozen=True)
class _Key:
    name: str
    kind: str  # "str", "str-list", "str-list-table" or "number"
    help: str


KEYS: Mapping[str, _Key] = {
    key.name: key
    for key in (
        _Key("select", "str-list", "rule ids, prefixes or names to enable"),
        _Key("ignore", "str-list", "rule ids, prefixes or names to disable"),
        _Key("per-file-ignores", "str-list-table", "glob = [rule ids] never reported there"),
        _Key("exclude", "str-list", "globs to skip, replacing the defaults"),
        _Key("extend-exclude", "str-list", "globs to skip, in addition to the defaults"),
        _Key("target", "str", "torch_npu release, e.g. torch_npu==2.14.0"),
        _Key("chip", "str", "Ascend product: atlas-a2 (default), atlas-a3, 950dt, 910a"),
        _Key("fail-under", "number", "fail when the per-API readiness score is below"),
        _Key("fail-on", "str-list", "categories whose findings fail the gate"),
        _Key("baseline", "str", "baseline file written by `portcheck baseline`"),
    )
}

_KIND_NAMES = {
    "str": "a string",
    "str-list": "a list of strings",
    "str-list-table": "a table of lists of strings",
    "number": "a number",
}


def find_config(paths: Sequence[Path]) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.portcheck]`` table above ``paths``."""
    absolute = [Path(os.path.abspath(path)) for path in paths] or [Path.cwd()]
    start = Path(os.path.commonpath([str(path) for path in absolute]))
    if not start.is_dir():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / PYPROJECT
        if candidate.is_file() and _has_section(candidate):
            return candidate
    return None


def _has_section(path: Path) -> bool:
    """Cheap text test first: most pyproject.toml files never mention portcheck."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    tool = _read_toml(path).get("tool", {}) if "tool.portcheck" in text else None
    return isinstance(tool, dict) and "portcheck" in tool


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not valid UTF-8 ({error.reason} at byte {error.start})"
        ) from error


def read_table(path: Path) -> dict[str, Any]:
    """``[tool.portcheck]`` of ``path``; a file without one (e.g. portcheck.toml) is the table."""
    document = _read_toml(path)
    tool = document.get("tool")
    if isinstance(tool, dict) and "portcheck" in tool:
        table = tool["portcheck"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {SECTION} must be a table")
        return table
    if path.name == PYPROJECT:
        raise ConfigError(f"{path}: has no {SECTION} table")
    return document


def validate(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check every key and value type; return the table with ``-`` keys as ``_`` keys."""
    checked: dict[str, Any] = {}
    for name, value in table.items():
        key = KEYS.get(name)
        if key is None:
            close = difflib.get_close_matches(name, list(KEYS), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(f"{where}: unknown key {name!r}; {hint}known keys: {', '.join(KEYS)}")
        if not _has_kind(value, key.kind):
            raise ConfigError(
                f"{where} {name}: expected {_KIND_NAMES[key.kind]} ({key.help}), "
                f"got {type(value).__name__} {json.dumps(value, default=str)}"
            )
        checked[name.replace("-", "_")] = value
    return checked


def _has_kind(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "str-list":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, dict) and all(_has_kind(item, "str-list") for item in value.values())


def resolve_settings(
    paths: Sequence[Path], config_file: Path | None, overrides: Overrides
) -> Settings:
    """Read the configuration (named, or found above ``paths``) and apply ``overrides``."""
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"--config {config_file}: no such file")
    found = config_file if config_file is not None else find_config(paths)
    path = Path(os.path.abspath(found)) if found is not None else None
    where = f"{path}: {SECTION}" if path is not None else "defaults"
    table = validate(read_table(path), where) if path is not None else {}
    base = path.parent if path is not None else Path.cwd()

    def from_cli(option: str, key: str) -> str:
        """Where a value came from, for error messages: the option or the file's key."""
        return option if getattr(overrides, key) else f"{where} {key.replace('_', '-')}"

    known = _known_rules()
    select_codes = overrides.select or tuple(table.get("select", ()))
    ignore_codes = overrides.ignore or tuple(table.get("ignore", ()))
    selected = (
        expand_codes(select_codes, from_cli("--select", "select"), known)
        if select_codes
        else set(known)
    )
    ignored = expand_codes(ignore_codes, from_cli("--ignore", "ignore"), known)
    rules = tuple(sorted(selected - ignored))
    per_file = tuple(
        PerFileIgnore(pattern, frozenset(expand_codes(codes, f"{where} per-file-ignores", known)))
        for pattern, codes in table.get("per_file_ignores", {}).items()
    )
    fail_under = overrides.fail_under
    if fail_under is None and "fail_under" in table:
        fail_under = float(table["fail_under"])
    if fail_under is not None and not 0 <= fail_under <= 100:  # nan too: it never fails
        where_under = from_cli("--fail-under", "fail_under")
        raise ConfigError(f"{where_under}: {fail_under} is not a score from 0 to 100")
    fail_on_values = overrides.fail_on or tuple(table.get("fail_on", CATEGORIES))
    if not fail_on_values:
        raise ConfigError(
            f"{from_cli('--fail-on', 'fail_on')}: empty, which would disable the gate "
            "unnoticed; write `none` to disable it"
        )
    for name, value in (("target", overrides.target), ("chip", overrides.chip)):
        if value is not None and not value.strip():
            raise ConfigError(f"--{name}: empty; name one or leave the option out")
    baseline = overrides.baseline
    if baseline is None and "baseline" in table:
        baseline = base / table["baseline"]
    return Settings(
        config_file=path,
        target=_resolve_target(
            overrides.target or _named(table, "target", where), from_cli("--target", "target")
        ),
        rules=rules,
        all_rules_enabled=set(rules) == set(known),
        per_file_ignores=per_file,
        exclude=tuple(table.get("exclude", DEFAULT_EXCLUDES)),
        extend_exclude=tuple(table.get("extend_exclude", ())),
        fail_under=fail_under,
        fail_on=parse_categories(
            [value for value in fail_on_values if not _is_diagnostic(value)],
            from_cli("--fail-on", "fail_on"),
        ),
        fail_on_diagnostics=any(_is_diagnostic(value) for value in fail_on_values),
        baseline=baseline,
        chip=_resolve_chip(
            overrides.chip or _named(table, "chip", where), from_cli("--chip", "chip")
        ),
    )


def _named(table: Mapping[str, Any], key: str, where: str) -> str | None:
    """A setting that names something: an empty name is an error, not the default."""
    value = table.get(key)
    if value is not None and not str(value).strip():
        raise ConfigError(f"{where} {key}: empty; name one or leave the key out")
    return value


def _known_rules() -> dict[str, str]:
    """Rule id → name of every installed rule."""
    from portcheck.registry import PluginError, all_rules

    try:
        return {rule.id: rule.name for rule in all_rules()}
    except PluginError as error:
        raise ConfigError(str(error)) from error


def expand_codes(codes: Sequence[str], where: str, known: Mapping[str, str]) -> set[str]:
    """Rule ids, id prefixes (``PC00``), rule names or ``ALL`` → the rule ids they mean."""
    names = {name: rule_id for rule_id, name in known.items()}
    chosen: set[str] = set()
    for code in codes:
        code = code.strip()
        if code.upper() == "ALL":
            chosen.update(known)
        elif code in names:
            chosen.add(names[code])
        else:
            matched = {rule_id for rule_id in known if code and rule_id.startswith(code.upper())}
            if not matched:
                raise ConfigError(f"{where}: unknown rule {code!r}; `portcheck rules` lists them")
            chosen.update(matched)
    return chosen


FAIL_ON_DIAGNOSTIC = "diagnostic"
"""The fail-on value beside the categories: files that could not be analysed fail too."""


def _is_diagnostic(value: str) -> bool:
    return value.strip().lower() in (FAIL_ON_DIAGNOSTIC, "diagnostics")


def parse_categories(values: Sequence[str], where: str) -> tuple[Category, ...]:
    """Category names (``all`` for the four, or ``none``) → the categories, in order."""
    wanted = {value.strip().lower() for value in values if value.strip()}
    if wanted == {"none"}:
        return ()
    if "all" in wanted:
        wanted = (wanted - {"all"}) | set(CATEGORIES)
    unknown = sorted(wanted - set(CATEGORIES))
    if unknown:
        choices = ", ".join(CATEGORIES)
        raise ConfigError(
            f"{where}: unknown category {unknown[0]!r}; use {choices}, all, {FAIL_ON_DIAGNOSTIC} "
            "or none"
        )
    return tuple(category for category in CATEGORIES if category in wanted)


def _resolve_target(target: str | None, where: str) -> str:
    """The canonical name of ``target`` (None: the newest bundled release)."""
    from portcheck.knowledge import UnknownTargetError, load_knowledge

    try:
        return load_knowledge(target).target
    except UnknownTargetError as error:
        raise ConfigError(f"{where}: {error}") from error


def _resolve_chip(chip: str | None, where: str) -> str:
    """The id of ``chip`` (None: the default, Atlas A2)."""
    try:
        return resolve_chip(chip).id
    except UnknownChipError as error:
        raise ConfigError(f"{where}: {error}") from error


def rebase_pattern(pattern: str, base: Path, root: Path) -> str:
    """A config-relative gitignore pattern anchored by a ``/`` (``src/gen.py``,
    ``/build``), as one relative to the run root; a negation keeps its ``!``, a
    trailing ``/`` stays, patterns without an anchoring ``/`` match at any depth as they are."""
    negation = "!" if pattern.startswith("!") else ""
    body = pattern[len(negation) :]
    if "/" not in body.rstrip("/") or base == root:
        return pattern
    trailing = "/" if body.endswith("/") else ""
    joined = posixpath.join(base.as_posix(), body.lstrip("/"))
    return negation + "/" + posixpath.relpath(joined, root.as_posix()) + trailing


def render_settings(settings: Settings) -> str:
    """The resolved settings as a ``[tool.portcheck]`` table one could paste back."""
    source = settings.config_file or "no configuration file (defaults)"
    per_file = ", ".join(
        f"{json.dumps(entry.pattern)} = {json.dumps(sorted(entry.rules))}"
        for entry in settings.per_file_ignores
    )
    values: dict[str, str] = {
        "target": json.dumps(settings.target),
        "chip": json.dumps(settings.chip),
        "select": json.dumps(list(settings.rules)),
        "per-file-ignores": "{" + per_file + "}",
        "exclude": json.dumps(list(settings.exclude)),
        "extend-exclude": json.dumps(list(settings.extend_exclude)),
        "fail-under": json.dumps(settings.fail_under) if settings.fail_under is not None else "",
        "fail-on": json.dumps(
            [*settings.fail_on, *([FAIL_ON_DIAGNOSTIC] if settings.fail_on_diagnostics else [])]
            or ["none"]
        ),
        "baseline": json.dumps(str(settings.baseline)) if settings.baseline else "",
    }
    lines = [f"# resolved from {source}", SECTION]
    for key, value in values.items():
        lines.append(f"{key} = {value}" if value else f"# {key} is not set")
    return "\n".join(lines) + "\n"
