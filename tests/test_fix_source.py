"""``fix_source``: the pure function every front end (CLI, notebooks, stdin, LSP) shares."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import pytest

from portcheck import registry
from portcheck.analyze import Analyzer
from portcheck.fix import fix_source
from portcheck.knowledge import default_target
from portcheck.model import Finding
from portcheck.rule import Edit, Fix, Rule

ALIASED = """\
import torch
import torch.cuda as tc

tc.synchronize()
torch.cuda.empty_cache()
"""


def _analyzer(*rule_ids: str) -> Analyzer:
    return Analyzer(target=default_target(), rule_ids=rule_ids or tuple(_all_ids()))


def _all_ids() -> list[str]:
    return [rule.id for rule in registry.all_rules()]


def _drop(source: str):  # noqa: ANN202 - a FindingFilter
    """A filter that hides the findings on ``source``, wherever earlier fixes move it."""

    def keep(text: str, findings: Sequence[Finding]) -> list[Finding]:
        return [finding for finding in findings if finding.source != source]

    return keep


def test_fixes_everything_safe_and_reports_nothing_left() -> None:
    outcome = fix_source(_analyzer(), "a.py", ALIASED)
    assert outcome.text == (
        "import torch\nimport torch_npu.npu as tc\n\ntc.synchronize()\ntorch.npu.empty_cache()\n"
    )
    assert [(f.line, f.api) for f in outcome.fixed] == [
        (2, "torch.cuda"),
        (4, "torch.cuda.synchronize"),
        (5, "torch.cuda.empty_cache"),
    ]
    assert outcome.remaining == ()


def test_a_second_pass_changes_nothing() -> None:
    once = fix_source(_analyzer(), "a.py", ALIASED)
    twice = fix_source(_analyzer(), "a.py", once.text)
    assert (twice.text, twice.fixed) == (once.text, ())


def test_a_filtered_out_finding_is_left_byte_for_byte() -> None:
    outcome = fix_source(_analyzer(), "a.py", ALIASED, keep=_drop("torch.cuda.empty_cache"))
    assert outcome.text.splitlines()[-1] == "torch.cuda.empty_cache()"
    assert [f.api for f in outcome.remaining] == ["torch.cuda.empty_cache"]


def test_an_alias_is_not_rewritten_when_one_of_its_uses_is_filtered_out() -> None:
    outcome = fix_source(_analyzer(), "a.py", ALIASED, keep=_drop("tc.synchronize"))
    assert outcome.text == ALIASED.replace(
        "torch.cuda.empty_cache", "torch.npu.empty_cache"
    ).replace("import torch\n", "import torch\nimport torch_npu  # noqa: F401\n", 1)
    assert [f.api for f in outcome.remaining] == ["torch.cuda", "torch.cuda.synchronize"]


def test_nested_fixes_are_made_in_successive_passes() -> None:
    source = "import torch\nx = torch.cuda.FloatTensor(2).cuda()\n"
    outcome = fix_source(_analyzer(), "a.py", source)
    assert outcome.text == (
        "import torch\nimport torch_npu  # noqa: F401\nx = torch.npu.FloatTensor(2).npu()\n"
    )
    assert sorted(f.rule for f in outcome.fixed) == ["PC001", "PC002"]


def test_unsafe_fixes_only_when_asked() -> None:
    source = 'import torch\nKINDS = ["cpu", "cuda"]\n'
    assert fix_source(_analyzer(), "a.py", source).text == source
    unsafe = fix_source(_analyzer(), "a.py", source, unsafe=True)
    assert unsafe.text == 'import torch\nimport torch_npu  # noqa: F401\nKINDS = ["cpu", "npu"]\n'


def test_source_with_a_syntax_error_is_returned_unchanged() -> None:
    source = "import torch\ntorch.cuda.synchronize(\n"
    outcome = fix_source(_analyzer(), "a.py", source)
    assert (outcome.text, outcome.fixed, outcome.parsed) == (source, (), False)
    assert [d.code for d in outcome.diagnostics] == ["parse-error"]


def test_torch_npu_import_goes_after_the_docstring_and_future_imports() -> None:
    source = (
        '"""Doc."""\nfrom __future__ import annotations\nfrom torch import nn\n\nx = y.cuda()\n'
    )
    outcome = fix_source(_analyzer(), "a.py", source)
    assert outcome.text == (
        '"""Doc."""\nfrom __future__ import annotations\nfrom torch import nn\n'
        "import torch_npu  # noqa: F401\n"
        "\nx = y.npu()\n"
    )


def test_module_that_never_imports_torch_gets_no_torch_npu_import() -> None:
    source = 'DEVICE = "cuda"\nBACKEND = "nccl"\n'
    outcome = fix_source(_analyzer(), "config.py", source, unsafe=True)
    assert outcome.text == 'DEVICE = "npu"\nBACKEND = "hccl"\n'


class _BrokenFix(Rule):
    """A rule whose fix turns ``x = 1`` into ``f() = 1``: the fixer must refuse it."""

    id = "PX999"
    name = "broken-fix"
    summary = "test rule"
    category = "auto"
    fixable = True

    def visit_Assign(self, node: cst.Assign) -> None:
        target = node.targets[0].target
        broken = Fix(edits=(Edit(target, cst.parse_expression("f()")),))
        self.report(target, api="x", message="m", fix=broken)


def test_a_fix_that_would_not_parse_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: (_BrokenFix,))
    outcome = fix_source(_analyzer("PX999"), "a.py", "x = 1\n")
    assert (outcome.text, outcome.fixed) == ("x = 1\n", ())
    assert [f.rule for f in outcome.remaining] == ["PX999"]
    assert [d.code for d in outcome.diagnostics] == ["fix-failed"]
