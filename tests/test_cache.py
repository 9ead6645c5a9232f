"""The per-file result cache: warm runs reuse results, and nothing stale or broken leaks out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, check_json, write

from portcheck.schedule import IN_PROCESS_LIMIT

TRAIN = (
    "import os\nimport torch\n"
    'os.environ["CUDA_VISIBLE_DEVICES"] = "0"\n'
    "torch.cuda.synchronize()\n"
    'x = torch.ones(2).to("cuda:0")\n'
)


def _project(root: Path) -> Path:
    write(root, "train.py", TRAIN)
    write(root, "plain.py", "print('no accelerator here')\n")
    write(root, "broken.py", "def f(:\n    torch.cuda.synchronize()\n")
    return root


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json"))


def test_warm_run_reports_exactly_what_the_cold_run_did(tmp_path: Path) -> None:
    _project(tmp_path)
    cold_code, cold = check_json("--no-cache", cwd=tmp_path)
    assert not (tmp_path / ".portcheck_cache").exists()
    first_code, first = check_json(cwd=tmp_path)
    warm_code, warm = check_json(cwd=tmp_path)
    assert cold_code == first_code == warm_code == 1
    assert cold == first == warm
    assert {finding["rule"] for finding in warm["findings"]} >= {"PC001", "PC003", "PC005"}
    assert [d["code"] for d in warm["diagnostics"]] == ["parse-error"]


def test_cache_directory_is_ignored_by_git(tmp_path: Path) -> None:
    _project(tmp_path)
    check_json(cwd=tmp_path)
    cache = tmp_path / ".portcheck_cache"
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert _entries(cache), "the parsed files should have entries"


def test_warm_run_reads_results_from_the_cache(tmp_path: Path) -> None:
    """Proof that nothing is re-analysed: an edited entry shows up in the report."""
    _project(tmp_path)
    check_json(cwd=tmp_path)
    for entry in _entries(tmp_path / ".portcheck_cache"):
        record = json.loads(entry.read_text())
        for finding in record["findings"]:
            finding["message"] = "from the cache"
        entry.write_text(json.dumps(record))
    _, warm = check_json(cwd=tmp_path)
    assert {finding["message"] for finding in warm["findings"]} == {"from the cache"}


def test_the_workers_of_a_large_run_read_and_write_the_cache(tmp_path: Path) -> None:
    """A large run's files are looked up and stored by the workers that read them: the
    warm run is all hits, an edited file alone is analysed again."""
    for number in range(IN_PROCESS_LIMIT):
        write(tmp_path, f"train{number:02}.py", TRAIN)
    write(tmp_path, "plain.py", "print('no accelerator here')\n")
    _, cold = check_json("--jobs", "2", cwd=tmp_path)
    _, one_job = check_json("--jobs", "1", "--no-cache", cwd=tmp_path)
    assert cold == one_job
    assert len(_entries(tmp_path / ".portcheck_cache")) == IN_PROCESS_LIMIT + 1
    for entry in _entries(tmp_path / ".portcheck_cache"):
        record = json.loads(entry.read_text())
        for finding in record["findings"]:
            finding["message"] = "from the cache"
        entry.write_text(json.dumps(record))
    write(tmp_path, "train00.py", TRAIN + "torch.cuda.empty_cache()\n")
    _, warm = check_json("--jobs", "2", cwd=tmp_path)
    messages = {(f["path"] == "train00.py", f["message"]) for f in warm["findings"]}
    assert (False, "from the cache") in messages
    assert not [message for fresh, message in messages if fresh == (message == "from the cache")]
    assert len(warm["findings"]) == len(cold["findings"]) + 1


def test_changed_file_is_analysed_again(tmp_path: Path) -> None:
    _project(tmp_path)
    _, before = check_json(cwd=tmp_path)
    write(tmp_path, "plain.py", "import torch\ntorch.cuda.empty_cache()\n")
    _, after = check_json(cwd=tmp_path)
    assert not [f for f in before["findings"] if f["path"] == "plain.py"]
    assert [f["api"] for f in after["findings"] if f["path"] == "plain.py"] == [
        "torch.cuda.empty_cache"
    ]


def test_other_rules_or_target_do_not_reuse_entries(tmp_path: Path) -> None:
    _project(tmp_path)
    _, only_strings = check_json("--select", "PC003", cwd=tmp_path)
    _, everything = check_json(cwd=tmp_path)
    _, uncached = check_json("--no-cache", cwd=tmp_path)
    assert {f["rule"] for f in only_strings["findings"]} == {"PC003"}
    assert everything["findings"] == uncached["findings"]


def test_corrupt_entries_are_ignored_and_rewritten(tmp_path: Path) -> None:
    _project(tmp_path)
    _, cold = check_json(cwd=tmp_path)
    entries = _entries(tmp_path / ".portcheck_cache")
    garbage = [b"", b"{not json", b'{"findings": [{"path": 1}]}', b"\xff\xfe\x00", b"[]"]
    for entry, content in zip(entries, garbage * len(entries)):
        entry.write_bytes(content)
    code, warm = check_json(cwd=tmp_path)
    assert code == 1
    assert warm["findings"] == cold["findings"]
    assert warm["diagnostics"] == cold["diagnostics"]
    for entry in entries:
        json.loads(entry.read_text())


def test_cache_dir_option_puts_the_cache_elsewhere(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere" / "cache"
    check_json("--cache-dir", str(elsewhere), cwd=project)
    assert _entries(elsewhere)
    assert not (project / ".portcheck_cache").exists()


def test_unwritable_cache_is_not_fatal(tmp_path: Path) -> None:
    _project(tmp_path)
    write(tmp_path, ".portcheck_cache", "a file where the cache directory should be\n")
    code, report = check_json(cwd=tmp_path)
    assert code == 1
    assert {finding["rule"] for finding in report["findings"]} >= {"PC001", "PC003"}


def test_a_changed_rule_module_invalidates_the_cache(tmp_path: Path) -> None:
    from portcheck.analyze import Analyzer
    from portcheck.cache import fingerprint

    analyzer = Analyzer(target="torch_npu==2.14.0", rule_ids=("PC003",))
    rules = analyzer.rules()
    before = fingerprint(analyzer, rules)
    assert fingerprint(analyzer, rules) == before
    assert fingerprint(Analyzer(target=analyzer.target, rule_ids=("PC001",)), rules) != before
    module_file = Path(sys.modules[rules[0].__module__].__file__ or "")
    status = module_file.stat()
    try:
        os.utime(module_file, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
        assert fingerprint(analyzer, rules) != before
    finally:
        os.utime(module_file, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_concurrent_runs_share_one_cache_safely(tmp_path: Path) -> None:
    project = tmp_path / "example_repo"
    shutil.copytree(FIXTURES / "example_repo", project)
    command = [sys.executable, "-c", "from portcheck.cli import main; main()"]
    command += ["check", "--format", "json", "--exit-zero"]
    runs = [
        subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, text=True) for _ in range(3)
    ]
    outputs = [json.loads(run.communicate(timeout=300)[0]) for run in runs]
    assert all(run.returncode == 0 for run in runs)
    _, uncached = check_json("--no-cache", cwd=project)
    for output in outputs:
        assert output["findings"] == uncached["findings"]
    assert not list((project / ".portcheck_cache").glob(".*.json.*")), "temporary files left"


def _changed(what: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What an upgrade or a new knowledge file changes, as the cache sees it."""
    import portcheck.cache as cache_module
    import portcheck.knowledge.load as load_module

    if what == "portcheck":
        monkeypatch.setattr(cache_module, "__version__", "999.0")
    elif what == "libcst":
        monkeypatch.setattr(cache_module, "libcst_version", lambda: "999.0")
    elif what == "python":
        monkeypatch.setattr(cache_module.platform, "python_version", lambda: "3.999.0")
    else:  # the same knowledge file names and meaning, one byte more: a comment
        copy = tmp_path / "knowledge"
        shutil.copytree(load_module.data_dir(), copy)
        with open(copy / "curated.toml", "a", encoding="utf-8") as curated:
            curated.write("# regenerated\n")
        monkeypatch.setattr(load_module, "data_dir", lambda: copy)


