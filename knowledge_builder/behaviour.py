"""Behaviour facts: CUDA names whose torch_npu counterpart exists but does not do the same.

A name that exists in torch_npu is not enough for ``auto``. This module reads the body of
each same-name torch_npu function (with :mod:`ast`, never importing it) and records, with
the wheel file and line:

- it can ``return None`` (``get_device_capability`` without TORCH_NPU_DEVICE_CAPABILITY):
  ``rewrite``, since code that unpacks or compares the result raises;
- it warns that the device does not support it or that it only sets a flag, or raises
  because it is unsupported (the SDPA switches): ``caution``. A warning or error that
  torch's own CUDA code gives too (``make_graphed_callables`` refuses autocast caching on
  both) is no difference, nor is one in a method the CUDA class does not have;
- it returns a torch_npu C++ object where CUDA returns a documented structure
  (``get_device_properties``): ``caution``, unverified, because the fields are not
  visible in the wheel's Python, unless Ascend's support list names the fields it fills.

Ascend's support list of PyTorch native APIs adds what the Python cannot show: the CUDA
graph APIs (``CUDAGraph`` -> ``NPUGraph``, ``graph``, ``make_graphed_callables``) are
documented for inference only, not training: ``caution`` with the list's file and heading.
A release reads the list of the newest torch not newer than it (as the coverage builder
does); a release older than every list gets the oldest one, and the fact says it is
unverified for that release.

It also records three run-time patterns with their source lines: re-initialising the NPU
in a forked process fails, ``torch.version.cuda`` is None on the CPU build torch_npu runs
on, and ``ProcessGroupNCCL`` is rebound to ``ProcessGroupHCCL`` by transfer_to_npu, or,
where it is not, is missing from that CPU build (no library registers it).

Output: ``rules/knowledge/behaviour-torch_npu-<release>.json``; the loader lets these
facts replace the generated name facts of the same API (curated ones still win).
Run ``python -m knowledge_builder.behaviour --docs DIR --docs-commit SHA [--check]`` (DIR is
``docs/zh/api/native_api`` of a checkout of github.com/Ascend/pytorch at SHA).
"""

from __future__ import annotations

import argparse
import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge_builder.ascend_docs import DocEntry, docs_dir_not_newer, oldest_docs_dir, read_docs
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
C10D_MEMBER = "torch/distributed/distributed_c10d.py"
NCCL_GROUP = "torch.distributed.ProcessGroupNCCL"
CUDA_SOURCES = ("torch/cuda/", "torch/backends/cuda/")
ENV_READERS = ("os.getenv", "os.environ.get")


@dataclass(frozen=True)
class CudaSide:
    """What torch's own CUDA code says: a warning or error it gives too is no difference,
    and a method its class does not have is not what CUDA code calls."""

    messages: frozenset[str] = frozenset()
    methods: dict[str, frozenset[str]] = field(default_factory=dict)

    def says(self, text: str) -> bool:
        return text.strip().lower() in self.messages


def cuda_side(torch: WheelReader) -> CudaSide:
    """Every string constant and every class's methods of torch/cuda and torch/backends/cuda."""
    messages: set[str] = set()
    methods: dict[str, frozenset[str]] = {}
    for member in torch.members():
        if not member.endswith(".py") or not member.startswith(CUDA_SOURCES):
            continue
        tree = torch.module(member)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                messages.add(node.value.strip().lower())
            elif isinstance(node, ast.ClassDef):
                names = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
                methods.setdefault(node.name, frozenset(names))
    return CudaSide(frozenset(messages), methods)


@dataclass(frozen=True)
class Docs:
    """Ascend's support list as one release reads it."""

    entries: dict[str, DocEntry]
    where: str
    """``Ascend/pytorch@<sha>: docs/zh/api/native_api/pytorch_x-y-z``"""
    applies: bool
    """False when the list is for a newer torch than the release (no older list exists)."""

    def entry(self, api: str) -> DocEntry | None:
        """The list's entry of a CUDA name; it names ``torch.cuda.graphs.X`` as
        ``torch.cuda.X``."""
        return self.entries.get(api) or self.entries.get(api.replace(".cuda.graphs.", ".cuda."))


def docs_for(root: Path, commit: str, version: str) -> Docs | None:
    directory = docs_dir_not_newer(root, version)
    applies = directory is not None
    directory = directory or oldest_docs_dir(root)
    if directory is None:
        return None
    entries = {e.api: e for e in read_docs(directory)}
    where = f"Ascend/pytorch@{commit[:12]}: docs/zh/api/native_api/{directory.name}"
    return Docs(entries, where, applies)


