"""Baselines: record today's findings so that a gate fails only on new ones.

A finding is matched on its rule, its file and its normalised source text
(:attr:`Finding.source`), never on its line number, so code that moves within a file, or
a file edited above a finding, does not bring it back. The file counts each key: when
a baseline knows two ``torch.cuda.synchronize()`` calls in ``train.py`` and the code
now has three, one is new. Paths are stored relative to the baseline file, so a
baseline works from whichever directory ``portcheck`` is started.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portcheck import __version__
from portcheck.model import Finding
from portcheck.output import OutputError, write_output

FORMAT_VERSION = 1
Key = tuple[str, str, str]


class BaselineError(Exception):
    """A baseline file that cannot be read; the message names it and says what to do."""


@dataclass(frozen=True)
class Baseline:
    """How many findings of each (rule, path, source) key the baseline file accepts."""

    directory: str
    counts: Mapping[Key, int] = field(default_factory=dict, hash=False)


def absolute(path: str, root: str) -> str:
    """A report path (relative to the run root, or absolute) as an absolute posix path."""
    return posixpath.normpath(posixpath.join(root, path))


def finding_key(finding: Finding, root: str, directory: str) -> Key:
    return (
        finding.rule,
        posixpath.relpath(absolute(finding.path, root), directory),
        finding.source,
    )


def to_document(findings: Iterable[Finding], root: str, directory: str, target: str) -> dict:
    """The baseline file's JSON: one entry per key, sorted so that diffs of it stay small."""
    counts = Counter(finding_key(finding, root, directory) for finding in findings)
    return {
        "portcheck_baseline": FORMAT_VERSION,
        "version": __version__,
        "target": target,
        "findings": [
            {"rule": rule, "path": path, "source": source, "count": count}
            for (rule, path, source), count in sorted(counts.items(), key=_entry_order)
        ],
    }


def _entry_order(item: tuple[Key, int]) -> tuple[str, str, str]:
    (rule, path, source), _ = item
    return (path, rule, source)


def write(path: Path, findings: Sequence[Finding], root: Path, target: str) -> int:
    """Write the baseline of ``findings`` to ``path``; return how many keys it holds."""
    directory = Path(os.path.abspath(path)).parent.as_posix()
    document = to_document(findings, root.as_posix(), directory, target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{path}: cannot create its directory: {error.strerror}") from error
    write_output(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return len(document["findings"])


def load(path: Path) -> Baseline:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(
            f"{path}: cannot read the baseline ({error.strerror}); "
            "write one with `portcheck baseline -o FILE`"
        ) from error
    except ValueError as error:
        raise BaselineError(f"{path}: not a portcheck baseline (invalid JSON: {error})") from error
    except RecursionError as error:
        raise BaselineError(f"{path}: not a portcheck baseline (JSON nested too deeply)") from error
    return from_document(document, Path(os.path.abspath(path)).parent.as_posix(), str(path))


def from_document(document: Any, directory: str, name: str) -> Baseline:
    if not isinstance(document, dict) or document.get("portcheck_baseline") != FORMAT_VERSION:
        raise BaselineError(
            f"{name}: not a portcheck baseline (version {FORMAT_VERSION}); "
            "rewrite it with `portcheck baseline -o FILE`"
        )
    counts: dict[Key, int] = {}
    entries = document.get("findings", [])
    if not isinstance(entries, list):
        raise BaselineError(f'{name}: malformed baseline ("findings" is not a list)')
    for entry in entries:
        try:
            key = (str(entry["rule"]), str(entry["path"]), str(entry["source"]))
            counts[key] = counts.get(key, 0) + int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise BaselineError(f"{name}: malformed entry {entry!r:.200} ({error})") from error
    return Baseline(directory, counts)


def hide(
    findings: Sequence[Finding], baseline: Baseline, root: str
) -> tuple[tuple[Finding, ...], int]:
    """The findings the baseline does not account for, and how many it hid."""
    remaining = dict(baseline.counts)
    new: list[Finding] = []
    for finding in findings:
        key = finding_key(finding, root, baseline.directory)
        if remaining.get(key, 0) > 0:
            remaining[key] -= 1
        else:
            new.append(finding)
    return tuple(new), len(findings) - len(new)
