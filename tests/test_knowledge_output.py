"""The knowledge builders (``knowledge_builder.build``, ``.coverage``) share one
write-or-check step: ``--check`` reports stale files and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_builder.output import write_outputs


def test_check_reports_stale_files_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "same.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "old.json").write_text("[]\n", encoding="utf-8")
    files = {"same.json": "{}\n", "old.json": "[1]\n", "new.json": "{}\n"}
    assert write_outputs(files, tmp_path, check=True) == 1
    assert capsys.readouterr().out == "stale: old.json, new.json\n"
    assert (tmp_path / "old.json").read_text(encoding="utf-8") == "[]\n"
    assert not (tmp_path / "new.json").exists()


def test_write_writes_stale_files_with_unix_newlines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {"a.json": "{\n}\n"}
    assert write_outputs(files, tmp_path, check=False) == 0
    assert (tmp_path / "a.json").read_bytes() == b"{\n}\n"
    assert write_outputs(files, tmp_path, check=True) == 0
    assert capsys.readouterr().out == "written: a.json\nstale: nothing (up to date)\n"
