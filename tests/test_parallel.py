"""Worker processes only when they pay: small and warm runs never start a pool."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from conftest import check_json, run_cli, write

from portcheck import schedule
from portcheck.analyze import Analyzer
from portcheck.discover import discover
from portcheck.knowledge import default_target
from portcheck.schedule import POOL_MIN_FILES, analyze_files


class _NoPool:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("a process pool was started")


def _cuda_files(root: Path, count: int) -> None:
    for index in range(count):
        write(root, f"m{index:02}.py", f'import torch\nx = t.to("cuda:{index}")\n')
    write(root, "plain.py", "print('nothing to see')\n")


def test_a_pre_commit_sized_run_stays_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cuda_files(tmp_path, POOL_MIN_FILES - 1)
    monkeypatch.setattr(schedule, "ProcessPoolExecutor", _NoPool)
    code, report = check_json("--no-cache", "--jobs", "2", cwd=tmp_path)
    assert code == 1
    assert report["summary"]["files_parsed"] == POOL_MIN_FILES - 1


def test_enough_files_to_parse_use_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cuda_files(tmp_path, POOL_MIN_FILES)
    monkeypatch.setattr(schedule, "ProcessPoolExecutor", _NoPool)
    result = run_cli("check", "--no-cache", "--jobs", "2", cwd=tmp_path)
    assert result.exit_code == 2  # the top-level handler: one line, naming the failure
    assert "a process pool was started" in result.stderr


def test_a_file_to_parse_found_early_in_a_large_tree_goes_to_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cuda_files(tmp_path, 1)
    for index in range(6):
        write(tmp_path, f"plain{index}.py", "print('nothing to see')\n")
    monkeypatch.setattr(schedule, "OVERLAP_MIN_FILES", 5)
    _, in_process = check_json("--no-cache", "--jobs", "1", cwd=tmp_path)
    monkeypatch.setattr(schedule, "ProcessPoolExecutor", _NoPool)
    result = run_cli("check", "--no-cache", "--jobs", "2", cwd=tmp_path)
    assert result.exit_code == 2  # the top-level handler: one line, naming the failure
    assert "a process pool was started" in result.stderr
    monkeypatch.setattr(schedule, "OVERLAP_MIN_FILES", 9)
    _, still_in_process = check_json("--no-cache", "--jobs", "2", cwd=tmp_path)
    assert still_in_process == in_process


def test_a_warm_run_starts_no_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cuda_files(tmp_path, POOL_MIN_FILES * 3)
    _, cold = check_json("--jobs", "2", cwd=tmp_path)
    monkeypatch.setattr(schedule, "ProcessPoolExecutor", _NoPool)
    _, warm = check_json("--jobs", "2", cwd=tmp_path)
    assert warm == cold


def test_results_come_back_in_path_order(tmp_path: Path) -> None:
    for index in range(12):
        body = "x = 1\n" * (index * 50) + f'y = t.to("cuda:{index}")\n'
        write(tmp_path, f"pkg/f{index:02}.py", body)
    files, _ = discover([tmp_path], tmp_path)
    analyzer = Analyzer(target=default_target(), rule_ids=("PC003",))
    results = analyze_files(analyzer, files, jobs=2)
    assert [result.path for result in results] == [file.display for file in files]
    assert all(len(result.findings) == 1 for result in results)


def test_the_garbage_collector_settings_come_back_after_a_run(tmp_path: Path) -> None:
    _cuda_files(tmp_path, 2)
    files, _ = discover([tmp_path], tmp_path)
    analyzer = Analyzer(target=default_target(), rule_ids=("PC003",))
    before = gc.get_threshold()
    results = analyze_files(analyzer, files, jobs=1)
    assert sum(len(result.findings) for result in results) == 2
    assert gc.get_threshold() == before
