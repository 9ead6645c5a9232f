"""The records that flow through the pipeline: findings, per-file diagnostics and results.

They are plain frozen dataclasses so that every later stage (filter, score, report,
cache, merge) can be a pure function of them, and so that a JSON report can be read
back into the same objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import libcst as cst

    from portcheck.fix.replacements import Replacements
    from portcheck.rule import Fix
    from portcheck.suppress import Suppression

Category = Literal["auto", "rewrite", "blocker", "caution"]
CATEGORIES: tuple[Category, ...] = ("auto", "rewrite", "blocker", "caution")
CATEGORY_MEANINGS: dict[Category, str] = {
    "auto": "runs on Ascend after a mechanical rewrite (`portcheck check --fix` applies it)",
    "rewrite": "an Ascend path exists, but a person must change the code",
    "blocker": "no known Ascend equivalent",
    "caution": "runs on Ascend, but behaves or performs differently",
}
"""What each category says about the Ascend path, for formats that explain themselves."""

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One CUDA touchpoint, located and classified by its Ascend path.

    Field names are the JSON contract (README, "JSON report"): never rename or drop one.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule: str
    api: str
    category: Category
    message: str
    suggestion: str | None
    fixable: bool
    evidence: str
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def cell_location(self) -> str | None:
        """``cell 3, line 2`` for a notebook finding, whose ``line`` is in the joined code
        cells and so is no line of the ``.ipynb`` file itself."""
        cell, line = self.extra.get("cell"), self.extra.get("cell_line")
        return None if cell is None else f"cell {cell}, line {line}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.rule, self.api)

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record.update(record.pop("extra"))
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Finding:
        known = {name for name in cls.__dataclass_fields__ if name != "extra"}
        kwargs = {key: value for key, value in record.items() if key in known}
        extra = {key: value for key, value in record.items() if key not in known}
        return cls(**kwargs, extra=extra)


@dataclass(frozen=True)
class Diagnostic:
    """A file portcheck could not (fully) analyse; the run goes on without it."""

    path: str
    code: str
    message: str
    severity: Severity = "error"
    line: int | None = None
    column: int | None = None

    def sort_key(self) -> tuple[str, str]:
        return (self.path, self.code)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Diagnostic:
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in record.items() if key in known})


@dataclass
class FileResult:
    """What one file produced; ``fixes`` is only filled when fixes were asked for.

    ``replacements`` holds each fixable finding's own fix as line replacements (what
    SARIF reports), planned by the analysis that found it.
    """

    path: str
    findings: list[Finding] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixes: list[tuple[Finding, Fix | None]] = field(default_factory=list)
    parsed: bool = False
    module: cst.Module | None = None
    suppressions: tuple[Suppression, ...] = ()
    handled: list[Finding] = field(default_factory=list)
    """Touchpoints in code that already covers NPU: listed apart, never scored or fixed."""
    replacements: dict[Finding, Replacements] = field(default_factory=dict)


def conforms(record: object) -> bool:
    """Whether every field of a record (a dataclass) holds what its annotation says: a
    cache entry or a report anyone could edit must not carry a line ``"abc"`` or a
    severity of its own into a report. Annotations are read as written (``int | None``),
    so a field of a new type fails here, and in the tests, until it is taught."""
    for member in fields(record):  # type: ignore[arg-type]
        value = getattr(record, member.name)
        if not any(_is(value, option.strip()) for option in str(member.type).split("|")):
            return False
    return True


def _is(value: object, annotation: str) -> bool:
    if annotation in _SIMPLE:
        return type(value) is _SIMPLE[annotation]
    if annotation in _CHOICES:
        return value in _CHOICES[annotation]
    if annotation == "None":
        return value is None
    if annotation.startswith("dict["):
        return type(value) is dict
    if annotation.startswith("tuple[") and annotation.endswith(", ...]"):
        item = annotation[len("tuple[") : -len(", ...]")]
        return type(value) is tuple and all(_is(element, item) for element in value)
    if annotation.startswith("tuple["):  # a fixed length: tuple[int, Replacements]
        items = annotation[len("tuple[") : -1].split(", ")
        return (
            type(value) is tuple
            and len(value) == len(items)
            and all(_is(element, item) for element, item in zip(value, items))
        )
    if annotation == "Replacements":  # fix.replacements: SARIF's own records, as dicts
        return type(value) is tuple and all(type(element) is dict for element in value)
    if is_dataclass(value) and type(value).__name__ == annotation:
        return conforms(value)
    raise TypeError(f"cannot check a field annotated {annotation!r}")


_SIMPLE = {"int": int, "str": str, "bool": bool}
_CHOICES: dict[str, tuple[str, ...]] = {"Category": CATEGORIES, "Severity": SEVERITIES}
