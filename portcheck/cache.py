"""Per-file results cached by content hash, so a re-run only analyses what changed.

An entry is the findings, diagnostics, suppressions and fix replacements (for SARIF)
one file produced, stored as JSON with the hash of the file's bytes, under a name that
hashes the file's display path and a *fingerprint* of the run (so an edit replaces the
entry, and an entry someone tampered with cannot come back when the old bytes are
restored). The fingerprint holds portcheck's, libcst's and Python's versions, a digest
of the bundled knowledge data's bytes, every
field of the :class:`~portcheck.analyze.Analyzer` (knowledge target, enabled rule ids, file-size
limit, prefilter switch, and whatever is added there later), the rule classes with
their source files, and portcheck's own code and knowledge data (by size and mtime, so
an edit in a development checkout invalidates the cache too). Filtering (``--select``
is in the key; per-file ignores, suppressions and baselines act later) never changes
what is cached.

Entries are written to a temporary file and moved into place with :func:`os.replace`,
so concurrent runs can share a cache and a reader sees a whole entry or none. An entry
that cannot be read, decoded or validated (every field of the type it should have) is
treated as missing: the file is analysed again and the entry rewritten. A cache
directory that is a symlink is not used at all: committed to a repository, it could
point anywhere. The cache directory holds a ``.gitignore`` of ``*`` so it never
shows up in ``git status``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from portcheck import __version__
from portcheck.fastcst.libcst_internals import libcst_version
from portcheck.model import Diagnostic, FileResult, Finding, conforms
from portcheck.source import read_regular_file
from portcheck.suppress import Suppression

if TYPE_CHECKING:
    from portcheck.fix.replacements import Replacements

CACHE_DIR_NAME = ".portcheck_cache"
FORMAT = 3
"""Bumped whenever the layout of an entry changes."""
MAX_ENTRY_BYTES = 64 * 1024 * 1024
"""No entry of a real file comes near this; a bigger one (or ``/dev/zero``) is a miss."""


@dataclass(frozen=True)
class CachedResult:
    """What the cache keeps of one file's analysis (never the parsed module)."""

    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]
    suppressions: tuple[Suppression, ...]
    parsed: bool
    handled: tuple[Finding, ...] = ()
    replacements: tuple[tuple[int, Replacements], ...] = ()
    """Fix replacements by the index of their finding in ``findings``."""

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [finding.to_json() for finding in self.findings],
            "diagnostics": [diagnostic.to_json() for diagnostic in self.diagnostics],
            "suppressions": [asdict(suppression) for suppression in self.suppressions],
            "parsed": self.parsed,
            "handled": [finding.to_json() for finding in self.handled],
            "replacements": [[index, list(changes)] for index, changes in self.replacements],
        }

    @classmethod
    def of(cls, result: FileResult) -> CachedResult:
        findings = tuple(result.findings)
        replacements = tuple(
            (findings.index(finding), changes) for finding, changes in result.replacements.items()
        )
        return cls(
            findings,
            tuple(result.diagnostics),
            result.suppressions,
            result.parsed,
            tuple(result.handled),
            replacements,
        )

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> CachedResult:
        findings = tuple(Finding.from_json(item) for item in record["findings"])
        replacements = tuple(
            (int(index), tuple(changes)) for index, changes in record["replacements"]
        )
        if any(not 0 <= index < len(findings) for index, _ in replacements):
            raise ValueError("a replacement of no finding")
        return cls(
            findings=findings,
            diagnostics=tuple(Diagnostic.from_json(item) for item in record["diagnostics"]),
            suppressions=tuple(
                Suppression(**{**item, "codes": tuple(item["codes"])})
                for item in record["suppressions"]
            ),
            parsed=bool(record["parsed"]),
            handled=tuple(Finding.from_json(item) for item in record["handled"]),
            replacements=replacements,
        )

    def file_result(self, path: str) -> FileResult:
        return FileResult(
            path,
            findings=list(self.findings),
            diagnostics=list(self.diagnostics),
            parsed=self.parsed,
            suppressions=self.suppressions,
            handled=list(self.handled),
            replacements={self.findings[index]: changes for index, changes in self.replacements},
        )


def content_digest(raw: bytes) -> str:
    """The hash of a file's bytes; workers return it so a file edited mid-run is not cached."""
    return hashlib.blake2b(raw, digest_size=20).hexdigest()


