"""The HTML audit in a real browser: headless Chromium renders it, offline, running nothing.

CI installs Debian's ``chromium`` (.ci/run); there a missing browser fails the suite.
On a developer machine without it the test is skipped with the command to install it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, run_cli
from report_pages import read_page
from test_report_escaping import IMAGE, SCRIPT, hostile_project

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def browser() -> str:
    found = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if found is None:
        message = "headless Chromium is needed: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def headless(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Chromium as CI runs it: root (no sandbox), no GPU, a throw-away profile."""
    command = [
        browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """The example repository plus hostile file names, audited to HTML and to JSON."""
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(FIXTURES / "example_repo", project, dirs_exist_ok=True)
    hostile_project(project / "contrib")  # vendor/ would be skipped as vendored
    page = project / "audit.html"
    assert run_cli("report", ".", "-o", str(page), cwd=project).exit_code == 0
    result = run_cli("check", ".", "--format", "json", "--exit-zero", cwd=project)
    return project, page, json.loads(result.stdout)


@pytest.fixture(scope="module")
def dom(
    tmp_path_factory: pytest.TempPathFactory, audited: tuple[Path, Path, dict[str, Any]]
) -> str:
    """The DOM after Chromium loaded the page (and ran whatever it would have run)."""
    page = audited[1]
    return headless(tmp_path_factory.mktemp("chromium"), "--dump-dom", page.as_uri()).stdout


def test_browser_renders_score_buckets_and_blockers(
    dom: str, audited: tuple[Path, Path, dict[str, Any]]
) -> None:
    report = audited[2]
    rendered = read_page(dom)
    assert rendered.by_id["score"] == f"{report['scores']['per_api']:g}"
    for bucket in report["effort"]:
        assert rendered.by_id[f"bucket-{bucket['bucket']}"].startswith(bucket["label"])
    assert "cuda-source" in rendered.by_id["blockers"]
    assert "kernels/fused_softmax.cu:1" in rendered.by_id["blockers"]
    assert "Findings by effort bucket" in rendered.by_id["effort-chart"]


def test_browser_runs_nothing_from_the_analysed_code(dom: str) -> None:
    rendered = read_page(dom)
    assert SCRIPT in rendered.text and IMAGE in rendered.text, "payloads shown as text"
    assert "script" not in rendered.tags() and "img" not in rendered.tags()
    title = next(iter(dom.split("<title>", 1)[1:]), "").split("</title>", 1)[0]
    assert title.startswith("Ascend readiness"), "no script rewrote the title"


def test_browser_takes_a_screenshot_of_the_page(
    tmp_path: Path, audited: tuple[Path, Path, dict[str, Any]]
) -> None:
    _, page, _ = audited
    shot = tmp_path / "audit.png"

    headless(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())

    assert shot.read_bytes().startswith(PNG_SIGNATURE)
    assert shot.stat().st_size > 50_000, "a rendered page, not a blank one"
