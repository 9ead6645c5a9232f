"""Regenerate ``rules/knowledge/torch_npu-<version>.json`` from pinned wheels.

Run ``python -m knowledge_builder.build [--wheel-dir DIR] [--check]``.  Wheels are fetched
with ``pip download --no-deps`` into a cache, checked against the pinned sha256 and read
with zipfile + ast only (nothing is imported), so a rerun is byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from knowledge_builder.derive import derive_release, dumps
from knowledge_builder.wheel import WheelReader
from portcheck.knowledge.load import curated_probes, data_dir


@dataclass(frozen=True)
class Pin:
    """One exact wheel: how pip finds it and what its bytes must hash to."""

    project: str
    version: str
    filename: str
    sha256: str
    platform: str | None = None

    def pip_args(self) -> list[str]:
        args = ["download", "--no-deps", f"{self.project}=={self.version}"]
        if self.platform:
            args += ["--platform", self.platform, "--python-version", "3.11"]
            args += ["--only-binary=:all:"]
        return args


TORCH = Pin(
    "torch",
    "2.13.0",
    "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
    "6746dbcbeb526eb61330b76b41ff1b4eb848951103a892eeb080dfa2b264667b",
)
RELEASES: tuple[Pin, ...] = (
    Pin(
        "torch-npu",
        "2.14.0",
        "torch_npu-2.14.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        "7736f7d82cf9f16c7dfc4537f7e7c638153da760273a193455e70857f912189e",
        "manylinux_2_28_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.1.0.post17",
        "torch_npu-2.1.0.post17-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "f0e57c46321fe47e18a0b05115a1e3e38d0741ab67c800ed73de3850abe01083",
        "manylinux2014_x86_64",
    ),
)


def fetch(pin: Pin, wheel_dir: Path) -> Path:
    """The pinned wheel in ``wheel_dir``, downloading it if needed; raise on a hash mismatch."""
    path = wheel_dir / pin.filename
    if not path.exists():
        wheel_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", *pin.pip_args(), "-d", str(wheel_dir)]
        subprocess.run(cmd, check=True)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != pin.sha256:
        raise SystemExit(f"sha256 mismatch for {path}: {digest} != {pin.sha256}")
    return path


def _label(pin: Pin) -> str:
    return f"{pin.project.replace('-', '_')} {pin.version} wheel"


def build(wheel_dir: Path, out_dir: Path) -> dict[str, str]:
    """Every release's JSON text keyed by output file name."""
    torch = WheelReader(fetch(TORCH, wheel_dir), _label(TORCH))
    probes = curated_probes()
    out: dict[str, str] = {}
    for pin in RELEASES:
        npu = WheelReader(fetch(pin, wheel_dir), _label(pin))
        inputs = {
            "torch": {"wheel": TORCH.filename, "sha256": TORCH.sha256},
            "torch_npu": {"wheel": pin.filename, "sha256": pin.sha256},
        }
        document = derive_release(torch, npu, pin.version, inputs, probes)
        out[f"torch_npu-{pin.version}.json"] = dumps(document)
        npu.close()
    torch.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_builder.build")
    parser.add_argument("--wheel-dir", type=Path, default=Path.home() / ".cache" / "portcheck-kb")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--check", action="store_true", help="fail if the files would change")
    args = parser.parse_args(argv)
    out_dir = args.out_dir or data_dir()
    stale = []
    for name, text in build(args.wheel_dir, out_dir).items():
        target = out_dir / name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            target.write_text(text, encoding="utf-8", newline="\n")
    verb = "stale" if args.check else "written"
    print(f"{verb}: {', '.join(stale) if stale else 'nothing (up to date)'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
