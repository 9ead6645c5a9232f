"""The prefilter skips files, never findings: the same report with it on and off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, check_json, write

from portcheck.knowledge import load_knowledge
from portcheck.prefilter import Prefilter
from portcheck.registry import all_rules
from portcheck.rule import Rule
from portcheck.source import SourceText

TRICKY = {
    "escaped_device.py": 'import torch\nx = t.to("\\x63uda:0")\ny = t.to("\\143uda")\n',
    "continued_device.py": 'import torch\nx = t.to("cu\\\nda")\ny = t.to("\\\ncuda")\n',
    "named_escape.py": 'import torch\nx = t.to("\\N{LATIN SMALL LETTER C}uda")\n',
    "upper_hex_escape.py": 'import torch.distributed as d\nd.init_process_group("\\x6Eccl")\n',
    "concatenated_statement.py": 'import torch\n"cuda" "x"\n("nccl"\n "y")\n',
    "fstring_statement.py": 'import torch\nf"cuda:{rank}"\n',
    "fstring_nested.py": "import torch\nmsg = f\"{t.to('cuda')} on {x!r:>{width}}\"\n",
    "aliased_import.py": "import torch.cuda as tc\ntc.synchronize()\n",
    "from_import.py": "from torch.backends import cudnn as c\nc.benchmark = True\n",
    "continued_import.py": "import os, \\\n    cupy\n",
    "env_escaped.py": 'import os\nos.environ["\\u0043UDA_VISIBLE_DEVICES"] = "0"\n',
    "unicode_before_string.py": 'import torch\nnom_é = "é"; x = t.to("cuda")\n',
    "crlf.py": 'import torch\r\nx = t.to(\r\n    "cuda")\r\ny = "cuda:1"\r\n',
    "cr_only.py": 'import torch\rx = "nccl"\r',
    "latin1.py": b'# -*- coding: latin-1 -*-\nimport torch\ns = "\xe9"; x = t.to("cuda")\n',
    "multiline_string.py": 'import torch\nx = t.to("""cuda""")\ny = """\ncuda\n"""\n',
    "setup.py": 'from setuptools import setup\nsetup(install_requires=["flash-attn"])\n',
    "nvidia_import.py": "from nvidia import dali\n",
    "tabs_and_parens.py": "import torch\nx = (t\n\t.cuda())\nok = (t.\n  is_cuda)\n",
    "python2.py": 'print "cuda"\nx.cuda()\n',
    "deep.py": "x = " + "(" * 300 + "t.cuda()" + ")" * 300 + "\n",
}
QUIET = {
    "comment_only.py": "import torch\n# we used to call torch.cuda.synchronize() here\nx = 1\n",
    "docstring_only.py": (
        '"""Moves the model to "cuda" with model.cuda() and nccl."""\n\n\n'
        'def f():\n    """Runs on CUDA_VISIBLE_DEVICES devices, "cuda:0"."""\n'
    ),
    "lookalike_names.py": "use_cuda_graphs = True\nis_flash_attn_available = None\n",
    "urls.py": 'URL = "https://huggingface.co/nvidia/model"\nMSG = "no cuda here"\n',
}


def _findings(root: Path, *args: str) -> list[dict[str, Any]]:
    _, report = check_json("--no-cache", "--exit-zero", *args, cwd=root)
    return report["findings"]


def _python_rules() -> list[type[Rule]]:
    return [rule for rule in all_rules() if issubclass(rule, Rule)]


@pytest.mark.parametrize("fixture", ["example_repo", "lookalikes", "notebooks"])
def test_fixture_findings_are_the_same_with_and_without_prefilter(fixture: str) -> None:
    root = FIXTURES / fixture
    assert _findings(root) == _findings(root, "--no-prefilter")


def test_tricky_sources_keep_every_finding(tmp_path: Path) -> None:
    for name, content in TRICKY.items():
        write(tmp_path, name, content)
    _, report = check_json("--no-cache", "--exit-zero", cwd=tmp_path)
    _, unfiltered = check_json("--no-cache", "--exit-zero", "--no-prefilter", cwd=tmp_path)
    assert report["findings"] == unfiltered["findings"]
    assert report["diagnostics"] == unfiltered["diagnostics"]
    flagged = {finding["path"] for finding in report["findings"]}
    assert flagged == set(TRICKY) - {"python2.py", "deep.py"}


def test_comments_docstrings_and_lookalikes_are_not_parsed(tmp_path: Path) -> None:
    for name, content in QUIET.items():
        write(tmp_path, name, content)
    _, report = check_json("--no-cache", cwd=tmp_path)
    _, unfiltered = check_json("--no-cache", "--no-prefilter", cwd=tmp_path)
    assert report["findings"] == unfiltered["findings"] == []
    assert report["summary"]["files_parsed"] == 0
    assert unfiltered["summary"]["files_parsed"] == len(QUIET)


def test_every_invalid_example_passes_its_own_rules_prefilter() -> None:
    """A rule's needles must describe its own findings; its examples keep them honest."""
    knowledge = load_knowledge(None)
    checked = 0
    for rule in _python_rules():
        needles = rule.needles(knowledge)
        if needles is None:
            continue
        prefilter = Prefilter([needles])
        for example in rule.INVALID:
            source = SourceText(example.code, example.code.encode(), "utf-8")
            assert prefilter.must_parse(source), f"{rule.id} would skip:\n{example.code}"
            checked += 1
    assert checked > 10


