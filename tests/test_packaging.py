"""The wheel must contain every package: the explicit list in pyproject.toml is easy to
forget when a subpackage is added (``pip install -e`` hides the mistake)."""

from __future__ import annotations

import sys

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
