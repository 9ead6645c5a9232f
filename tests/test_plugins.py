"""A third-party rule, installed as a real package, is found through its entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, write
from test_rule_examples import check_fix_example, check_invalid_example, check_valid_example

from portcheck.registry import plugin_rules

PORTCHECK = [sys.executable, "-c", "from portcheck.cli import main; main()"]


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``fixtures/plugin_example`` pip-installed into a directory of its own, as a user would."""
    source = tmp_path_factory.mktemp("plugin-source") / "plugin_example"
    shutil.copytree(FIXTURES / "plugin_example", source)  # the build writes beside its sources
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    return target


def _portcheck(plugin_path: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(plugin_path)}
    return subprocess.run(
        [*PORTCHECK, *args], cwd=cwd, env=environment, capture_output=True, text=True
    )


def test_installed_plugin_rule_fires_through_the_cli(plugin_path: Path, tmp_path: Path) -> None:
    write(tmp_path, "train.py", "import horovod.torch as hvd\n\nhvd.init()\n")
    result = _portcheck(plugin_path, tmp_path, "check", "--format", "json", ".")
    report = json.loads(result.stdout)
    assert [(f["rule"], f["api"], f["line"], f["category"]) for f in report["findings"]] == [
        ("PX001", "horovod.torch.init", 3, "rewrite")
    ]
    assert "HCCL" in report["findings"][0]["suggestion"]
    assert result.returncode == 1


def test_installed_plugin_is_listed_and_selectable(plugin_path: Path, tmp_path: Path) -> None:
    rules = _portcheck(plugin_path, tmp_path, "rules").stdout
    assert "PX001" in rules and "horovod" in rules
    write(tmp_path, "train.py", "import torch\nimport horovod.torch as hvd\nhvd.init()\n")
    ignored = _portcheck(plugin_path, tmp_path, "check", "--ignore", "PX001", ".")
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr


def test_without_the_plugin_its_rule_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, "train.py", "import horovod.torch as hvd\nhvd.init()\n")
    result = subprocess.run(
        [*PORTCHECK, "check", "--select", "PX001", "."], cwd=tmp_path, capture_output=True
    )
    assert result.returncode == 2


@pytest.fixture
def plugin_in_process(plugin_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    """The plugin visible to this process, as if installed; forgotten again afterwards."""
    monkeypatch.syspath_prepend(str(plugin_path))
    plugin_rules.cache_clear()
    (rule,) = plugin_rules()
    yield rule
    monkeypatch.undo()
    plugin_rules.cache_clear()


def test_plugin_examples_pass_the_checks_of_built_in_rules(
    plugin_in_process: type, tmp_path: Path
) -> None:
    rule = plugin_in_process
    for index, example in enumerate((*rule.VALID, *rule.INVALID)):
        case = tmp_path / str(index)
        case.mkdir()
        if index < len(rule.VALID):
            check_valid_example(case, rule, example)
        else:
            check_invalid_example(case, rule, example)
            check_fix_example(case / "fix", rule, example)
