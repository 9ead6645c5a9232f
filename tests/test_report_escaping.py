"""Reports are safe to open: markup in analysed file names and code is shown as text."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, write
from report_pages import Page, read_page
from test_report_markdown import render_markdown

from portcheck.report.markdown import code, escape

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"
LINK = "[click](javascript:alert(1))"
ACTIVE_TAGS = {"script", "img", "a", "iframe", "object", "embed", "svg", "style"}


def hostile_project(root: Path) -> Path:
    """A project whose file names and code carry HTML and Markdown payloads."""
    body = "import cupy\nimport torch\nx = cupy.asarray([1])\ntorch.cuda.synchronize()\n"
    write(root, f"{SCRIPT}.py", body)  # a directory `<script>alert(1)<` holding `script>.py`
    write(root, f"{IMAGE}.py", body)
    write(root, f"{LINK}.py", body)
    write(root, f"{IMAGE}.cu", "__global__ void k(float* x) { x[0] = 1; }\n")
    write(root, "requirements.txt", f'flash-attn==2.5.8 ; sys_platform == "{SCRIPT}"\n')
    write(root, "requirements-gpu.txt", f'cupy-cuda12x ; platform_machine == "{IMAGE}"\n')
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_project(tmp_path_factory.mktemp("hostile"))


def audit(project: Path, output_format: str) -> str:
    result = run_cli("report", ".", "--format", output_format, cwd=project)
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_shown_as_text(page: Page, allowed: set[str]) -> None:
    assert SCRIPT in page.text, "file name and requirement line shown verbatim"
    assert IMAGE in page.text
    assert page.tags() & ACTIVE_TAGS <= allowed
    for _, attributes in page.elements:
        assert not any(name.startswith("on") for name in attributes)


def test_html_report_shows_payloads_as_text(project: Path) -> None:
    html = audit(project, "html")
    page = read_page(html)
    assert_shown_as_text(page, allowed={"svg", "style"})
    assert f"{SCRIPT}.py:3" in page.by_id["blockers"], "the path as a blocker location"
    assert f'sys_platform == "{SCRIPT}"' in page.by_id["inventory"], "the source line"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html and IMAGE not in html


def test_markdown_report_shows_payloads_as_text(project: Path) -> None:
    markdown = audit(project, "markdown")
    page = render_markdown(markdown)
    assert_shown_as_text(page, allowed=set())
    assert LINK in page.text, "a Markdown link in analysed text stays text"
    assert f"{IMAGE}.cu" in page.text


@pytest.mark.parametrize(
    "text", [SCRIPT, IMAGE, LINK, "a|b", "``x``", "`edge`", "*bold* _it_ # \\ <b>&amp;"]
)
def test_escaped_text_and_code_spans_render_as_themselves(text: str) -> None:
    row = f"| {escape(text)} | {code(text)} |"
    page = render_markdown(f"| a | b |\n| --- | --- |\n{row}\n")
    assert page.text == f"a b {text} {text}"
