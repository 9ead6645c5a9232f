"""Generate ``rules/knowledge/coverage-torch_npu-<release>.json``: which public PyTorch APIs
and dtypes have no NPU support, per chip, with the evidence of every verdict.

Run ``python -m knowledge_builder.coverage --docs DIR --docs-commit SHA [--check]`` where
DIR is ``docs/zh/api/native_api`` of a checkout of github.com/Ascend/pytorch at SHA.  The
torch_npu wheels come from :mod:`knowledge_builder.build` (same pins, same cache); each
release is compared with the operator list of its own torch (:data:`COVERAGE_TORCH`).

Two sources, and the rule where they disagree (per chip):

=================================  ===============  =========  ===========================
Ascend's list for the chip         NPU kernel       category   reason
=================================  ===============  =========  ===========================
✘                                  none / no op     rewrite    ``listed-unsupported``
✘                                  yes              caution    ``listed-unsupported-kernel``
✔ and "may fall back to the CPU"   any              caution    ``cpu-fallback``
✔                                  none             caution    ``listed-no-kernel``
not listed ("unverified")          none             rewrite    ``no-kernel``
✔ or not listed                    yes / composite  (no fact)
=================================  ===============  =========  ===========================

"NPU kernel: none" means torch has a CUDA kernel for the op and torch_npu registers none for
any of its overloads; a CompositeImplicitAutograd op decomposes into other ops and needs
none.  The list has no column for the 910A (Atlas training series), so 910A verdicts rest
on the kernels alone.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from knowledge_builder.ascend_docs import DocEntry, docs_dir_not_newer, read_docs
from knowledge_builder.build import RELEASES, Pin, _label, fetch
from knowledge_builder.derive import dumps
from knowledge_builder.kernels import (
    NPU_YAMLS,
    TORCH_YAML,
    KernelTable,
    npu_kernels,
    torch_overloads,
)
from knowledge_builder.metadata import torch_requirement
from knowledge_builder.output import write_outputs
from knowledge_builder.wheel import WheelReader, top_level_public
from portcheck.knowledge.load import data_dir

SCHEMA = 1
CHIPS = ("910a", "950dt", "atlas-a2", "atlas-a3")
DOCS_REPOSITORY = "https://github.com/Ascend/pytorch"


def _macos_torch(version: str, filename: str, sha256: str) -> Pin:
    platform = filename.rsplit("-", 1)[1].removesuffix(".whl")
    return Pin("torch", version, filename, sha256, platform)


COVERAGE_TORCH: dict[str, Pin] = {
    "2.1.0.post17": _macos_torch(
        "2.1.0",
        "torch-2.1.0-cp311-none-macosx_11_0_arm64.whl",
        "3cd1dedff13884d890f18eea620184fb4cd8fd3c68ce3300498f427ae93aa962",
    ),
    "2.3.1.post6": _macos_torch(
        "2.3.1",
        "torch-2.3.1-cp311-none-macosx_11_0_arm64.whl",
        "a7dd4ed388ad1f3d502bf09453d5fe596c7b121de7e0cfaca1e2017782e9bbac",
    ),
    "2.6.0.post5": _macos_torch(
        "2.6.0",
        "torch-2.6.0-cp311-none-macosx_11_0_arm64.whl",
        "94fc63b3b4bedd327af588696559f68c264440e2503cc9e6954019473d74ae21",
    ),
    "2.9.1": _macos_torch(
        "2.9.1",
        "torch-2.9.1-cp311-none-macosx_11_0_arm64.whl",
        "52347912d868653e1528b47cafaf79b285b98be3f4f35d5955389b1b95224475",
    ),
    "2.14.0": _macos_torch(
        "2.14.0",
        "torch-2.14.0-cp311-cp311-macosx_14_0_arm64.whl",
        "ae530ddd3f3b94248b77f1fd3313c4f3405bd0d17283d505b81574816767133a",
    ),
}
"""The torch wheel each release with coverage is compared with: the torch its wheel's
METADATA requires (checked at build time).  These are PyPI's macOS arm64 CPU wheels, the
smallest torch wheels PyPI has (60-130 MB against ~900 MB for the CUDA manylinux ones); the
files read are platform-independent (torch 2.13.0's native_functions.yaml and
nn/functional.py are byte-identical in its macOS arm64 and linux +cpu wheels)."""
SUBMODULES = ("linalg", "special", "fft")
FAMILIES = (
    "torch.linalg.",
    "torch.special.",
    "torch.fft.",
    "torch.nn.functional.",
    "torch.sparse.",
    "torch.func.",
    "torch.export.",
    "torch.nn.utils.rnn.",
    "torch.nn.parallel.",
    "torch.utils.dlpack.",
)
NN_FUNCTIONAL = "torch/nn/functional.py"
FP8 = ("float8_e4m3fn", "float8_e5m2")
"""Storage conversion methods of Ascend's list that name a dtype: ``torch.<name>``."""
UNSIGNED = {"uint16": "torch.uint16", "uint32": "torch.uint32", "uint64": "torch.uint64"}
"""Dtypes flagged where none of the list's "only supports" dtype lists names them."""
LISTED_CHIPS = ("950dt", "atlas-a2", "atlas-a3")
"""The chips Ascend's list has a column for."""
BF16_GATE = "torch_npu/npu/autocast_utils.py"

