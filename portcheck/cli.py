"""The ``portcheck`` command line. Exit codes follow ruff: 0 clean, 1 gate failed, 2 error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from portcheck import __version__

if TYPE_CHECKING:
    from portcheck.engine import Analyzer, FileResult

STDIN_PATH = Path("-")

FORMATS = ("text", "json", "html", "markdown")


class PortcheckError(click.ClickException):
    """A usage or configuration problem the user can act on (exit code 2)."""

    exit_code = 2


def _split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


def _resolve_rule_ids(select: tuple[str, ...], ignore: tuple[str, ...]) -> tuple[str, ...]:
    from portcheck.registry import PluginError, all_rules

    try:
        rules = all_rules()
    except PluginError as error:
        raise PortcheckError(str(error)) from error
    known = {rule.id: rule for rule in rules}
    names = {rule.name: rule.id for rule in rules}

    def expand(codes: tuple[str, ...], option: str) -> set[str]:
        chosen: set[str] = set()
        for code in codes:
            if code.upper() == "ALL":
                chosen.update(known)
            elif code in names:
                chosen.add(names[code])
            else:
                matched = {rule_id for rule_id in known if rule_id.startswith(code.upper())}
                if not matched:
                    raise PortcheckError(
                        f"{option} {code}: unknown rule; `portcheck rules` lists them"
                    )
                chosen.update(matched)
        return chosen

    selected = expand(select, "--select") if select else set(known)
    return tuple(sorted(selected - expand(ignore, "--ignore")))


def _load_target(target: str | None) -> str:
    from portcheck.knowledge import UnknownTargetError, load_knowledge

    try:
        return load_knowledge(target).target
    except UnknownTargetError as error:
        raise PortcheckError(str(error)) from error


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portcheck")
def main() -> None:
    """How ready is a PyTorch codebase to move from NVIDIA CUDA to Huawei Ascend NPUs?"""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here.")
@click.option("--target", help="torch_npu release to check against, e.g. torch_npu==2.14.0.")
@click.option("--select", multiple=True, help="Rule ids or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule ids or prefixes to disable (comma-separated).")
@click.option("--exclude", multiple=True, help="Extra paths or glob patterns to skip.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes [default: cores].")
@click.option(
    "--no-prefilter", is_flag=True, help="Parse every file, even those with no trigger word."
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=5 * 1024 * 1024,
    show_default=True,
    help="Skip (with a diagnostic) files larger than this many bytes.",
)
@click.option(
    "--stdin-filename",
    help="With PATH `-`: the file the source on standard input stands for (e.g. train.py).",
)
def check(
    paths: tuple[Path, ...],
    output_format: str,
    output: Path | None,
    target: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    exit_zero: bool,
    jobs: int | None,
    no_prefilter: bool,
    max_file_size: int,
    stdin_filename: str | None,
) -> None:
    """Find the CUDA touchpoints under PATHS (default: .) and classify their Ascend path.

    PATH `-` reads one source from standard input (name it with --stdin-filename).
    """
    from portcheck.engine import Analyzer
    from portcheck.run import build_report, collect

    analyzer = Analyzer(
        target=_load_target(target),
        rule_ids=_resolve_rule_ids(_split_codes(select), _split_codes(ignore)),
        use_prefilter=not no_prefilter,
        max_bytes=max_file_size,
    )
    root = Path.cwd()
    if STDIN_PATH in paths:
        results, discovery_diagnostics = [_check_stdin(analyzer, paths, stdin_filename, root)], []
    else:
        results, discovery_diagnostics = collect(
            analyzer, list(paths) or [Path(".")], root, _split_codes(exclude), jobs
        )
    report = build_report(analyzer.target, results, discovery_diagnostics)
    from portcheck.report import render_as

    text = render_as(output_format, report)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    if report.findings and not exit_zero:
        sys.exit(1)


def _check_stdin(
    analyzer: Analyzer, paths: tuple[Path, ...], stdin_filename: str | None, root: Path
) -> FileResult:
    from portcheck.stdin import analyze_stdin, stdin_source_file

    if len(paths) > 1:
        raise PortcheckError("`-` (standard input) cannot be combined with other paths")
    raw = click.get_binary_stream("stdin").read()
    return analyze_stdin(analyzer, raw, stdin_source_file(stdin_filename, root))


@main.command(name="rules")
def list_rules() -> None:
    """List every rule with its id, name, category and whether it can fix."""
    from portcheck.registry import all_rules

    for rule in all_rules():
        fix = "fix" if rule.fixable else "   "
        click.echo(f"{rule.id}  {fix}  {rule.category:<8} {rule.name:<30} {rule.summary}")


@main.command()
@click.argument("name")
def explain(name: str) -> None:
    """Explain what NAME (e.g. torch.cuda.nvtx.range_push) becomes on Ascend, with evidence."""
    from portcheck.knowledge import explain as explain_name

    text = explain_name(name)
    if text is None:
        raise PortcheckError(
            f"{name}: not in the knowledge base; `portcheck rules` lists the rules, and the "
            "README says how to contribute a fact"
        )
    click.echo(text)
