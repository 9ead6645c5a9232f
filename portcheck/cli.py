"""The ``portcheck`` command line. Exit codes follow ruff: 0 clean, 1 gate failed, 2 error."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from portcheck import __version__
from portcheck.check_options import CheckOptions

if TYPE_CHECKING:
    from portcheck.analyze import Analyzer
    from portcheck.cache import ResultCache
    from portcheck.config import Overrides, Settings
    from portcheck.filter import FilterOptions
    from portcheck.fix.files import FixRequest
    from portcheck.model import FileResult
    from portcheck.run import Report
    from portcheck.shard import Shard

STDIN_PATH = Path("-")
FORMATS = ("text", "json", "sarif", "github", "html", "markdown")


class PortcheckError(click.ClickException):
    """A usage or configuration problem the user can act on (exit code 2)."""

    exit_code = 2


def _write_output(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; an error is one line and exit 2."""
    from portcheck.output import OutputError, write_output

    try:
        write_output(path, text)
    except OutputError as error:
        raise PortcheckError(str(error)) from error


def _split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


def _settings(paths: tuple[Path, ...], config_file: Path | None, overrides: Overrides) -> Settings:
    from portcheck.config import ConfigError, resolve_settings

    try:
        return resolve_settings(
            [path for path in paths if path != STDIN_PATH], config_file, overrides
        )
    except ConfigError as error:
        raise PortcheckError(str(error)) from error


def _filter_options(settings: Settings, root: Path, diff_base: str | None) -> FilterOptions:
    """What the filter stage needs: read the baseline and ask git before any file is read."""
    from portcheck.baseline import BaselineError
    from portcheck.filter import filter_options
    from portcheck.gitdiff import GitDiffError

    try:
        return filter_options(settings, root, diff_base)
    except (BaselineError, GitDiffError) as error:
        raise PortcheckError(str(error)) from error