CATEGORY = {
    "listed-unsupported": "rewrite",
    "listed-unsupported-kernel": "caution",
    "cpu-fallback": "caution",
    "listed-no-kernel": "caution",
    "no-kernel": "rewrite",
}


def in_scope(api: str) -> bool:
    """A public API the rules can see at a call site: ``torch.X``, ``torch.nn.Module``
    classes, Tensor methods and the functions of :data:`FAMILIES` (not their members)."""
    parts = api.split(".")
    if any(p.startswith("_") for p in parts[1:]) or parts[0] != "torch":
        return False
    if len(parts) == 2:
        return True
    if len(parts) == 3 and parts[1] in ("nn", "Tensor"):
        return parts[1] == "Tensor" or parts[2][:1].isupper()
    family = next((f for f in FAMILIES if api.startswith(f)), None)
    return family is not None and api.count(".") == family.count(".")


def aten_base(api: str) -> str | None:
    """The aten operator a public API calls by name, when it is a direct binding."""
    parts = api.split(".")
    if len(parts) == 2:
        return parts[1]
    if len(parts) == 3 and parts[1] == "Tensor":
        return parts[2]
    if len(parts) == 3 and parts[1] in SUBMODULES:
        return f"{parts[1]}_{parts[2]}"
    if api.startswith("torch.nn.functional.") and len(parts) == 4:
        return parts[3]
    return None


def kernel_apis(table: KernelTable, functional: Iterable[str]) -> dict[str, str]:
    """Public API -> aten base for every op whose status is not composite."""
    functional = frozenset(functional)
    out: dict[str, str] = {}
    for base in sorted({o.name.split(".", 1)[0] for o in table.overloads.values()}):
        if base.startswith("_") or table.status(base) == "composite":
            continue
        variants = table.variants(base)
        module = table.python_module(base)
        if "function" in variants and module is None:
            out[f"torch.{base}"] = base
        elif "function" in variants and module in SUBMODULES and base.startswith(module + "_"):
            out[f"torch.{module}.{base[len(module) + 1 :]}"] = base
        elif module == "nn" and base in functional:
            out[f"torch.nn.functional.{base}"] = base
        if "method" in variants:
            out[f"torch.Tensor.{base}"] = base
    return out


def verdict(listed: bool | None, fallback: bool, kernel: str | None) -> str | None:
    """The reason code for one chip (see the module docstring), None for no fact."""
    if listed is False:
        return "listed-unsupported-kernel" if kernel == "npu" else "listed-unsupported"
    if listed and fallback:
        return "cpu-fallback"
    if kernel != "missing":
        return None
    return "listed-no-kernel" if listed else "no-kernel"


class Sources:
    """The evidence labels of one release's inputs."""

    def __init__(
        self,
        torch_label: str,
        npu_label: str,
        docs: str | None,
        commit: str,
        bf16_gate: str | None = None,
    ) -> None:
        self.torch = torch_label
        self.npu = npu_label
        self.docs = docs
        self.commit = commit
        self.bf16_gate = bf16_gate
        """Where torch_npu makes bf16 depend on the chip (``is_bf16_supported()``)."""

    def kernel(self, base: str, status: str) -> str:
        if status == "npu":
            return f"{self.npu}: {NPU_YAMLS[0]} registers aten::{base}"
        if status == "composite":
            return f"{self.torch}: {TORCH_YAML} aten::{base} is composite (needs no kernel)"
        return (
            f"{self.torch}: {TORCH_YAML} dispatches aten::{base} to CUDA kernels; "
            f"{self.npu}: {NPU_YAMLS[0]} has no kernel for any of its overloads"
        )

    def doc(self, entry: DocEntry) -> str:
        return f"Ascend/pytorch@{self.commit[:12]}: {self.docs}/{entry.file} § {entry.heading}"