def test_every_builtin_python_rule_declares_needles() -> None:
    knowledge = load_knowledge(None)
    builtins = [rule for rule in _python_rules() if rule.__module__.startswith("portcheck.rules")]
    assert [rule.id for rule in builtins if rule.needles(knowledge) is None] == []


def test_one_job_and_many_jobs_report_the_same(tmp_path: Path) -> None:
    for index in range(6):
        write(tmp_path, f"pkg/mod{index}.py", f'import torch\nx{index} = t.to("cuda:{index}")\n')
    for name, content in TRICKY.items():
        write(tmp_path, f"tricky/{name}", content)
    _, serial = check_json("--no-cache", "-j", "1", cwd=tmp_path)
    _, parallel = check_json("--no-cache", "-j", "2", cwd=tmp_path)
    _, warm_parallel = check_json("-j", "2", cwd=tmp_path)
    _, warm_serial = check_json("-j", "1", cwd=tmp_path)
    assert serial == parallel == warm_parallel == warm_serial
    assert len({finding["path"] for finding in serial["findings"]}) > 6


LIBRARY_PROJECT = {
    "flash_attn/__init__.py": "",
    "flash_attn/helpers.py": "def pad(x):\n    return x\n",
    "flash_attn/bert.py": "from flash_attn.helpers import pad\n\nY = pad(1)\n",
    "flash_attn/kernel_utils.py": "import triton.language as tl\n",
    "flash_attn/ops.py": "from flash_attn.kernel_utils import tl\n\nBLOCK: tl.constexpr = 16\n",
}
"""A CUDA-only library auditing itself; ``ops.py`` names Triton only through ``tl``."""


def test_a_project_that_is_a_cuda_library_is_parsed_where_it_uses_a_library(
    tmp_path: Path,
) -> None:
    """Auditing a CUDA-only library itself (vllm, xformers): its own name is no needle,
    since its own code is never reported (vllm: 992 of 5,558 files were parsed for the
    word ``vllm`` alone, none with a finding); a name it re-exports from a library is."""
    for name, content in LIBRARY_PROJECT.items():
        write(tmp_path, name, content)
    _, report = check_json("--no-cache", "--exit-zero", cwd=tmp_path)
    _, unfiltered = check_json("--no-cache", "--exit-zero", "--no-prefilter", cwd=tmp_path)
    assert report["findings"] == unfiltered["findings"]
    assert {finding["path"] for finding in report["findings"]} == {
        "flash_attn/kernel_utils.py",
        "flash_attn/ops.py",
    }
    assert report["summary"]["files_parsed"] == 2


def test_a_line_of_hashes_after_a_dot_is_scanned_in_linear_time(tmp_path: Path) -> None:
    """deepspeed 0.19.8 ``autotuning/constants.py`` hung the run: the comment in the
    attribute pattern's gap could end at any later ``#``, so a dot followed by a comment
    of hashes backtracked exponentially."""
    write(tmp_path, "constants.py", "import torch\nX = a.  " + "#" * 80 + "\nY = 1\n")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from portcheck.cli import main; main()",
            "check",
            "--no-cache",
            ".",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