def _filtered(report: Report, results: list[FileResult], options: FilterOptions) -> Report:
    """The filter stage: what the configuration, comments, baseline and diff let through."""
    from portcheck.filter import apply_to, filter_results

    return apply_to(report, filter_results(results, options))


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """What a run analyses: shared by ``check``, ``baseline`` and ``report`` so the three
    commands cannot drift apart."""
    options = (
        click.option(
            "--target", help="torch_npu release to check against, e.g. torch_npu==2.14.0."
        ),
        click.option(
            "--chip",
            help="Ascend product the code will run on: atlas-a2 (910B, default), atlas-a3 "
            "(910C), 950dt, 910a.",
        ),
        click.option(
            "--select", multiple=True, help="Rule ids or prefixes to enable (comma-separated)."
        ),
        click.option(
            "--ignore", multiple=True, help="Rule ids or prefixes to disable (comma-separated)."
        ),
        click.option("--exclude", multiple=True, help="Extra paths or glob patterns to skip."),
        click.option(
            "-j", "--jobs", type=click.IntRange(min=1), help="Worker processes [default: cores]."
        ),
        click.option(
            "--include-vendored",
            is_flag=True,
            help="Also check vendored trees (third_party/, vendor/, external/, ...), skipped by "
            "default.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def cache_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The per-file result cache: shared by ``check`` and ``report``."""
    command = click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where per-file results are cached [default: ./.portcheck_cache].",
    )(command)
    return click.option(
        "--no-cache", is_flag=True, help="Analyse every file again; read and write no cache."
    )(command)


class _Guarded(click.Group):
    """Turns an unexpected exception into one line and exit 2 (``portcheck.crash``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:  # a bug: one line naming the file, never a traceback
            from portcheck.crash import die

            die(error)


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portcheck")
def main() -> None:
    """How ready is a PyTorch codebase to move from NVIDIA CUDA to Huawei Ascend NPUs?"""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True, allow_dash=True))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Settings file [default: the nearest pyproject.toml with a [tool.portcheck] table].",
)
@click.option("--show-settings", is_flag=True, help="Print the resolved settings and exit.")
@selection_options
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="Report only findings not in this file (written by `portcheck baseline`).",
)
@click.option("--diff-base", metavar="REF", help="Report only findings on lines changed since REF.")
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="SCORE",
    help="Fail when the per-API readiness score is below SCORE.",
)
@click.option(
    "--fail-on",
    multiple=True,
    metavar="CATEGORY[,...]",
    help="Fail when findings of these categories remain, and with `diagnostic` when a file "
    "could not be analysed; `none` turns it off [default: all four categories].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option(
    "--no-prefilter", is_flag=True, help="Parse every file, even those with no trigger word."
)
@click.option(
    "--no-fast-path",
    is_flag=True,
    help="Use libcst's public API only: slower, same results (as PORTCHECK_FAST_PATH=0).",
)
@cache_options
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=CheckOptions.max_file_size,
    show_default=True,
    help="Skip (with a diagnostic) files larger than this many bytes.",
)
@click.option(
    "--stdin-filename",
    help="With PATH `-`: the file the source on standard input stands for (e.g. train.py).",
)
@click.option(
    "--shard",
    metavar="K/N",
    callback=lambda _context, _param, value: _shard(value),
    help="Check only share K of N of the files (split by path, stable as files come and "
    "go), for N jobs of a CI matrix; `portcheck merge` adds the N reports up.",
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes in place, then report the rest.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option(
    "--unsafe-fixes", is_flag=True, help="With --fix/--diff: also apply fixes that may be wrong."
)
def check(**options: Any) -> None:
    """Find the CUDA touchpoints under PATHS (default: .) and classify their Ascend path.

    PATH `-` reads one source from standard input (name it with --stdin-filename).
    """
    run_check(CheckOptions(**options))


def run_check(options: CheckOptions) -> None:
    """One run of ``check`` (and of ``report``): settings, analysis, filters, output, gate."""
    from portcheck.analyze import Analyzer
    from portcheck.config import Overrides, render_settings
    from portcheck.gate import evaluate
    from portcheck.run import build_report, collect

    if options.no_fast_path:
        from portcheck.fastcst.libcst_internals import SWITCH

        os.environ[SWITCH] = "0"  # worker processes inherit it
    overrides = Overrides(
        target=options.target,
        chip=options.chip,
        select=_split_codes(options.select),
        ignore=_split_codes(options.ignore),
        fail_under=options.fail_under,
        fail_on=_split_codes(options.fail_on),
        baseline=options.baseline,
    )
    settings = _settings(options.paths, options.config_file, overrides)
    if options.show_settings:
        click.echo(render_settings(settings), nl=False)
        return
    analyzer = Analyzer(
        target=settings.target,
        rule_ids=settings.rules,
        use_prefilter=not options.no_prefilter,
        max_bytes=options.max_file_size,
        chip=settings.chip,
    )
    root = Path.cwd()
    if options.diff_base is not None and not options.diff_base.strip():
        raise PortcheckError("--diff-base: empty; name a git revision, e.g. origin/main")
    filters = _filter_options(settings, root, options.diff_base)
    if options.unsafe_fixes and not (options.fix or options.diff):
        raise PortcheckError("--unsafe-fixes applies only with --fix or --diff")
    if options.fix and options.diff:
        raise PortcheckError("--fix writes the fixes, --diff only shows them: choose one")
    excludes = (
        *settings.run_excludes(root, options.include_vendored),
        *_split_codes(options.exclude),
    )
    fixed = None
    fixing = None
    if options.fix or options.diff:
        from portcheck.filter import FixableFindings
        from portcheck.fix.files import FixRequest

        keep = FixableFindings(filters)
        fixing = FixRequest(
            analyzer, unsafe=options.unsafe_fixes, write=not options.diff, keep=keep
        )
    if options.reads_stdin:
        if options.shard is not None:
            raise PortcheckError("--shard splits the files of a tree, not standard input")
        result, fixed = _check_stdin(options, root, analyzer, fixing)
        results, discovery_diagnostics = [result], []
    elif fixing is not None:
        from portcheck.fix.files import fix_paths

        run = fix_paths(
            fixing,
            options.scan_paths,
            root,
            excludes,
            options.jobs,
            default_excludes=(),
            shard=options.shard,
        )
        if options.diff:
            click.echo(run.diff, nl=False)
            click.echo(run.diff_summary(), err=True)
            sys.exit(1 if run.fixed else 0)
        results, discovery_diagnostics, fixed = run.results, run.discovery_diagnostics, run.fixed
    else:
        from portcheck.progress import progress_bar

        with progress_bar(sys.stderr) as progress:
            results, discovery_diagnostics = collect(
                analyzer,
                options.scan_paths,
                root,
                excludes,
                options.jobs,
                default_excludes=(),
                progress=progress,
                cache=None if options.no_cache else _open_cache(analyzer, options.cache_dir, root),
                shard=options.shard,
            )
    report = build_report(analyzer.target, results, discovery_diagnostics, analyzer.chip)
    if fixed is not None:
        report = dataclasses.replace(report, extra_summary={**report.extra_summary, "fixed": fixed})
    report = _filtered(report, results, filters)
    from portcheck.report import render_as

    text = render_as(options.output_format, report)
    if options.output is not None:
        _write_output(options.output, text)
    else:  # with `check - --fix`, standard output carries the fixed source
        click.echo(text, nl=False, err=options.fix and options.reads_stdin)
    gate = evaluate(report, settings.fail_on, settings.fail_under, settings.fail_on_diagnostics)
    if not options.exit_zero:
        for reason in gate.reasons:
            click.echo(f"portcheck: gate failed: {reason}", err=True)
    sys.exit(gate.exit_code(options.exit_zero))


def _shard(value: str | None) -> Shard | None:
    from portcheck.shard import Shard

    if value is None:
        return None
    try:
        return Shard.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


def _open_cache(analyzer: Analyzer, directory: Path | None, root: Path) -> ResultCache:
    from portcheck.cache import CACHE_DIR_NAME, ResultCache, fingerprint

    return ResultCache(directory or root / CACHE_DIR_NAME, fingerprint(analyzer, analyzer.rules()))


def _check_stdin(
    options: CheckOptions, root: Path, analyzer: Analyzer, fixing: FixRequest | None
) -> tuple[FileResult, int | None]:
    """Check standard input; with --fix print the fixed source, with --diff the diff."""
    from portcheck.crash import processing
    from portcheck.stdin import analyze_stdin, fix_stdin, stdin_source_file

    if len(options.paths) > 1:
        raise PortcheckError("`-` (standard input) cannot be combined with other paths")
    raw = sys.stdin.buffer.read(analyzer.max_bytes + 1)
    source_file = stdin_source_file(options.stdin_filename, root)
    processing(source_file.display)
    if len(raw) > analyzer.max_bytes:
        from portcheck.model import FileResult
        from portcheck.source import too_large

        if fixing is not None and fixing.write:  # the editor's buffer comes back unchanged
            sys.stdout.buffer.write(raw)
            shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        diagnostic = too_large(source_file.display, analyzer.max_bytes)
        return FileResult(source_file.display, diagnostics=[diagnostic]), None
    if fixing is None:
        return analyze_stdin(analyzer, raw, source_file), None
    file_fix, output = fix_stdin(fixing, raw, source_file)
    if not fixing.write:
        click.echo(file_fix.diff, nl=False)
        sys.exit(1 if file_fix.fixed else 0)
    stdout = sys.stdout.buffer
    stdout.write(output)
    stdout.flush()
    return file_fix.result, file_fix.fixed


@main.command()
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Settings file [default: the nearest pyproject.toml with a [tool.portcheck] table].",
)
def lsp(config_file: Path | None) -> None:
    """Serve findings and safe fixes to an editor: the Language Server Protocol over stdio.

    Needs the lsp extra: pip install 'portcheck[lsp]'.
    """
    from portcheck.analyze import Analyzer
    from portcheck.baseline import BaselineError
    from portcheck.config import Overrides
    from portcheck.filter import filter_options

    try:
        from portcheck.lsp import serve
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        raise PortcheckError("`portcheck lsp` needs pygls: pip install 'portcheck[lsp]'") from error
    settings = _settings((Path("."),), config_file, Overrides())
    try:
        options = filter_options(settings, Path.cwd(), None)
    except BaselineError as error:
        raise PortcheckError(str(error)) from error
    serve(Analyzer(target=settings.target, rule_ids=settings.rules, chip=settings.chip), options)


@main.command(name="baseline")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True, allow_dash=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Baseline file to write [default: `baseline` of the configuration].",
)
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Settings file.")
@selection_options
def write_baseline(
    paths: tuple[Path, ...],
    output: Path | None,
    config_file: Path | None,
    target: str | None,
    chip: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    jobs: int | None,
    include_vendored: bool,
) -> None:
    """Record the findings under PATHS (default: .) so `check --baseline` reports only new ones.

    Rewrite it whenever findings are fixed: fixed findings drop out of it.
    """
    from portcheck.analyze import Analyzer
    from portcheck.baseline import write
    from portcheck.config import Overrides
    from portcheck.output import OutputError
    from portcheck.run import build_report, collect

    overrides = Overrides(
        target=target, chip=chip, select=_split_codes(select), ignore=_split_codes(ignore)
    )
    settings = _settings(paths, config_file, overrides)
    output = output or settings.baseline
    if output is None:
        raise PortcheckError(
            "baseline: name the file to write with -o FILE, or set `baseline` in [tool.portcheck]"
        )
    settings = dataclasses.replace(settings, baseline=None)
    analyzer = Analyzer(target=settings.target, rule_ids=settings.rules, chip=settings.chip)
    root = Path.cwd()
    results, discovery_diagnostics = collect(
        analyzer,
        list(paths) or [Path(".")],
        root,
        (*settings.run_excludes(root, include_vendored), *_split_codes(exclude)),
        jobs,
        default_excludes=(),
    )
    report = build_report(analyzer.target, results, discovery_diagnostics, analyzer.chip)
    report = _filtered(report, results, _filter_options(settings, root, None))
    try:
        keys = write(output, report.findings, root, settings.target)
    except OutputError as error:
        raise PortcheckError(str(error)) from error
    noun = "finding" if len(report.findings) == 1 else "findings"
    click.echo(
        f"Wrote {len(report.findings)} {noun} ({keys} distinct) to {output}; "
        f"`portcheck check --baseline {output}` now reports only new ones."
    )


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
    from portcheck.knowledge.explain import near_names

    text = explain_name(name)
    if text is None:
        near = " or ".join(near_names(name))
        raise PortcheckError(
            f"{name}: not in the knowledge base"
            + (f" (did you mean {near}?)" if near else "")
            + "; `portcheck rules` lists the rules, and the README says how to contribute a fact"
        )
    click.echo(text)


AUDIT_FORMATS = ("html", "markdown")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True, allow_dash=True))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(AUDIT_FORMATS),
    default="html",
    show_default=True,
    help="html: a self-contained page; markdown: a pull-request comment.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Settings file.")
@selection_options
@cache_options
def report(**options: Any) -> None:
    """Audit PATHS (default: .) into an HTML page or a Markdown summary; never fails the gate.

    The same analysis as `portcheck check --format html|markdown --exit-zero`.
    """
    run_check(CheckOptions(**options, exit_zero=True, fail_on=("none",)))


@main.command()
@click.argument("reports", nargs=-1, required=True, metavar="[NAME=]REPORT.json...")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="json",
    show_default=True,
    help="Format of the merged report.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here.")
def merge(reports: tuple[str, ...], output_format: str, output: Path | None) -> None:
    """Combine JSON reports of many repositories or shards into one, re-scored from findings.

    NAME=REPORT.json prefixes that report's paths with NAME/ (e.g. the repository).
    """
    from portcheck.merge import MergeError, merge_files
    from portcheck.report import render_as

    try:
        merged = merge_files(reports)
    except MergeError as error:
        raise PortcheckError(str(error)) from error
    text = render_as(output_format, merged)
    if output is not None:
        _write_output(output, text)
    else:
        click.echo(text, nl=False)
