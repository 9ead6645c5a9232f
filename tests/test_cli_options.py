"""`check` and `report` share one record of options (portcheck/check_options.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from conftest import run_cli, write

from portcheck.check_options import CheckOptions
from portcheck.cli import check, report, write_baseline

FIELDS = {field.name for field in dataclasses.fields(CheckOptions)}


def _params(command: object) -> dict[str, object]:
    return {param.name: param for param in command.params}  # type: ignore[attr-defined]


def test_every_option_of_check_is_a_field_of_the_record_with_its_default() -> None:
    parsed = check.make_context("check", []).params
    assert set(parsed) == set(FIELDS)
    assert CheckOptions(**parsed) == CheckOptions()


def test_report_and_baseline_take_no_option_that_check_lacks() -> None:
    check_options = _params(check)
    for command in (report, write_baseline):
        for name, param in _params(command).items():
            assert name in check_options, (command.name, name)
            assert param.opts == check_options[name].opts, name  # type: ignore[attr-defined]


def test_report_takes_the_selection_options_of_check(tmp_path: Path) -> None:
    write(tmp_path, "third_party/lib/k.py", "import torch\ntorch.cuda.synchronize()\n")
    write(tmp_path, "train.py", "import torch\nx = torch.zeros(1).cuda()\n")
    skipped = run_cli("report", "--format", "markdown", "--no-cache", ".", cwd=tmp_path)
    vendored = run_cli(
        "report", "--format", "markdown", "--no-cache", "--include-vendored", ".", cwd=tmp_path
    )
    assert skipped.exit_code == vendored.exit_code == 0, skipped.stderr + vendored.stderr
    assert "`third_party/`" not in skipped.stdout
    assert "`third_party/`" in vendored.stdout