def api_facts(
    table: KernelTable, docs: list[DocEntry], functional: Iterable[str], sources: Sources
) -> list[dict[str, object]]:
    """Every in-scope API with a fact on at least one chip."""
    by_api = {e.api: e for e in docs if in_scope(e.api)}
    candidates = kernel_apis(table, functional)
    out = []
    for api in sorted(set(by_api) | set(candidates)):
        entry = by_api.get(api)
        base = candidates.get(api) or aten_base(api)
        status = table.status(base) if base and table.has_op(base) else None
        support = dict(entry.support) if entry else {}
        chips = {}
        for chip in CHIPS:
            reason = verdict(support.get(chip), bool(entry and entry.cpu_fallback), status)
            if reason is not None:
                chips[chip] = {"category": CATEGORY[reason], "reason": reason}
        if not chips:
            continue
        evidence = [sources.doc(entry)] if entry else []
        if status is not None and base is not None:
            evidence.append(sources.kernel(base, status))
        out.append(
            {
                "api": api,
                "method": api.startswith("torch.Tensor."),
                "aten": base if status is not None else None,
                "kernel": status,
                "chips": chips,
                "evidence": "; ".join(evidence),
            }
        )
    return out


def dtype_facts(docs: list[DocEntry], sources: Sources) -> list[dict[str, object]]:
    """FP8 dtypes per chip, from the list's verdicts on the Storage conversions
    (``torch.UntypedStorage.float8_e4m3fn()`` ...): unsupported on a chip when every
    Storage entry of that conversion says ✘ there."""
    out = []
    for name in FP8:
        entries = [e for e in docs if e.api.endswith(f"Storage.{name}")]
        if not entries:
            continue
        chips = {}
        for chip in CHIPS:
            verdicts = [dict(e.support).get(chip) for e in entries]
            if verdicts and all(v is False for v in verdicts):
                chips[chip] = {"category": "blocker", "reason": "dtype-unsupported"}
        out.append(
            {
                "dtype": f"torch.{name}",
                "chips": chips,
                "evidence": "; ".join(sources.doc(e) for e in entries),
            }
        )
    return out


def unlisted_dtype_facts(docs: list[DocEntry], sources: Sources) -> list[dict[str, object]]:
    """Unsigned dtypes that no "only supports" list names (caution, for the listed chips),
    and bf16 on the 910A where the list's 910A-only dtype lists leave it out while the
    same entry's lists for other chips name it."""
    lists = [(e, scope, dtypes) for e in docs for scope, dtypes in e.dtype_lists]
    out = []
    where = f"{len(lists)} 'only supports' dtype lists of {sources.docs}"
    for token, dtype in UNSIGNED.items():
        if lists and not any(token in dtypes for _, _, dtypes in lists):
            chips = {c: {"category": "caution", "reason": "dtype-unlisted"} for c in LISTED_CHIPS}
            evidence = f"Ascend/pytorch@{sources.commit[:12]}: none of the {where} names {token}"
            out.append({"dtype": dtype, "chips": chips, "evidence": evidence})
    without = [
        e
        for e, scope, dtypes in lists
        if scope == ("910a",)
        and "bf16" not in dtypes
        and any("bf16" in d for s, d in e.dtype_lists if s and "910a" not in s)
    ]
    if without and sources.bf16_gate:
        evidence = [sources.doc(e) + " (910A list without bf16)" for e in without]
        out.append(
            {
                "dtype": "torch.bfloat16",
                "chips": {"910a": {"category": "caution", "reason": "dtype-unlisted"}},
                "evidence": "; ".join([*evidence, sources.bf16_gate]),
            }
        )
    return out


def summary(apis: list[dict[str, object]], dtypes: list[dict[str, object]]) -> dict[str, object]:
    """Fact counts per chip and reason, so a rebuild's change is visible in review."""
    counts: Counter[str] = Counter()
    for fact in apis + dtypes:
        for chip, verdict_ in fact["chips"].items():  # type: ignore[attr-defined]
            counts[f"{chip} {verdict_['reason']}"] += 1
    return dict(sorted(counts.items()))