def _text_of(node: ast.AST) -> str:
    """The constant text of a string or f-string (its literal parts)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text_of(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _text_of(node.left) + _text_of(node.right)
    return ""


def _own_nodes(definition: ast.AST, methods: frozenset[str] | None = None) -> list[ast.AST]:
    """Nodes of a function body (or of a class's methods, only those in ``methods`` when
    given), not of nested functions."""
    out: list[ast.AST] = []
    pending = [
        node
        for node in ast.iter_child_nodes(definition)
        if methods is None
        or not isinstance(definition, ast.ClassDef)
        or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        or node.name in methods
    ]
    while pending:
        node = pending.pop()
        out.append(node)
        nested = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if not nested or isinstance(definition, ast.ClassDef):
            pending.extend(ast.iter_child_nodes(node))
    return out


def _unsupported_line(
    definition: ast.AST, cuda: CudaSide, methods: frozenset[str] | None
) -> tuple[int, str] | None:
    """The first warning or raise that says the device does not support this (and that
    torch's CUDA code does not give as well)."""
    found = []
    for node in _own_nodes(definition, methods):
        call = node.exc if isinstance(node, ast.Raise) else node
        if not isinstance(call, ast.Call):
            continue
        name = (dotted(call.func) or "").rpartition(".")[2]
        is_raise = isinstance(node, ast.Raise)
        if not is_raise and name not in WARNERS:
            continue
        texts = [_text_of(a) for a in call.args]
        if any(cuda.says(t) for t in texts if t.strip()):
            continue
        text = " ".join(texts).lower()
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


def _env_read(node: ast.AST) -> str | None:
    """``X`` of ``os.getenv("X")`` / ``os.environ.get("X")``."""
    if not isinstance(node, ast.Call) or dotted(node.func) not in ENV_READERS or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _env_guard(definition: ast.AST, none_line: int) -> str | None:
    """The environment variable whose absence makes the function return None at
    ``none_line``: ``if not os.getenv("X"): return None``, or through a variable."""
    read: dict[str, str] = {}
    for node in ast.walk(definition):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, name = node.targets[0], _env_read(node.value)
            if isinstance(target, ast.Name) and name is not None:
                read[target.id] = name
    for node in ast.walk(definition):
        if not isinstance(node, ast.If) or not isinstance(node.test, ast.UnaryOp):
            continue
        if not isinstance(node.test.op, ast.Not):
            continue
        operand = node.test.operand
        name = read.get(operand.id) if isinstance(operand, ast.Name) else _env_read(operand)
        returns = {n.lineno for b in node.body for n in ast.walk(b) if isinstance(n, ast.Return)}
        if name is not None and none_line in returns:
            return name
    return None


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
    api: str,
    replacement: str,
    member: str,
    tree: ast.Module,
    label: str,
    cuda: CudaSide | None = None,
) -> dict[str, object] | None:
    """The behaviour fact of one CUDA name whose torch_npu counterpart is ``replacement``
    (defined in ``member``), or None when its body shows nothing different from CUDA's
    (``cuda``: torch's own CUDA code, when known)."""
    definition = _definition(tree, replacement.rpartition(".")[2])
    if definition is None:
        return None
    cuda = cuda or CudaSide()
    where = f"{label}: {member}"
    none_line = _returns_none(definition)
    if none_line is not None and isinstance(definition, ast.FunctionDef):
        env = _env_guard(definition, none_line)
        when = f"returns None unless {env} is set" if env else "can return None"
        note = (
            f"{replacement} exists but on NPU {when} ({member}:{none_line}), so code "
            "that unpacks or compares its result (major, minor = ...) raises; handle None or "
            "branch on the device type instead."
        )
        evidence = f"{where}:{none_line} returns None" + (f" unless {env} is set" if env else "")
        return _fact(api, "rewrite", replacement, note, evidence)
    methods = cuda.methods.get(api.rpartition(".")[2])
    unsupported = _unsupported_line(definition, cuda, methods)
    if unsupported is not None:
        line, how = unsupported
        what = how if how.startswith("only") else f"{how} that the NPU does not support it"
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