def fingerprint(settings: object, rule_classes: Iterable[type]) -> str:
    """Everything besides a file's own bytes that can change what the file produces.

    ``settings`` is the run's frozen Analyzer: its ``repr`` lists every field, so a new
    setting invalidates the cache without anyone remembering to add it here.
    """
    parts = [*versions(), f"knowledge {knowledge_digest()}", f"cache {FORMAT}", repr(settings)]
    code_files: set[str] = set(_package_files())
    for rule in rule_classes:
        parts.append(f"{rule.__module__}.{rule.__qualname__}")
        module_file = getattr(sys.modules.get(rule.__module__), "__file__", None)
        if module_file:
            code_files.add(module_file)
    parts.extend(_signature(path) for path in sorted(code_files))
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=20).hexdigest()


def versions() -> tuple[str, ...]:
    """What can change results without a byte of portcheck changing: an upgraded libcst
    (the parser, the providers the fast path stands in for) or Python (``ast``,
    ``symtable`` in the prefilter and the import names)."""
    return (
        f"portcheck {__version__}",
        f"libcst {libcst_version()}",
        f"python {platform.python_implementation()} {platform.python_version()}",
    )


def knowledge_digest() -> str:
    """A hash of the bundled knowledge files' names and bytes (an installed copy has
    no development checkout's mtimes to go by)."""
    from portcheck.knowledge.load import data_dir

    digest = hashlib.blake2b(digest_size=20)
    for entry in sorted(data_dir().iterdir(), key=lambda entry: entry.name):
        if entry.name.endswith((".json", ".toml")):
            digest.update(f"{entry.name}\0".encode())
            digest.update(entry.read_bytes())
    return digest.hexdigest()


def _package_files() -> list[str]:
    """portcheck's own code and the built-in rules with their knowledge data."""
    import portcheck

    roots = [Path(portcheck.__file__).parent]
    rules = sys.modules.get("portcheck.rules")
    if rules is not None:
        roots.extend(Path(entry) for entry in rules.__path__)
    found: list[str] = []
    for root in roots:
        for suffix in ("*.py", "*.json", "*.toml"):
            found.extend(str(path) for path in root.rglob(suffix))
    return found


def _signature(path: str) -> str:
    try:
        status = os.stat(path)
    except OSError:
        return f"{path} missing"
    return f"{path} {status.st_size} {status.st_mtime_ns}"


class CacheKey(NamedTuple):
    """Which entry holds a file's result (``name``), and the bytes it must be for."""

    name: str
    digest: str


class ResultCache:
    """A directory of entries, one JSON file per (run fingerprint, file) key."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.fingerprint = fingerprint
        self._ready = False

    def for_project(self, digest: str) -> ResultCache:
        """The cache of a run whose project index has ``digest``: a change in what a
        module re-exports changes the results of the files that import it."""
        return ResultCache(self.directory, f"{self.fingerprint} {digest}")

    def key(self, display: str, kind: str, digest: str) -> CacheKey:
        """The entry of a file is named after its path, not its bytes: an edit replaces
        the entry, so a tampered entry cannot come back when old bytes are restored."""
        text = f"{self.fingerprint}\0{display}\0{kind}"
        name = hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=20)
        return CacheKey(name.hexdigest(), digest)

    def load(self, key: CacheKey) -> CachedResult | None:
        """The entry, or None when it is missing, for other bytes, unreadable or invalid
        (a bad entry is a miss: the file is analysed again and the entry rewritten)."""
        if self._unsafe():
            return None
        try:
            raw = read_regular_file(self.directory / f"{key.name}.json", MAX_ENTRY_BYTES)
            record = json.loads(raw.decode("utf-8"))
            if not isinstance(record, dict) or record.get("digest") != key.digest:
                return None
            result = CachedResult.from_json(record)
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None
        return result if conforms(result) else None

    def store(self, key: CacheKey, result: CachedResult) -> None:
        """Write the entry atomically; a cache that cannot be written is simply not used."""
        if self._unsafe():
            return
        try:
            self._prepare()
            entry = {"digest": key.digest, **result.to_json()}
            self._write_atomically(f"{key.name}.json", json.dumps(entry))
        except (OSError, ValueError):
            return

    def _unsafe(self) -> bool:
        """A cache directory that is a symlink (committed to a repository, it could point
        anywhere) is neither read nor written."""
        return os.path.islink(self.directory)

    def _prepare(self) -> None:
        if self._ready:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        if not (self.directory / ".gitignore").exists():
            self._write_atomically(".gitignore", "# created by portcheck\n*\n")
        self._ready = True

    def _write_atomically(self, name: str, text: str) -> None:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=self.directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self.directory / name)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise
