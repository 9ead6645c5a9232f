"""How fast is portcheck on real PyTorch code? One run, one machine, ratios to two floors.

Two pinned corpora, fetched with ``pip download --no-deps`` only (nothing is installed
or imported) and unpacked under a cache directory outside the repository: "mixed"
(transformers, accelerate and mmengine wheels and the deepspeed sdist, about 4,000
Python files and 1.4 million lines, mostly code that never touches CUDA) and "vllm"
(the vllm sdist's source, CUDA-dense: about 5,800 files, 1,600 of them parsed); both
are measured in the same run, with the same cases, in one table. Every measurement
runs as a subprocess and is repeated; the report gives the median wall time, files/s,
lines/s and the peak resident memory of the largest process of the run (the CLI or one
of its workers).

The floors: ``libcst.parse_module`` on every file in one process (what any libcst
linter pays at least), and ``ruff check --no-cache`` with its default rules (what a
practical linter costs). Run it late on a quiet machine; other load inflates every
figure, the ratios less than the absolute times.

    python benchmarks/run.py                 # corpora in ~/.cache/portcheck-bench
    python benchmarks/run.py --runs 5 --json results.json
    python benchmarks/run.py --corpus vllm   # one corpus only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

CORPORA = {
    "mixed": (
        ("transformers==5.23.0", "wheel"),
        ("accelerate==1.15.0", "wheel"),
        ("mmengine==0.10.7", "wheel"),
        ("deepspeed==0.19.8", "sdist"),
    ),
    "vllm": (("vllm==0.33.0", "source"),),
}
"""Two corpora: mostly code that never touches CUDA, and CUDA-dense code (vllm: about
5,800 files, 1,600 of which reach the parser). ``source``: an sdist whose build step
fails without torch; pip unpacks it before it tries, and that source is kept."""
PRE_COMMIT_FILES = 10

LIBCST_FLOOR = """
import sys
from pathlib import Path
import libcst
for line in sys.stdin:
    try:
        libcst.parse_module(Path(line.rstrip("\\n")).read_bytes())
    except Exception:
        pass
"""

MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], stdin=open(sys.argv[1], "rb"), stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.buffer.write(done.stderr)
sys.stdout.buffer.write(done.stdout)
print(f"\\n@@measure {wall} {peak} {done.returncode}")
"""


@dataclass
class Measurement:
    """One case: every run's wall time and the largest peak RSS seen (KiB)."""

    name: str
    files: int
    lines: int
    walls: list[float] = field(default_factory=list)
    peak_kib: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    def row(self) -> str:
        per_second = (
            f"{self.files / self.median:,.0f} | {self.lines / self.median:,.0f}"
            if self.median
            else "- | -"
        )
        runs = ", ".join(f"{wall:.2f}" for wall in self.walls)
        return (
            f"| {self.name} | {self.files:,} | {self.median:.2f} s | {per_second} | "
            f"{self.peak_kib / 1024:.0f} MiB | {runs} |"
        )


@dataclass(frozen=True)
class Output:
    stdout: str
    stderr: str
    returncode: int


def build_corpus(root: Path, name: str) -> Path:
    """Download (pip download --no-deps, nothing else) and unpack a pinned corpus."""
    downloads = root / "downloads"
    corpus = root / ("corpus" if name == "mixed" else f"corpus-{name}")
    downloads.mkdir(parents=True, exist_ok=True)
    for spec, kind in CORPORA[name]:
        name = spec.split("==")[0]
        target = corpus / name
        if (target / ".unpacked").exists():
            continue
        if kind == "source":
            unpack_source(spec, target)
            continue
        binary = ["--only-binary", ":all:"] if kind == "wheel" else ["--no-binary", name]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(downloads)]
            + binary
            + [spec],
            check=True,
        )
        version = spec.split("==")[1]
        archive = next(
            path
            for path in downloads.iterdir()
            if path.name.lower().startswith(f"{name}-{version}".lower())
        )
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel:
                wheel.extractall(target)
        else:
            with tarfile.open(archive) as sdist:
                if hasattr(tarfile, "data_filter"):  # Python >= 3.12 and recent patch releases
                    sdist.extractall(target, filter="data")
                else:
                    sdist.extractall(target)
        (target / ".unpacked").write_text(archive.name)
    return corpus


def unpack_source(spec: str, target: Path) -> None:
    """The source of an sdist whose build step fails (it needs torch to say its metadata):
    ``pip download`` unpacks it into its temporary directory first, and ``--no-clean``
    keeps that directory when the build step fails."""
    name, version = spec.split("==")
    with tempfile.TemporaryDirectory() as temporary:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", temporary]
            + ["--no-binary", ":all:", "--no-build-isolation", "--no-clean", spec],
            env={**os.environ, "TMPDIR": temporary},
            capture_output=True,
        )
        found = [
            path.parent
            for path in Path(temporary).glob("pip-*/*/PKG-INFO")
            if f"\nVersion: {version}\n" in path.read_text(encoding="utf-8", errors="replace")
        ]
        if not found:
            raise SystemExit(f"pip download did not unpack {spec}")
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(found[0]), target)
    (target / ".unpacked").write_text(f"{name}-{version} source")


def python_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.py") if path.is_file())


def count_lines(paths: list[Path]) -> int:
    return sum(path.read_bytes().count(b"\n") for path in paths)


def measure(command: list[str], cwd: Path, stdin: str = "") -> tuple[float, int, Output]:
    """Wall time, peak RSS (KiB) of the largest process in the tree, and the output."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(stdin)
    try:
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, handle.name, *command],
            cwd=cwd,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(handle.name)
    body, _, tail = done.stdout.rpartition("\n@@measure ")
    wall, peak, returncode = tail.split()
    return float(wall), int(peak), Output(body, done.stderr, int(returncode))


def repeat(
    measurement: Measurement, runs: int, command: list[str], cwd: Path, before=None, stdin=""
) -> Output:
    output = Output("", "", 0)
    for index in range(runs):
        if before is not None:
            before(index)
        wall, peak, output = measure(command, cwd, stdin)
        measurement.walls.append(wall)
        measurement.peak_kib = max(measurement.peak_kib, peak)
        print(f"  {measurement.name}: run {index + 1}: {wall:.2f} s", file=sys.stderr)
    return output


def edit_and_measure(
    measurement: Measurement, runs: int, command: list[str], cwd: Path, path: Path
) -> None:
    """Each run appends a different comment to ``path`` (a cache miss); then restores it."""
    original = path.read_bytes()

    def edit(index: int) -> None:
        path.write_bytes(original + f"\n# benchmark edit {index} {time.time()}\n".encode())

    try:
        repeat(measurement, runs, command, cwd, edit)
    finally:
        path.write_bytes(original)


def portcheck_command() -> list[str]:
    found = shutil.which("portcheck")
    return [found] if found else [sys.executable, "-c", "from portcheck.cli import main; main()"]


def report_of(output: Output, what: str) -> dict:
    if "Traceback" in output.stderr or output.returncode not in (0, 1):
        raise SystemExit(f"{what} failed ({output.returncode}):\n{output.stderr[-3000:]}")
    return json.loads(output.stdout)


def measure_corpus(
    name: str, corpus: Path, args: argparse.Namespace, cache: Path
) -> tuple[list[Measurement], dict]:
    """Every case on one corpus, and its figures against the targets."""
    files = python_files(corpus)
    lines = count_lines(files)
    relative = [path.relative_to(corpus).as_posix() for path in files]
    print(f"{name}: {len(files):,} Python files, {lines:,} lines", file=sys.stderr)
    portcheck = portcheck_command()
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    json_check = [*portcheck, "check", "--format", "json", "--exit-zero", *jobs]

    def case(title: str, count: int = len(files), counted: int = lines) -> Measurement:
        return Measurement(f"{name}: {title}", count, counted)

    ruff = case("ruff check --no-cache (default rules)")
    repeat(
        ruff, args.runs, ["ruff", "check", "--no-cache", "--isolated", "--exit-zero", "."], corpus
    )

    floor = case("libcst.parse_module, every file, 1 process")
    repeat(
        floor,
        args.floor_runs or args.runs,
        [sys.executable, "-c", LIBCST_FLOOR],
        corpus,
        stdin="\n".join(str(path) for path in files) + "\n",
    )

    cold = case("portcheck cold (empty cache)")
    cold_output = repeat(
        cold,
        args.runs,
        [*json_check, "--cache-dir", str(cache), "."],
        corpus,
        before=lambda _: shutil.rmtree(cache, ignore_errors=True),
    )
    cold_report = report_of(cold_output, f"{name} cold run")

    warm = case("portcheck warm (nothing changed)")
    warm_check = [*json_check, "--cache-dir", str(cache), "."]
    warm_report = report_of(repeat(warm, args.runs, warm_check, corpus), f"{name} warm run")

    flagged = sorted(
        {finding["path"] for finding in cold_report["findings"] if finding["path"].endswith(".py")}
    )
    biggest = max((corpus / path for path in flagged), key=lambda path: path.stat().st_size)
    biggest_name = biggest.relative_to(corpus).as_posix()
    typical = corpus / random.Random(7).choice(flagged)
    touched = case(f"portcheck warm, `touch {biggest_name}`")
    repeat(touched, args.runs, warm_check, corpus, lambda _: biggest.touch())
    edited = case(f"portcheck warm, {typical.relative_to(corpus).as_posix()} edited")
    edit_and_measure(edited, args.runs, warm_check, corpus, typical)
    worst_edit = case(f"portcheck warm, {biggest_name} (biggest with findings) edited")
    edit_and_measure(worst_edit, args.runs, warm_check, corpus, biggest)

    picked = random.Random(7).sample(relative, PRE_COMMIT_FILES)
    pre_commit = case(
        f"portcheck on {PRE_COMMIT_FILES} files named (random, no cache)",
        PRE_COMMIT_FILES,
        count_lines([corpus / path for path in picked]),
    )
    repeat(pre_commit, args.runs, [*json_check, "--no-cache", *picked], corpus)

    heavy = random.Random(7).sample(flagged, min(PRE_COMMIT_FILES, len(flagged)))
    worst = case(
        f"portcheck on {len(heavy)} files with findings (no cache)",
        len(heavy),
        count_lines([corpus / path for path in heavy]),
    )
    repeat(worst, args.runs, [*json_check, "--no-cache", *heavy], corpus)

    reports = {"cold": cold_report, "warm": warm_report}
    by_jobs = {}
    for count in (1, 2):
        serial = case(f"portcheck cold, --jobs {count}")
        command = [*portcheck, "check", "--format", "json", "--exit-zero", "--jobs", str(count)]
        reports[f"jobs {count}"] = report_of(
            repeat(serial, args.runs, [*command, "--no-cache", "."], corpus),
            f"{name} --jobs {count} run",
        )
        by_jobs[count] = serial

    measurements = [
        ruff,
        floor,
        cold,
        warm,
        touched,
        edited,
        worst_edit,
        pre_commit,
        worst,
        *by_jobs.values(),
    ]
    figures = {
        "files": len(files),
        "lines": lines,
        "specs": [spec for spec, _ in CORPORA[name]],
        "targets": {
            "cold / libcst floor <= 0.25": round(cold.median / floor.median, 3),
            "warm / ruff --no-cache <= 2": round(warm.median / ruff.median, 3),
            "one typical file edited < 1 s": round(edited.median, 3),
            "the biggest file with findings edited < 1 s": round(worst_edit.median, 3),
            "10 random files named < 0.5 s": round(pre_commit.median, 3),
            "peak RSS of any process < 500 MiB": round(
                max(m.peak_kib for m in measurements if m is not floor) / 1024
            ),
            "--jobs 1 / --jobs 2 >= 1.8": round(by_jobs[1].median / by_jobs[2].median, 3),
        },
        "report": {
            "files_checked": cold_report["summary"]["files_checked"],
            "files_parsed": cold_report["summary"]["files_parsed"],
            "findings": len(cold_report["findings"]),
            "diagnostics": len(cold_report["diagnostics"]),
            "identical_cold_warm_jobs1_jobs2": all(
                report["findings"] == cold_report["findings"] for report in reports.values()
            ),
        },
        "pre_commit_files": picked,
    }
    if name == "mixed":
        transformers_dir = next(corpus.glob("transformers/transformers"))
        transformers_files = python_files(transformers_dir)
        transformers = case(
            "portcheck cold, transformers wheel only",
            len(transformers_files),
            count_lines(transformers_files),
        )
        transformers_output = repeat(
            transformers, 1, [*json_check, "--no-cache", str(transformers_dir)], corpus
        )
        transformers_report = report_of(transformers_output, "transformers run")
        measurements.append(transformers)
        figures["transformers"] = {
            "wall": transformers.median,
            "files_checked": transformers_report["summary"]["files_checked"],
            "findings": len(transformers_report["findings"]),
            "diagnostics": len(transformers_report["diagnostics"]),
            "traceback": "Traceback" in transformers_output.stderr,
        }
    figures["measurements"] = [asdict(m) | {"median": m.median} for m in measurements]
    return measurements, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache/portcheck-bench")
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument("--floor-runs", type=int, help="runs of the libcst floor [--runs]")
    parser.add_argument("--jobs", type=int, help="portcheck --jobs [cores]")
    parser.add_argument(
        "--corpus", choices=sorted(CORPORA), action="append", help="only these [both]"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    root = args.cache_dir.expanduser()
    load_before = os.getloadavg()
    measurements: list[Measurement] = []
    corpora = {}
    for name in args.corpus or list(CORPORA):
        corpus = build_corpus(root, name)
        found, figures = measure_corpus(name, corpus, args, root / f"portcheck-cache-{name}")
        measurements.extend(found)
        corpora[name] = figures
    figures = {
        "machine": {
            "cores": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "python": sys.version.split()[0],
        },
        "corpora": corpora,
    }
    print("| case | files | median wall | files/s | lines/s | peak RSS | runs (s) |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for measurement in measurements:
        print(measurement.row())
    print()
    for name, found in corpora.items():
        for target, figure in found["targets"].items():
            print(f"- {name}: {target}: {figure}")
        print(f"- {name}: report: {json.dumps(found['report'])}")
        if "transformers" in found:
            print(f"- {name}: transformers: {json.dumps(found['transformers'])}")
    print(f"- load average before/after: {load_before} / {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
