"""Write generated knowledge files, or only report which ones a rebuild would change."""

from __future__ import annotations

from pathlib import Path


def write_outputs(files: dict[str, str], out_dir: Path, check: bool) -> int:
    """Write (or, with ``check``, compare) generated files; 1 when ``check`` finds one stale."""
    stale = []
    for name, text in files.items():
        target = out_dir / name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not check:
            target.write_text(text, encoding="utf-8", newline="\n")
    verb = "stale" if check else "written"
    print(f"{verb}: {', '.join(stale) if stale else 'nothing (up to date)'}")
    return 1 if check and stale else 0
