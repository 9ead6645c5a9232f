"""``[tool.portcheck]`` in pyproject.toml: found by walking up, overridden by options,
and every mistake in it a one-line error naming the file and the key (exit code 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import check_json, run_cli, write

CUDA_CODE = (
    "import torch\n"
    "torch.cuda.synchronize()\n"  # PC001, auto
    "x = torch.zeros(3).cuda()\n"  # PC002, auto
    "import cupy\n"  # PC008, blocker
)


def _project(tmp_path: Path, config: str) -> Path:
    write(tmp_path, "pyproject.toml", f"[project]\nname = 'demo'\n\n[tool.portcheck]\n{config}")
    write(tmp_path, "pkg/train.py", CUDA_CODE)
    return tmp_path


def _rules(report: dict) -> set[str]:
    return {finding["rule"] for finding in report["findings"]}


def test_select_and_ignore_come_from_the_nearest_pyproject(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["PC001", "PC002"]\nignore = ["PC002"]\n')
    _, report = check_json("pkg/train.py", cwd=tmp_path)
    assert _rules(report) == {"PC001"}


def test_config_is_found_from_a_subdirectory_of_the_project(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["PC008"]\n')
    _, report = check_json(".", cwd=tmp_path / "pkg")
    assert _rules(report) == {"PC008"}


def test_pyproject_without_a_portcheck_table_is_skipped_on_the_way_up(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["PC008"]\n')
    write(tmp_path, "pkg/pyproject.toml", "[project]\nname = 'inner'\n")
    _, report = check_json("train.py", cwd=tmp_path / "pkg")
    assert _rules(report) == {"PC008"}


def test_command_line_options_override_the_file(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["PC008"]\n')
    _, report = check_json("--select", "PC001", ".", cwd=tmp_path)
    assert _rules(report) == {"PC001"}


def test_explicit_config_file_replaces_the_discovered_one(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["PC008"]\n')
    write(tmp_path, "ci/portcheck.toml", 'select = ["PC002"]\n')
    _, report = check_json("--config", "ci/portcheck.toml", ".", cwd=tmp_path)
    assert _rules(report) == {"PC002"}


def test_per_file_ignores_drop_rules_for_matching_files(tmp_path: Path) -> None:
    _project(tmp_path, '[tool.portcheck.per-file-ignores]\n"pkg/*.py" = ["PC001", "PC008"]\n')
    write(tmp_path, "other.py", CUDA_CODE)
    _, report = check_json(".", cwd=tmp_path)
    by_file = {(f["path"], f["rule"]) for f in report["findings"]}
    assert ("pkg/train.py", "PC001") not in by_file
    assert ("pkg/train.py", "PC002") in by_file
    assert ("other.py", "PC001") in by_file


def test_extend_exclude_is_relative_to_the_config_file(tmp_path: Path) -> None:
    _project(tmp_path, 'extend-exclude = ["pkg/generated"]\n')
    write(tmp_path, "pkg/generated/stub.py", CUDA_CODE)
    _, report = check_json(".", cwd=tmp_path / "pkg")
    assert {f["path"] for f in report["findings"]} == {"train.py"}


def test_exclude_replaces_the_default_skips(tmp_path: Path) -> None:
    _project(tmp_path, 'exclude = ["pkg"]\n')
    write(tmp_path, "build/gen.py", CUDA_CODE)
    _, report = check_json(".", cwd=tmp_path)
    assert {f["path"] for f in report["findings"]} == {"build/gen.py"}


def test_target_in_the_file_is_the_knowledge_target(tmp_path: Path) -> None:
    _project(tmp_path, 'target = "torch_npu==2.1.0.post17"\n')
    _, report = check_json(".", cwd=tmp_path)
    assert report["target"] == "torch_npu==2.1.0.post17"


def test_show_settings_prints_the_resolved_configuration(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["PC00"]\nignore = ["PC003"]\nfail-under = 80\n')
    result = run_cli("check", "--show-settings", "--fail-on", "blocker", ".", cwd=tmp_path)
    assert result.exit_code == 0
    assert f"# resolved from {tmp_path / 'pyproject.toml'}" in result.stdout
    assert '"PC001"' in result.stdout
    assert '"PC003"' not in result.stdout
    assert "fail-under = 80.0" in result.stdout
    assert 'fail-on = ["blocker"]' in result.stdout
    assert "Found" not in result.stdout


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('selec = ["PC001"]', "unknown key 'selec'; did you mean 'select'?"),
        ('select = "PC001"', "select: expected a list of strings"),
        ("fail-under = true", "fail-under: expected a number"),
        ("fail-under = 120", "fail-under: 120.0 is not a score from 0 to 100"),
        ('ignore = ["PC999"]', "ignore: unknown rule 'PC999'"),
        ('fail-on = ["blockers"]', "fail-on: unknown category 'blockers'"),
        ('target = "torch_npu==9.9"', "target: unknown target 'torch_npu==9.9'"),
        ('[tool.portcheck.per-file-ignores]\n"tests/*" = ["XX1"]', "per-file-ignores: unknown"),
        ("select = [", "not valid TOML"),
    ],
)
def test_wrong_configuration_is_a_one_line_error_naming_file_and_key(
    tmp_path: Path, config: str, expected: str
) -> None:
    _project(tmp_path, config + "\n")
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert str(tmp_path / "pyproject.toml") in message
    assert expected in message


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    result = run_cli("check", "--config", "nope.toml", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "--config nope.toml: no such file" in result.stderr


def test_chip_in_the_file_and_on_the_command_line(tmp_path: Path) -> None:
    _project(tmp_path, 'chip = "910c"\n')
    _, report = check_json(".", cwd=tmp_path)
    assert report["chip"] == "atlas-a3"
    _, report = check_json("--chip", "950DT", ".", cwd=tmp_path)
    assert report["chip"] == "950dt"


def test_default_chip_is_atlas_a2(tmp_path: Path) -> None:
    _project(tmp_path, "")
    _, report = check_json(".", cwd=tmp_path)
    assert report["chip"] == "atlas-a2"


@pytest.mark.parametrize("where", ["option", "file"])
def test_unknown_chip_exits_2_listing_the_known_ones(tmp_path: Path, where: str) -> None:
    _project(tmp_path, 'chip = "h100"\n' if where == "file" else "")
    args = ("--chip", "h100") if where == "option" else ()
    result = run_cli("check", *args, ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "unknown chip 'h100'" in result.stderr
    for chip in ("atlas-a2", "atlas-a3", "950dt", "910a"):
        assert chip in result.stderr
    assert ("--chip" if where == "option" else "chip") in result.stderr
