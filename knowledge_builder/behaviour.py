"""Behaviour facts: CUDA names whose torch_npu counterpart exists but does not do the same.

A name that exists in torch_npu is not enough for ``auto``. This module reads the body of
each same-name torch_npu function (with :mod:`ast`, never importing it) and records, with
the wheel file and line:

- it can ``return None`` (``get_device_capability`` without TORCH_NPU_DEVICE_CAPABILITY):
  ``rewrite``, since code that unpacks or compares the result raises;
- it warns that the device does not support it or that it only sets a flag, or raises
  because it is unsupported (the SDPA switches, graph capture options): ``caution``;
- it returns a torch_npu C++ object where CUDA returns a documented structure
  (``get_device_properties``): ``caution``, unverified, because the fields are not
  visible in the wheel's Python.

It also records three run-time patterns with their source lines: re-initialising the NPU
in a forked process fails, ``torch.version.cuda`` is None on the CPU build torch_npu runs
on, and ``ProcessGroupNCCL`` is rebound to ``ProcessGroupHCCL`` by transfer_to_npu.

Output: ``rules/knowledge/behaviour-torch_npu-<release>.json``; the loader lets these
facts replace the generated name facts of the same API (curated ones still win).
Run ``python -m knowledge_builder.behaviour [--check]``.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

from knowledge_builder.build import API_RELEASES, RELEASES, TORCH, _label, fetch
from knowledge_builder.derive import NpuIndex, cuda_names, dumps
from knowledge_builder.output import write_outputs
from knowledge_builder.wheel import WheelReader, dotted
from portcheck.knowledge.load import data_dir

SCHEMA = 1
UNSUPPORTED = ("not support", "isn't implemented", "not implemented", "only sets", "only set ")
WARNERS = ("warn", "warning")
FORK_ERROR = "Cannot re-initialize NPU in forked subprocess"
FORK_MEMBER = "torch_npu/npu/__init__.py"
VERSION_MEMBER = "torch/version.py"
SHIM_MEMBER = "torch_npu/contrib/transfer_to_npu.py"


def _text_of(node: ast.AST) -> str:
    """The constant text of a string or f-string (its literal parts)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text_of(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _text_of(node.left) + _text_of(node.right)
    return ""


def _own_nodes(definition: ast.AST) -> list[ast.AST]:
    """Nodes of a function body (or of a class's methods), not of nested functions."""
    out: list[ast.AST] = []
    pending = list(ast.iter_child_nodes(definition))
    while pending:
        node = pending.pop()
        out.append(node)
        nested = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if not nested or isinstance(definition, ast.ClassDef):
            pending.extend(ast.iter_child_nodes(node))
    return out


def _unsupported_line(definition: ast.AST) -> tuple[int, str] | None:
    """The first warning or raise that says the device does not support this."""
    found = []
    for node in _own_nodes(definition):
        call = node.exc if isinstance(node, ast.Raise) else node
        if not isinstance(call, ast.Call):
            continue
        name = (dotted(call.func) or "").rpartition(".")[2]
        is_raise = isinstance(node, ast.Raise)
        if not is_raise and name not in WARNERS:
            continue
        text = " ".join(_text_of(a) for a in call.args).lower()
        if "only set" in text:
            found.append((node.lineno, "only sets a global flag and warns"))
        elif any(marker in text for marker in UNSUPPORTED):
            found.append((node.lineno, "raises" if is_raise else "warns"))
    return min(found) if found else None


def _returns_none(definition: ast.AST) -> int | None:
    lines = [
        node.lineno
        for node in _own_nodes(definition)
        if isinstance(node, ast.Return)
        and isinstance(node.value, ast.Constant)
        and node.value.value is None
    ]
    return min(lines) if lines else None


def _returns_c_object(definition: ast.AST) -> int | None:
    for node in _own_nodes(definition):
        call = node.value if isinstance(node, ast.Return) else None
        if isinstance(call, ast.Call) and "._C." in f".{dotted(call.func) or ''}":
            return node.lineno
    return None


def _definition(tree: ast.Module, name: str) -> ast.AST | None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return node
    return None


def _fact(api: str, category: str, replacement: str | None, note: str, evidence: str,
          verified: bool = True) -> dict[str, object]:  # fmt: skip
    return {
        "api": api,
        "category": category,
        "replacement": replacement,
        "note": note,
        "evidence": evidence,
        "verified": verified,
        "prefix": False,
        "shim": False,
    }


def classify(
    api: str, replacement: str, member: str, tree: ast.Module, label: str
) -> dict[str, object] | None:
    """The behaviour fact of one CUDA name whose torch_npu counterpart is ``replacement``
    (defined in ``member``), or None when its body shows nothing different."""
    definition = _definition(tree, replacement.rpartition(".")[2])
    if definition is None:
        return None
    where = f"{label}: {member}"
    none_line = _returns_none(definition)
    if none_line is not None and isinstance(definition, ast.FunctionDef):
        note = (
            f"{replacement} exists but can return None on NPU ({member}:{none_line}), so code "
            "that unpacks or compares its result (major, minor = ...) raises; handle None or "
            "branch on the device type instead."
        )
        return _fact(api, "rewrite", replacement, note, f"{where}:{none_line} returns None")
    unsupported = _unsupported_line(definition)
    if unsupported is not None:
        line, how = unsupported
        what = how if how.startswith("only") else f"{how} that the NPU does not support it all"
        note = (
            f"{replacement} exists but {what} ({member}:{line}): it runs, but not as on CUDA; "
            "check what the code relies on."
        )
        return _fact(api, "caution", replacement, note, f"{where}:{line} {how}")
    c_line = _returns_c_object(definition)
    if c_line is not None and replacement.endswith("_properties"):
        note = (
            f"{replacement} returns torch_npu's own C++ properties object ({member}:{c_line}), "
            "not CUDA's: fields such as major, minor or multi_processor_count may be missing."
        )
        evidence = f"{where}:{c_line} returns a torch_npu._C object (fields not in the Python)"
        return _fact(api, "caution", replacement, note, evidence, verified=False)
    return None


def _line_of(reader: WheelReader, member: str, needle: str) -> int | None:
    for number, line in enumerate((reader.text(member) or "").splitlines(), 1):
        if needle in line:
            return number
    return None


def pattern_facts(torch: WheelReader, npu: WheelReader) -> list[dict[str, object]]:
    """The run-time patterns, each only when its source line is found."""
    out = []
    if (line := _line_of(npu, FORK_MEMBER, FORK_ERROR)) is not None:
        note = (
            "A process forked after the NPU was initialised cannot use it (torch_npu raises "
            "'Cannot re-initialize NPU in forked subprocess'); use the 'spawn' or "
            "'forkserver' start method."
        )
        evidence = f"{npu.label}: {FORK_MEMBER}:{line}"
        out.append(_fact("multiprocessing.fork", "rewrite", "spawn", note, evidence))
    if (line := _line_of(torch, VERSION_MEMBER, "cuda: Optional[str] = None")) is not None:
        note = (
            "torch_npu runs on a CPU build of torch, where torch.version.cuda is None: code "
            "that parses it fails and code that tests it takes the non-CUDA branch; test "
            "torch.npu.is_available() or torch_npu.__version__ instead."
        )
        evidence = f"{torch.label}: {VERSION_MEMBER}:{line} (cuda = None)"
        out.append(_fact("torch.version.cuda", "caution", None, note, evidence))
    hccl = "torch_npu._C._distributed_c10d.ProcessGroupHCCL"
    if (line := _line_of(npu, SHIM_MEMBER, f"ProcessGroupNCCL = {hccl}")) is not None:
        note = (
            "There is no NCCL process group on Ascend (transfer_to_npu rebinds the name to "
            "ProcessGroupHCCL, whose options differ); create groups with "
            "torch.distributed.new_group / init_process_group(backend='hccl')."
        )
        evidence = f"{npu.label}: {SHIM_MEMBER}:{line}"
        for api in ("torch.distributed.ProcessGroupNCCL",):
            out.append(_fact(api, "rewrite", hccl, note, evidence))
    return out


def derive_behaviour(torch: WheelReader, npu: WheelReader, version: str) -> dict[str, object]:
    index = NpuIndex(npu)
    facts = []
    for cuda in cuda_names(torch):
        if cuda.npu_module is None or cuda.is_module:
            continue
        name = cuda.api.rpartition(".")[2]
        renamed = name.replace("CUDA", "NPU").replace("cuda", "npu")
        for candidate in dict.fromkeys((name, renamed)):
            member = index.lookup(cuda.npu_module, candidate) or index.lookup(
                "torch_npu.npu", candidate
            )
            tree = npu.module(member) if member else None
            if member and tree is not None:
                module = member.removesuffix("/__init__.py").removesuffix(".py")
                public = "torch.npu" if module.startswith("torch_npu/npu") else "torch_npu"
                fact = classify(cuda.api, f"{public}.{candidate}", member, tree, npu.label)
                if fact is not None:
                    facts.append(fact)
                break
    facts += pattern_facts(torch, npu)
    return {
        "schema": SCHEMA,
        "target": f"torch_npu=={version}",
        "version": version,
        "apis": sorted(facts, key=lambda f: str(f["api"])),
    }


def build(wheel_dir: Path) -> dict[str, str]:
    """One behaviour file per release with name facts (``API_RELEASES``): the loader lets
    behaviour facts replace name facts, so a release without one keeps every same-name
    counterpart ``auto``, even one that returns None."""
    torch = WheelReader(fetch(TORCH, wheel_dir), _label(TORCH))
    out = {}
    for pin in (p for p in RELEASES if p.version in API_RELEASES):
        npu = WheelReader(fetch(pin, wheel_dir), _label(pin))
        out[f"behaviour-torch_npu-{pin.version}.json"] = dumps(
            derive_behaviour(torch, npu, pin.version)
        )
        npu.close()
    torch.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_builder.behaviour")
    parser.add_argument("--wheel-dir", type=Path, default=Path.home() / ".cache" / "portcheck-kb")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--check", action="store_true", help="fail if the files would change")
    args = parser.parse_args(argv)
    return write_outputs(build(args.wheel_dir), Path(args.out_dir or data_dir()), args.check)


if __name__ == "__main__":
    raise SystemExit(main())