def with_docs(
    api: str, replacement: str, fact: dict[str, object] | None, entry: DocEntry, docs: Docs
) -> dict[str, object] | None:
    """``fact`` completed (or replaced) by what Ascend's list says of ``api``: inference
    only (the CUDA graph APIs), or which attributes a properties object fills."""
    heading = re.sub(r"<[^>]+>", "", entry.heading)  # "<code><i>class</i></code> torch.X"
    evidence = f"{docs.where}/{entry.file} § {heading}"
    lead = (
        ""
        if docs.applies
        else f" Unverified for this release: the oldest list ({docs.where}) is for a newer torch."
    )
    if entry.inference_only and (fact is None or fact["category"] == "caution"):
        note = (
            f"{replacement} exists, but Ascend's support list documents it for inference only, "
            "not training: keep graph capture out of training steps (backward, optimizer) "
            f"on NPU.{lead}"
        )
        evidence += " (restriction: inference only, not training)"
        return _fact(api, "caution", replacement, note, evidence, verified=docs.applies)
    if entry.attributes and fact is not None and not fact["verified"]:
        fields = ", ".join(entry.attributes)
        note = (
            f"{replacement} returns torch_npu's own properties object: Ascend's support list "
            f"says only {fields} are filled in; CUDA's other fields (major, minor, "
            f"multi_processor_count, ...) are empty.{lead}"
        )
        evidence = f"{fact['evidence']}; {evidence} (only {fields})"
        return _fact(api, "caution", replacement, note, evidence, verified=docs.applies)
    return fact


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
        out.append(_fact(NCCL_GROUP, "rewrite", hccl, note, evidence))
    elif (evidence := _nccl_absent(torch)) is not None:
        note = (
            "torch.distributed.ProcessGroupNCCL does not exist on the CPU build of torch that "
            "torch_npu runs on (no NCCL), and this torch_npu's transfer_to_npu does not rebind "
            "it: the name raises AttributeError. Create groups with "
            "init_process_group(backend='hccl') / new_group, and take options from "
            "torch_npu._C._distributed_c10d.ProcessGroupHCCL."
        )
        out.append(_fact(NCCL_GROUP, "rewrite", hccl, note, evidence))
    return out


def _nccl_absent(torch: WheelReader) -> str | None:
    """Evidence that the torch wheel has no ProcessGroupNCCL: distributed_c10d binds it only
    if torch._C has it, and no library of the wheel registers a class of that name."""
    line = _line_of(torch, C10D_MEMBER, "from torch._C._distributed_c10d import ProcessGroupNCCL")
    if line is None:
        return None
    registered = b"\x00ProcessGroupNCCL\x00"
    libraries = [m for m in torch.members() if m.startswith("torch/lib/libtorch_python")]
    if not libraries or any(registered in (torch.raw(m) or b"") for m in libraries):
        return None
    return (
        f"{torch.label}: {C10D_MEMBER}:{line} binds ProcessGroupNCCL only if torch._C has it; "
        f"{', '.join(libraries)} registers no class of that name"
    )


def derive_behaviour(
    torch: WheelReader, npu: WheelReader, version: str, docs: Docs | None = None
) -> dict[str, object]:
    index = NpuIndex(npu)
    cuda = cuda_side(torch)
    facts = []
    for cuda_name in cuda_names(torch):
        if cuda_name.npu_module is None or cuda_name.is_module:
            continue
        name = cuda_name.api.rpartition(".")[2]
        renamed = name.replace("CUDA", "NPU").replace("cuda", "npu")
        for candidate in dict.fromkeys((name, renamed)):
            member = index.lookup(cuda_name.npu_module, candidate) or index.lookup(
                "torch_npu.npu", candidate
            )
            tree = npu.module(member) if member else None
            if member and tree is not None:
                module = member.removesuffix("/__init__.py").removesuffix(".py")
                public = "torch.npu" if module.startswith("torch_npu/npu") else "torch_npu"
                replacement = f"{public}.{candidate}"
                fact = classify(cuda_name.api, replacement, member, tree, npu.label, cuda)
                entry = docs.entry(cuda_name.api) if docs else None
                if entry is not None and docs is not None:
                    fact = with_docs(cuda_name.api, replacement, fact, entry, docs)
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


def build(wheel_dir: Path, docs_root: Path, commit: str) -> dict[str, str]:
    """One behaviour file per release with name facts (``API_RELEASES``): the loader lets
    behaviour facts replace name facts, so a release without one keeps every same-name
    counterpart ``auto``, even one that returns None."""
    torch = WheelReader(fetch(TORCH, wheel_dir), _label(TORCH))
    out = {}
    for pin in (p for p in RELEASES if p.version in API_RELEASES):
        npu = WheelReader(fetch(pin, wheel_dir), _label(pin))
        docs = docs_for(docs_root, commit, pin.version)
        out[f"behaviour-torch_npu-{pin.version}.json"] = dumps(
            derive_behaviour(torch, npu, pin.version, docs)
        )
        npu.close()
    torch.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_builder.behaviour")
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
