"""The wheel must contain every package: the explicit list in pyproject.toml is easy to
forget when a subpackage is added (``pip install -e`` hides the mistake)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_every_portcheck_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "portcheck").rglob("__init__.py")
    }
    assert on_disk <= listed
    assert "portcheck.rules" in listed


def test_rules_ship_their_knowledge_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]["portcheck.rules"]
    assert "knowledge/*.json" in data
    assert "knowledge/*.toml" in data


def test_built_wheel_contains_rules_and_knowledge(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("portcheck-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "portcheck/rules/cuda_api.py" in names
    assert "portcheck/report/text.py" in names
    assert "portcheck/rules/knowledge/torch_npu-2.14.0.json" in names
    assert "portcheck/rules/knowledge/curated.toml" in names
