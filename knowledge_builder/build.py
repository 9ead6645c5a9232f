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
from knowledge_builder.metadata import torch_requirement
from knowledge_builder.output import write_outputs
from knowledge_builder.wheel import WheelReader
from portcheck.knowledge.load import RELEASES_FILE, curated_env_probes, curated_probes, data_dir


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
        "2.13.0",
        "torch_npu-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        "0deb809cf447d3fce636ccfdc9c9f874950f1fe76f18f4aaab31e2d345f7dac0",
        "manylinux_2_28_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.12.0.post3",
        "torch_npu-2.12.0.post3-cp311-cp311-manylinux_2_28_x86_64.whl",
        "70776a5afc58c3291efb38bcce8a83284fb3285758bd4472b9d47841788a2be1",
        "manylinux_2_28_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.11.0.post3",
        "torch_npu-2.11.0.post3-cp311-cp311-manylinux_2_28_x86_64.whl",
        "7489f67010989c56ed39deb6e25cb809c4d2cc99e7cc3426386e044c4ee8b55d",
        "manylinux_2_28_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.10.0.post7",
        "torch_npu-2.10.0.post7-cp311-cp311-manylinux_2_28_x86_64.whl",
        "e30908176906d894199ab8eb6bb61b26c69768837125c69d028a1deb8b1f22f1",
        "manylinux_2_28_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.9.1",
        "torch_npu-2.9.1-cp311-cp311-manylinux_2_28_x86_64.whl",
        "e9161b177c3fae71c32ab76fc6ed441fb1ed80035da2e623840133f1540db7cd",
        "manylinux_2_28_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.8.0.post5",
        "torch_npu-2.8.0.post5-cp311-cp311-manylinux_2_28_x86_64.whl",
        "ae866d77780152cfbff83f9ebd7fe2aceba985949ceceedafca12c075231f3ea",
        "manylinux_2_28_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.7.1.post11",
        "torch_npu-2.7.1.post11-cp311-cp311-manylinux_2_28_x86_64.whl",
        "a5885ce98844ea2b92df7084ba1a2b411abf31bdfeac0ec12a88415499c181ad",
        "manylinux_2_28_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.6.0.post5",
        "torch_npu-2.6.0.post5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "dc35b413cb90fabba9042945793ffebd2d65e530712a3fbf148833b83fa1da48",
        "manylinux2014_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.5.1.post1",
        "torch_npu-2.5.1.post1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "c0ee549621d905f4006b37d9e815fffa15b10cbda3bcdf364daeeb88cd9d21d2",
        "manylinux2014_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.4.0.post4",
        "torch_npu-2.4.0.post4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "2981f78e47841d5612b2a94c23f8e7c76ef10d1ace9d36acc6a5a899d833896d",
        "manylinux2014_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.3.1.post6",
        "torch_npu-2.3.1.post6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "a9828c330d10aae54cba68c18f42ab5d949df0f44a67adf14e586f913589e641",
        "manylinux2014_x86_64",
    ),
    Pin(
        "torch-npu",
        "2.1.0.post17",
        "torch_npu-2.1.0.post17-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "f0e57c46321fe47e18a0b05115a1e3e38d0741ab67c800ed73de3850abe01083",
        "manylinux2014_x86_64",
    ),
)
"""The newest release of every torch_npu minor line on PyPI (cp311, x86_64; the older lines
are manylinux2014 wheels, 2.7 onwards manylinux_2_28). Each one's METADATA feeds the
version table ``releases.json``."""
API_RELEASES = frozenset({"2.1.0.post17", "2.3.1.post6", "2.6.0.post5", "2.9.1", "2.14.0"})
"""Releases whose API knowledge is bundled (one ``torch_npu-<version>.json`` each, ~140 KB):
the oldest and newest lines and three between, so every other line has a neighbour."""


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


def build(wheel_dir: Path) -> dict[str, str]:
    """Every generated file's text keyed by file name: the API knowledge of each release in
    ``API_RELEASES`` and the version table of all ``RELEASES``."""
    torch = WheelReader(fetch(TORCH, wheel_dir), _label(TORCH))
    probes, env_probes = curated_probes(), curated_env_probes()
    out: dict[str, str] = {}
    table = []
    for pin in RELEASES:
        npu = WheelReader(fetch(pin, wheel_dir), _label(pin))
        table.append({**torch_requirement(npu, pin.version), "sha256": pin.sha256})
        if pin.version in API_RELEASES:
            inputs = {
                "torch": {"wheel": TORCH.filename, "sha256": TORCH.sha256},
                "torch_npu": {"wheel": pin.filename, "sha256": pin.sha256},
            }
            document = derive_release(torch, npu, pin.version, inputs, probes, env_probes)
            out[f"torch_npu-{pin.version}.json"] = dumps(document)
        npu.close()
    torch.close()
    out[RELEASES_FILE] = dumps({"schema": 1, "releases": table})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_builder.build")
    parser.add_argument("--wheel-dir", type=Path, default=Path.home() / ".cache" / "portcheck-kb")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--check", action="store_true", help="fail if the files would change")
    args = parser.parse_args(argv)
    return write_outputs(build(args.wheel_dir), args.out_dir or data_dir(), args.check)


if __name__ == "__main__":
    raise SystemExit(main())
