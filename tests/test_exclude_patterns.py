"""``exclude``/``extend-exclude``/``--exclude`` patterns have gitignore semantics
(pathspec): ``*`` stays within a path component, ``**`` crosses them, ``!`` re-includes,
a trailing ``/`` means directories only, an inner or leading ``/`` anchors to the
configuration's directory; the configurations written before keep working."""

from __future__ import annotations

from pathlib import Path

from conftest import check_json, write

CUDA = "import torch\ntorch.cuda.synchronize()\n"


def _checked(root: Path, config: str, *args: str, cwd: Path | None = None) -> set[str]:
    write(root, "pyproject.toml", f"[project]\nname = 'demo'\n\n[tool.portcheck]\n{config}")
    _, report = check_json(*args, ".", cwd=cwd or root)
    return {finding["path"] for finding in report["findings"]}


def _tree(root: Path, *paths: str) -> None:
    for path in paths:
        write(root, path, CUDA)


def test_a_star_stays_within_a_path_component(tmp_path: Path) -> None:
    _tree(tmp_path, "src/a/gen.py", "src/a/b/gen.py", "keep.py")
    checked = _checked(tmp_path, 'extend-exclude = ["src/*/gen.py"]\n')
    assert checked == {"src/a/b/gen.py", "keep.py"}


def test_a_double_star_crosses_path_components(tmp_path: Path) -> None:
    _tree(tmp_path, "src/a/gen.py", "src/a/b/gen.py", "gen.py", "keep.py")
    checked = _checked(tmp_path, 'extend-exclude = ["src/**/gen.py"]\n')
    assert checked == {"gen.py", "keep.py"}


def test_a_negation_re_includes_what_an_earlier_pattern_skipped(tmp_path: Path) -> None:
    _tree(tmp_path, "gen_a.py", "gen_keep.py", "pkg/gen_b.py", "pkg/gen_keep.py")
    checked = _checked(tmp_path, 'extend-exclude = ["gen_*.py", "!gen_keep.py"]\n')
    assert checked == {"gen_keep.py", "pkg/gen_keep.py"}


def test_a_trailing_slash_skips_directories_only(tmp_path: Path) -> None:
    _tree(tmp_path, "cache/x.py", "pkg/cache_v2/y.py", "pkg/cache_utils.py")
    checked = _checked(tmp_path, 'extend-exclude = ["cache*/"]\n')
    assert checked == {"pkg/cache_utils.py"}


def test_a_leading_slash_anchors_to_the_config_directory(tmp_path: Path) -> None:
    _tree(tmp_path, "gen/x.py", "pkg/gen/y.py")
    assert _checked(tmp_path, 'extend-exclude = ["/gen"]\n') == {"pkg/gen/y.py"}
    assert _checked(tmp_path, 'extend-exclude = ["/pkg/gen"]\n', cwd=tmp_path / "pkg") == set()
    assert _checked(tmp_path, 'extend-exclude = ["gen"]\n') == set()


def test_command_line_excludes_follow_the_same_rules(tmp_path: Path) -> None:
    _tree(tmp_path, "a/gen.py", "a/b/gen.py")
    assert _checked(tmp_path, "", "--exclude", "a/*.py") == {"a/b/gen.py"}


def test_patterns_written_for_the_old_matcher_keep_working(tmp_path: Path) -> None:
    _tree(tmp_path, "tests/fixtures/x.py", "pkg.egg-info/y.py", "lib/build/z.py", "main.py")
    config = 'extend-exclude = ["tests/fixtures", "*.egg-info", "build"]\n'
    assert _checked(tmp_path, config) == {"main.py"}
