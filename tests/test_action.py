"""The GitHub Action (``action.yml``): valid for GitHub, and its shell steps work.

The schema is the one check-jsonschema ships (vendored in the package, so the test runs
offline); the steps' ``run:`` scripts are executed with bash as the runner would, with
the runner's variables set, on a copy of the example repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, check_json

ACTION = Path(__file__).resolve().parent.parent / "action.yml"
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema"]
    return subprocess.run(
        [*command, "vendor.github-actions", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE},
    )


def test_action_is_valid_for_github() -> None:
    done = validate(ACTION)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_catches_a_broken_action(tmp_path: Path) -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    del action["runs"]["using"]
    broken = tmp_path / "action.yml"
    broken.write_text(yaml.safe_dump(action), encoding="utf-8")
    assert validate(broken).returncode == 1


class Runner:
    """Runs the action's shell steps like a GitHub runner, one after the other."""

    def __init__(self, tmp_path: Path, inputs: dict[str, str]) -> None:
        action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
        self.steps: list[dict[str, Any]] = action["runs"]["steps"]
        defaults = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
        self.context = {f"inputs.{name}": value for name, value in {**defaults, **inputs}.items()}
        self.context["github.action_path"] = str(ACTION.parent)
        self.workspace = tmp_path / "workspace"
        shutil.copytree(
            FIXTURES / "example_repo",
            self.workspace,
            ignore=shutil.ignore_patterns(".portcheck_cache"),
        )
        self.temp = tmp_path / "runner-temp"
        self.temp.mkdir()
        self.summary = tmp_path / "step-summary.md"
        self.outputs: dict[str, dict[str, str]] = {}

    def expand(self, text: str) -> str:
        return EXPRESSION.sub(lambda match: self.context[match.group(1)], text)

    def run(self, name: str) -> subprocess.CompletedProcess[str]:
        (step,) = [step for step in self.steps if step["name"] == name]
        output = self.temp / f"output-{len(self.outputs)}"
        output.touch()
        env = {
            **os.environ,
            **OFFLINE,
            "PIP_NO_INDEX": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(output),
            **{key: self.expand(str(value)) for key, value in step.get("env", {}).items()},
        }
        directory = self.workspace / self.expand(step.get("working-directory", "."))
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
        )
        lines = output.read_text(encoding="utf-8").splitlines()
        found = dict(line.split("=", 1) for line in lines)
        if "id" in step:
            self.outputs[step["id"]] = found
            for key, value in found.items():
                self.context[f"steps.{step['id']}.outputs.{key}"] = value
        return done


def test_the_steps_audit_a_repository(tmp_path: Path) -> None:
    runner = Runner(tmp_path, {"version": "portcheck", "fail": "true"})

    install = runner.run("Install portcheck")
    assert install.returncode == 0, install.stderr
    check = runner.run("Check")
    assert check.returncode == 0, check.stderr

    outputs = runner.outputs["check"]
    report = json.loads(Path(outputs["json"]).read_text(encoding="utf-8"))
    assert float(outputs["score"]) == report["score"] < 100
    sarif = json.loads(Path(outputs["sarif"]).read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert len(results) == len(report["findings"])
    assert any("fixes" in result for result in results)
    assert "Ascend readiness" in runner.summary.read_text(encoding="utf-8")
    gate = runner.run("Gate")
    assert gate.returncode == int(outputs["gate"]) == 1  # the example repository has blockers


@pytest.mark.parametrize("shard", ["1/2", "2/2"])
def test_a_shard_writes_its_own_reports(tmp_path: Path, shard: str) -> None:
    runner = Runner(tmp_path, {"shard": shard, "args": "--fail-on none"})
    check = runner.run("Check")
    assert check.returncode == 0, check.stderr
    outputs = runner.outputs["check"]
    assert outputs["json"].endswith(f"portcheck-{shard.replace('/', '-of-')}.json")
    assert outputs["gate"] == "0"
    _, whole = check_json("--no-cache", ".", cwd=runner.workspace)
    shard_report = json.loads(Path(outputs["json"]).read_text(encoding="utf-8"))
    assert 0 < shard_report["summary"]["files_checked"] < whole["summary"]["files_checked"]