@pytest.mark.parametrize("what", ["portcheck", "libcst", "python", "knowledge"])
def test_another_version_or_knowledge_misses(
    what: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path / "project")
    cache = project / ".portcheck_cache"
    _, cold = check_json(cwd=project)
    first = set(_entries(cache))
    check_json(cwd=project)
    assert set(_entries(cache)) == first  # unchanged: every entry hit
    _changed(what, monkeypatch, tmp_path)
    _, again = check_json(cwd=project)
    assert set(_entries(cache)) - first  # changed: analysed again, stored under new keys
    assert again == cold


def _only_entry(root: Path) -> Path:
    entries = _entries(root / ".portcheck_cache")
    assert len(entries) == 1
    return entries[0]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda entry: {**entry, "findings": [{**entry["findings"][0], "line": "abc"}]},
        lambda entry: {
            **entry,
            "diagnostics": [{"path": "x", "code": "c", "message": "m", "severity": "fatal"}],
        },
        lambda entry: {**entry, "findings": json.loads("[" * 100_000 + "]" * 100_000)},
        lambda entry: [entry],
    ],
    ids=["line-not-a-number", "unknown-severity", "deep-json", "not-an-object"],
)
def test_a_bad_entry_is_a_miss_not_a_crash(tmp_path: Path, tamper: Any) -> None:
    write(tmp_path, "train.py", TRAIN)
    _, cold = check_json(cwd=tmp_path)
    entry_path = _only_entry(tmp_path)
    entry = json.loads(entry_path.read_text())
    try:
        tampered = json.dumps(tamper(entry))
    except RecursionError:  # Python's json cannot even write it: write it by hand
        tampered = json.dumps(entry).replace('"findings": [', '"findings": [' + "[" * 100_000, 1)
        tampered = tampered.replace("]", "]" * 100_001, 1)
    entry_path.write_text(tampered)
    for _ in range(2):  # the bad entry is replaced, so the next run is a hit again
        _, warm = check_json(cwd=tmp_path)
        assert warm == cold


def test_a_tampered_entry_does_not_come_back_with_the_old_bytes(tmp_path: Path) -> None:
    write(tmp_path, "train.py", TRAIN)
    _, cold = check_json(cwd=tmp_path)
    entry_path = _only_entry(tmp_path)
    entry = json.loads(entry_path.read_text())
    entry_path.write_text(json.dumps({**entry, "findings": []}))  # hide every finding
    write(tmp_path, "train.py", TRAIN + "# edited\n")
    check_json(cwd=tmp_path)
    write(tmp_path, "train.py", TRAIN)  # the original bytes again
    _, again = check_json(cwd=tmp_path)
    assert again == cold


def test_a_symlinked_cache_directory_is_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    write(project, "train.py", TRAIN)
    (project / ".portcheck_cache").symlink_to(outside, target_is_directory=True)
    code, report = check_json(cwd=project)
    assert code == 1 and report["findings"]
    assert list(outside.iterdir()) == []
