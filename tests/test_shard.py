"""`check --shard K/N` + `merge`: N CI jobs audit one share each and add up to one run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli, write

from portcheck.shard import Shard


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture (Python, notebooks, manifests, native code, code that already handles
    NPU, a file that does not parse) and a suppressed finding."""
    root = tmp_path_factory.mktemp("shard") / "tree"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns(".portcheck_cache"))
    write(root, "suppressed.py", "import torch\ntorch.cuda.synchronize()  # portcheck: ignore\n")
    write(root, "broken.py", "import torch\ntorch.cuda.synchronize(\n")
    return root


def check(tree: Path, *args: str) -> str:
    result = run_cli("check", "--format", "json", "--no-cache", "--exit-zero", *args, ".", cwd=tree)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("count", [2, 3, 7])
def test_merge_of_the_shards_is_the_report_of_one_run(
    tree: Path, tmp_path: Path, count: int
) -> None:
    whole = check(tree)
    shards = []
    for index in range(1, count + 1):
        path = tmp_path / f"shard-{index}.json"
        path.write_text(check(tree, "--shard", f"{index}/{count}"), encoding="utf-8")
        shards.append(str(path))
    merged = run_cli("merge", *reversed(shards))
    assert merged.exit_code == 0, merged.output
    assert merged.stdout == whole
    document = json.loads(whole)
    assert document["summary"]["suppressed"] == 1
    assert document["handled"] and document["diagnostics"] and document["findings"]


def test_every_file_is_in_exactly_one_shard(tree: Path) -> None:
    whole = json.loads(check(tree))["summary"]["files_checked"]
    counts = [
        json.loads(check(tree, "--shard", f"{k}/3"))["summary"]["files_checked"] for k in (1, 2, 3)
    ]
    assert sum(counts) == whole
    assert all(counts)


def test_adding_files_moves_no_other_file_to_another_shard() -> None:
    paths = [f"pkg/module_{index}.py" for index in range(200)]
    shards = [Shard(index, 4) for index in range(1, 5)]
    before = {path: [shard.holds(path) for shard in shards] for path in paths}
    added = [f"pkg/new_{index}.py" for index in range(50)] + paths[::-1]
    after = {path: [shard.holds(path) for shard in shards] for path in added}
    assert all(before[path] == after[path] for path in paths)
    assert all(sum(owners) == 1 for owners in after.values())
    sizes = [sum(shard.holds(path) for path in paths) for shard in shards]
    assert min(sizes) > 25  # an even split, not everything in one share


@pytest.mark.parametrize("spec", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_a_shard_that_is_not_k_of_n_is_a_usage_error(tree: Path, spec: str) -> None:
    result = run_cli("check", "--shard", spec, ".", cwd=tree)
    assert result.exit_code == 2
    assert "K/N" in result.output