def derive_coverage(
    torch: WheelReader,
    npu: WheelReader,
    docs_root: Path | None,
    commit: str,
    version: str,
    inputs: dict[str, object],
) -> dict[str, object]:
    """The JSON-ready coverage document of one release (pure apart from reading inputs)."""
    torch_text = torch.text(TORCH_YAML)
    if torch_text is None:
        raise SystemExit(f"{torch.label} has no {TORCH_YAML}")
    npu_texts = [t for member in NPU_YAMLS if (t := npu.text(member)) is not None]
    if not npu_texts:
        raise SystemExit(f"{npu.label} has no {NPU_YAMLS[0]}")
    table = KernelTable(torch_overloads(torch_text), npu_kernels(npu_texts))
    functional_tree = torch.module(NN_FUNCTIONAL)
    functional = top_level_public(functional_tree) if functional_tree else ()
    docs_dir = docs_dir_not_newer(docs_root, version) if docs_root else None
    relative = f"docs/zh/api/native_api/{docs_dir.name}" if docs_dir else None
    docs = read_docs(docs_dir) if docs_dir else []
    sources = Sources(torch.label, npu.label, relative, commit, _bf16_gate(npu))
    apis = api_facts(table, docs, functional, sources)
    dtypes = dtype_facts(docs, sources) + unlisted_dtype_facts(docs, sources)
    return {
        "schema": SCHEMA,
        "target": f"torch_npu=={version}",
        "version": version,
        "chips": list(CHIPS),
        "inputs": {
            **inputs,
            "docs": {"repository": DOCS_REPOSITORY, "commit": commit, "directory": relative},
        },
        "apis": apis,
        "dtypes": dtypes,
        "summary": summary(apis, dtypes),
    }


def _bf16_gate(npu: WheelReader) -> str | None:
    """``<wheel>: autocast_utils.py:N`` where bfloat16 is offered only if the chip has it."""
    text = npu.text(BF16_GATE) or ""
    for number, line in enumerate(text.splitlines(), 1):
        if "is_bf16_supported()" in line:
            gate = "offers torch.bfloat16 to autocast only if is_bf16_supported()"
            return f"{npu.label}: {BF16_GATE}:{number} {gate}"
    return None


def build(wheel_dir: Path, docs_root: Path, commit: str) -> dict[str, str]:
    """Every coverage file's JSON text keyed by file name, one per :data:`COVERAGE_TORCH`
    release; stops when a torch pin is not the torch the torch_npu wheel requires."""
    out: dict[str, str] = {}
    for pin in RELEASES:
        torch_pin = COVERAGE_TORCH.get(pin.version)
        if torch_pin is None:
            continue
        npu = WheelReader(fetch(pin, wheel_dir), _label(pin))
        required = torch_requirement(npu, pin.version)
        if required["torch"] != torch_pin.version:
            raise SystemExit(
                f"{required['evidence']}, but COVERAGE_TORCH pins torch {torch_pin.version}"
            )
        torch = WheelReader(fetch(torch_pin, wheel_dir), _label(torch_pin))
        inputs = {
            "torch": {
                "wheel": torch_pin.filename,
                "sha256": torch_pin.sha256,
                "required_by": required["evidence"],
            },
            "torch_npu": {"wheel": pin.filename, "sha256": pin.sha256},
        }
        document = derive_coverage(torch, npu, docs_root, commit, pin.version, inputs)
        out[f"coverage-torch_npu-{pin.version}.json"] = dumps(document)
        torch.close()
        npu.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_builder.coverage")
    parser.add_argument("--docs", type=Path, required=True, help="docs/zh/api/native_api dir")
    parser.add_argument("--docs-commit", required=True, help="the Ascend/pytorch commit read")
    parser.add_argument("--wheel-dir", type=Path, default=Path.home() / ".cache" / "portcheck-kb")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--check", action="store_true", help="fail if the files would change")
    args = parser.parse_args(argv)
    files = build(args.wheel_dir, args.docs, args.docs_commit)
    return write_outputs(files, Path(args.out_dir or data_dir()), args.check)


if __name__ == "__main__":
    raise SystemExit(main())
