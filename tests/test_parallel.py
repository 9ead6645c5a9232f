"""Worker processes only when they pay (small runs never start a pool), and a large run's
files are read by the workers, once."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import check_json, run_cli, write

from portcheck import schedule
from portcheck.analyze import Analyzer
from portcheck.discover import discover
from portcheck.knowledge import default_target
from portcheck.schedule import IN_PROCESS_LIMIT, POOL_MIN_FILES, analyze_files


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


def test_a_large_run_is_read_once_and_by_the_workers_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    _cuda_files(tree, IN_PROCESS_LIMIT)
    files, _ = discover([tree], tree)
    analyzer = Analyzer(target=default_target(), rule_ids=("PC003",))
    in_process = analyze_files(analyzer, files, jobs=1)
    readers = tmp_path / "readers.txt"
    read_source = schedule.read_source

    def logged(path: Path, *args: Any) -> object:
        with readers.open("a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {path.name}\n")
        return read_source(path, *args)

    monkeypatch.setattr(schedule, "read_source", logged)
    in_workers = analyze_files(analyzer, files, jobs=2)
    reads = [line.split() for line in readers.read_text(encoding="utf-8").splitlines()]
    assert sorted(name for _, name in reads) == sorted(file.path.name for file in files)
    assert str(os.getpid()) not in {pid for pid, _ in reads}
    assert in_workers == in_process


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_forked_workers_inherit_the_analyzer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cuda_files(tmp_path, IN_PROCESS_LIMIT)
    files, _ = discover([tmp_path], tmp_path)
    analyzer = Analyzer(target=default_target(), rule_ids=("PC003",))

    def unpicklable(self: Analyzer, protocol: int) -> object:
        raise AssertionError("the analyzer was pickled")

    monkeypatch.setattr(Analyzer, "__reduce_ex__", unpicklable)
    results = analyze_files(analyzer, files, jobs=2)
    assert sum(len(result.findings) for result in results) == IN_PROCESS_LIMIT


def test_a_warm_run_starts_no_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cuda_files(tmp_path, POOL_MIN_FILES * 3)
    _, cold = check_json("--jobs", "2", cwd=tmp_path)
    monkeypatch.setattr(schedule, "ProcessPoolExecutor", _NoPool)
    _, warm = check_json("--jobs", "2", cwd=tmp_path)
    assert warm == cold


@pytest.mark.parametrize("count", [12, IN_PROCESS_LIMIT + 4], ids=["small", "large"])
def test_results_come_back_in_path_order(tmp_path: Path, count: int) -> None:
    for index in range(count):
        body = "x = 1\n" * (index * 600 // count) + f'y = t.to("cuda:{index}")\n'
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
