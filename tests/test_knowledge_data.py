"""The committed knowledge base and the loader API."""

from __future__ import annotations

import json
import re
import sys

import pytest

from knowledge_builder.build import API_RELEASES
from knowledge_builder.coverage import COVERAGE_TORCH
from knowledge_builder.derive import dumps
from portcheck.knowledge import (
    UnknownTargetError,
    default_target,
    explain,
    known_targets,
    load_knowledge,
    release_table,
)
from portcheck.knowledge.load import source_data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = source_data_dir()


def test_targets_sorted_by_version_and_default_is_newest():
    assert known_targets() == (
        "torch_npu==2.1.0.post17",
        "torch_npu==2.3.1.post6",
        "torch_npu==2.6.0.post5",
        "torch_npu==2.9.1",
        "torch_npu==2.14.0",
    )
    assert default_target() == "torch_npu==2.14.0"


def test_release_table_comes_from_wheel_metadata():
    table = {row.torch_npu: row for row in release_table()}
    assert len(table) >= 13 and set(_versions(known_targets())) <= set(table)
    assert table["2.1.0.post17"].torch == "2.1.0"
    assert table["2.14.0"].torch == "2.14.0"
    assert "METADATA (Requires-Dist: torch (==2.3.1+cpu))" in table["2.3.1.post6"].evidence


def _versions(targets):
    return [t.split("==", 1)[1] for t in targets]


def test_every_release_with_coverage_was_compared_with_its_own_torch():
    """The kernel comparison reads the operator list of the torch the torch_npu wheel
    requires (its METADATA, as in releases.json), never another release's torch."""
    table = {row.torch_npu: row for row in release_table()}
    files = sorted(DATA.glob("coverage-torch_npu-*.json"))
    versions = {json.loads(p.read_text(encoding="utf-8"))["version"] for p in files}
    assert versions == set(COVERAGE_TORCH) and len(versions) == 5 and versions <= API_RELEASES
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        version, torch = document["version"], document["inputs"]["torch"]
        required = table[version].torch
        assert re.match(rf"torch-{re.escape(required)}[-+]", torch["wheel"]), path.name
        assert torch["sha256"] == COVERAGE_TORCH[version].sha256
        assert torch["required_by"] == table[version].evidence
        assert f"torch {required} wheel: torchgen/packaged/" in path.read_text(encoding="utf-8")


def test_env_mappings_follow_the_wheel_strings():
    new, old = load_knowledge("2.14.0"), load_knowledge("2.3.1.post6")
    fact = new.env_var("TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC")
    assert fact.replacement == "TORCH_HCCL_HEARTBEAT_TIMEOUT_SEC"  # type: ignore[union-attr]
    assert "libtorch_npu.so (TORCH_HCCL_HEARTBEAT_TIMEOUT_SEC)" in fact.evidence  # type: ignore[union-attr]
    missing = old.env_var("TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC")
    assert (missing.category, missing.replacement) == ("caution", None)  # type: ignore[union-attr]
    assert "no .py/.so member names TORCH_HCCL_HEARTBEAT_TIMEOUT_SEC" in missing.evidence  # type: ignore[union-attr]
    for name in ("TORCH_NCCL_ASYNC_ERROR_HANDLING", "TORCH_NCCL_BLOCKING_WAIT"):
        assert old.env_var(name).category == new.env_var(name).category == "auto"  # type: ignore[union-attr]


@pytest.mark.parametrize("target", ["torch_npu==2.14.0", "2.1.0.post17"])
def test_every_fact_has_evidence_and_no_unverified_auto(target):
    knowledge = load_knowledge(target)
    facts = [*knowledge.module_facts(), *knowledge.env_facts(), *knowledge.package_facts()]
    assert len(facts) > 250
    for fact in facts:
        assert fact.evidence.strip()
        assert fact.category in ("auto", "rewrite", "blocker", "caution")
        assert fact.verified or fact.category != "auto"


def test_curated_entries_carry_evidence_and_verified():
    curated = tomllib.loads((DATA / "curated.toml").read_text(encoding="utf-8"))
    for table in curated["api"] + curated["env"] + curated["package"]:
        assert table["evidence"].strip() and isinstance(table["verified"], bool)
        assert table["verified"] or table["category"] != "auto"


def test_committed_json_is_canonical():
    for path in sorted(DATA.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert dumps(json.loads(text)) == text


def test_every_release_with_name_facts_has_behaviour_facts():
    """Behaviour facts replace name facts: a release without them keeps every same-name
    counterpart auto, even one that returns None (get_device_capability)."""
    named = {p.name.removeprefix("torch_npu-").removesuffix(".json") for p in DATA.glob("t*.json")}
    behaviour = {p.name.removeprefix("behaviour-torch_npu-") for p in DATA.glob("behaviour-*")}
    assert named == {v.removesuffix(".json") for v in behaviour} == API_RELEASES


@pytest.mark.parametrize("target", known_targets())
def test_synchronize_is_auto_everywhere(target):
    fact = load_knowledge(target).api("torch.cuda.synchronize")
    assert fact is not None
    assert (fact.category, fact.replacement, fact.shim) == ("auto", "torch.npu.synchronize", True)


def test_release_differences():
    new, old = load_knowledge("2.14.0"), load_knowledge("2.1.0.post17")
    stream = "torch.cuda.ExternalStream"
    assert new.api(stream).category == "auto"  # type: ignore[union-attr]
    assert old.api(stream).category == "blocker"  # type: ignore[union-attr]
    push = "torch.cuda.nvtx.range_push"
    assert new.api(push).replacement == "torch_npu.npu.mstx.range_push"  # type: ignore[union-attr]
    assert old.api(push).replacement == "torch_npu.npu.mstx.range_start"  # type: ignore[union-attr]


def test_lookups():
    knowledge = load_knowledge()
    assert knowledge.api("torch.cuda.CUDAGraph").replacement == "torch.npu.NPUGraph"
    assert knowledge.api("torch.cuda.amp.autocast").replacement == "torch.npu.amp.autocast"
    assert knowledge.api("torch.Tensor.cuda").replacement == "torch.Tensor.npu"
    assert knowledge.api("flash_attn.flash_attn_func").api == "flash_attn"  # prefix fact
    assert knowledge.api("torch.cuda.tunable.enable").category == "blocker"
    assert knowledge.api("torch.cuda.not_a_name") is None
    assert knowledge.api("flash_attn_extra") is None
    assert knowledge.env_var("CUDA_VISIBLE_DEVICES").replacement == "ASCEND_RT_VISIBLE_DEVICES"
    assert knowledge.package("Flash_Attn").distribution == "flash-attn"
    assert knowledge.shim.wraps_device("torch.cuda.set_device")
    assert knowledge.shim.alias("torch.Tensor.cuda") == "torch.Tensor.npu"
    assert knowledge.shim.jit_script_disabled and knowledge.shim.double_downcast


def test_unknown_target_lists_known_ones():
    with pytest.raises(UnknownTargetError) as error:
        load_knowledge("torch_npu==0.0.1")
    assert all(t in str(error.value) for t in known_targets())


def test_explain_shows_per_release_differences():
    text = explain("torch.cuda.nvtx.range_push")
    assert text is not None
    assert "\ntorch_npu==2.14.0:" in text and ", torch_npu==2.9.1:" in text
    same = explain("torch.cuda.synchronize")
    assert same is not None and "torch_npu==2.1.0.post17, torch_npu==2.3.1.post6, " in same
    assert explain("CUDA_LAUNCH_BLOCKING") is not None
    assert explain("no.such.name") is None
