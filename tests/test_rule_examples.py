"""Every rule's own VALID/INVALID examples, collected automatically: a new rule needs no
test registration. Each example is written to a real file and checked through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import check_json, run_cli, write

from portcheck.registry import builtin_rules
from portcheck.rule import Rule, TextRule


def _examples(kind: str) -> list[pytest.param]:
    params = []
    for rule in builtin_rules():
        for index, example in enumerate(getattr(rule, kind)):
            params.append(pytest.param(rule, example, id=f"{rule.id}-{rule.name}-{index}"))
    return params


def _filename(rule: type, example: object) -> str:
    return example.filename if issubclass(rule, TextRule) else "example.py"  # type: ignore[attr-defined]


def _content(rule: type, example: object) -> str:
    return example.content if issubclass(rule, TextRule) else example.code  # type: ignore[attr-defined]


@pytest.mark.parametrize(("rule", "example"), _examples("VALID"))
def test_valid_example_has_no_finding(tmp_path: Path, rule: type, example: object) -> None:
    check_valid_example(tmp_path, rule, example)


@pytest.mark.parametrize(("rule", "example"), _examples("INVALID"))
def test_invalid_example_is_flagged(tmp_path: Path, rule: type, example: object) -> None:
    check_invalid_example(tmp_path, rule, example)


def check_valid_example(tmp_path: Path, rule: type, example: object) -> None:
    """The checks every rule's examples get, built-in or plugin (see test_plugins.py)."""
    write(tmp_path, _filename(rule, example), _content(rule, example))
    _, report = check_json("--select", rule.id, ".", cwd=tmp_path)
    assert report["findings"] == []
    assert report["diagnostics"] == []


def check_invalid_example(tmp_path: Path, rule: type, example: object) -> None:
    write(tmp_path, _filename(rule, example), _content(rule, example))
    code, report = check_json("--select", rule.id, ".", cwd=tmp_path)
    findings = report["findings"]
    assert code == 1
    assert findings, "expected a finding"
    assert {finding["rule"] for finding in findings} == {rule.id}
    if example.api is not None:  # type: ignore[attr-defined]
        assert findings[0]["api"] == example.api  # type: ignore[attr-defined]
    if example.count is not None:  # type: ignore[attr-defined]
        assert len(findings) == example.count  # type: ignore[attr-defined]
    if issubclass(rule, Rule) and example.category is not None:  # type: ignore[attr-defined]
        assert findings[0]["category"] == example.category  # type: ignore[attr-defined]
    unfixable_auto = [f for f in findings if f["category"] == "auto" and not f["fixable"]]
    assert unfixable_auto == [], "an auto finding must carry a safe fix"


def _python_examples_with_fix_expectation() -> list[pytest.param]:
    """Every example of a fixable rule (one without ``expected_fix`` must stay as it is),
    and every example with an ``expected_fix`` whatever the rule says."""
    return [
        param
        for param in _examples("INVALID")
        if issubclass(param.values[0], Rule)
        and (param.values[0].fixable or param.values[1].expected_fix is not None)
    ]


@pytest.mark.parametrize(("rule", "example"), _python_examples_with_fix_expectation())
def test_invalid_example_is_fixed_as_expected(tmp_path: Path, rule: type, example: object) -> None:
    check_fix_example(tmp_path, rule, example)


def check_fix_example(tmp_path: Path, rule: type, example: object) -> None:
    """``expected_fix`` is the file after ``--fix`` (``--unsafe-fixes`` when the example is
    unsafe); None means no fix of that tier, so the file must stay byte-identical."""
    path = write(tmp_path, "example.py", example.code)  # type: ignore[attr-defined]
    tier = ("--unsafe-fixes",) if example.unsafe else ()  # type: ignore[attr-defined]
    run_cli("check", "--select", rule.id, "--fix", *tier, ".", cwd=tmp_path)
    expected = example.expected_fix or example.code  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == expected
    run_cli("check", "--select", rule.id, "--fix", *tier, ".", cwd=tmp_path)
    assert path.read_text(encoding="utf-8") == expected, "a second --fix changed the file"


def test_every_rule_has_examples_of_both_kinds() -> None:
    for rule in builtin_rules():
        assert rule.VALID and rule.INVALID, rule.id


def test_fixable_says_whether_the_examples_show_a_fix() -> None:
    """``fixable`` (shown by ``portcheck rules``) is what the examples prove: a rule is
    fixable exactly when one of its INVALID examples has an ``expected_fix``."""
    for rule in builtin_rules():
        shown = any(getattr(example, "expected_fix", None) for example in rule.INVALID)
        assert rule.fixable == shown, rule.id
