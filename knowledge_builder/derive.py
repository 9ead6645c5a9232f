"""Derive one release's API facts from a torch wheel and a torch_npu wheel (pure; no I/O
beyond reading the two readers), and serialise them reproducibly.

Order of the rules for a CUDA name: hand-kept override (if its replacement exists in the
release), NVTX→MSTX, same name in the torch_npu module, the CUDA→NPU rename, then a generic
fallback.  Every fact records the wheel member it rests on.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge_builder.overrides import CUBLAS_MATMUL_NOOP, OVERRIDES, Override
from knowledge_builder.shim import SHIM_MEMBER, derive_shim
from knowledge_builder.strings import env_strings
from knowledge_builder.wheel import (
    WheelReader,
    class_public_attributes,
    class_public_methods,
    compared_names,
    dotted,
    find_class,
    find_method,
    literal_all,
    module_namespace,
    top_level_public,
)
from portcheck.knowledge.model import ApiFact

SCHEMA = 1
CUDA_SUBMODULES = (
    "amp",
    "gds",
    "graphs",
    "green_contexts",
    "jiterator",
    "memory",
    "nccl",
    "nvtx",
    "profiler",
    "random",
    "sparse",
    "streams",
    "tunable",
)
OP_DOCS = "torch_npu/_op_plugin_docs.py"


@dataclass(frozen=True)
class CudaName:
    """A public CUDA-side name and where torch defines it."""

    api: str
    source: str
    npu_module: str | None  # torch_npu module that may hold the same name
    is_module: bool = False


def cuda_names(torch: WheelReader) -> list[CudaName]:
    """Public names of torch.cuda (+ submodules), torch.backends.cuda and torch.backends.cudnn."""
    found: dict[str, CudaName] = {}

    def add(api: str, member: str, how: str, npu: str | None, is_module: bool = False) -> None:
        found.setdefault(api, CudaName(api, f"{torch.label}: {member} {how}", npu, is_module))

    cuda_init = "torch/cuda/__init__.py"
    add("torch.cuda", cuda_init, "(module)", "torch_npu", True)
    for name in _exported(torch, cuda_init):
        add(f"torch.cuda.{name}", cuda_init, "__all__", "torch_npu.npu", name in CUDA_SUBMODULES)
    for sub in CUDA_SUBMODULES:
        member = torch.module_file(f"torch.cuda.{sub}")
        if member is None:
            continue
        add(f"torch.cuda.{sub}", member, "(module)", "torch_npu.npu", True)
        for name in _exported(torch, member):
            add(f"torch.cuda.{sub}.{name}", member, "__all__", f"torch_npu.npu.{sub}")

    backends = "torch/backends/cuda/__init__.py"
    add("torch.backends.cuda", backends, "(module)", None, True)
    for name in _exported(torch, backends):
        add(f"torch.backends.cuda.{name}", backends, "__all__", "torch_npu.npu")
    tree = torch.module(backends)
    cublas = find_class(tree, "cuBLASModule") if tree else None
    getter = find_method(cublas, "__getattr__") if cublas else None
    for attr in compared_names(getter) if getter else ():
        add(f"torch.backends.cuda.matmul.{attr}", backends, "cuBLASModule.__getattr__", None)

    cudnn = "torch/backends/cudnn/__init__.py"
    add("torch.backends.cudnn", cudnn, "(module)", None, True)
    tree = torch.module(cudnn)
    if tree is not None:
        for name in top_level_public(tree):
            add(f"torch.backends.cudnn.{name}", cudnn, "module level", None)
        module_class = find_class(tree, "CudnnModule")
        for name in class_public_attributes(module_class) if module_class else ():
            add(f"torch.backends.cudnn.{name}", cudnn, "CudnnModule (ContextProp)", None)
    return sorted(found.values(), key=lambda c: c.api)


def _exported(reader: WheelReader, member: str) -> tuple[str, ...]:
    tree = reader.module(member)
    if tree is None:
        return ()
    exported = literal_all(tree)
    return exported if exported is not None else top_level_public(tree)


class NpuIndex:
    """Name lookups in one torch_npu wheel."""

    def __init__(self, reader: WheelReader) -> None:
        self.reader = reader
        self._namespaces: dict[str, dict[str, str]] = {}
        self._ops: frozenset[str] | None = None

    def namespace(self, module: str) -> dict[str, str]:
        if module not in self._namespaces:
            self._namespaces[module] = module_namespace(self.reader, module)
        return self._namespaces[module]

    def lookup(self, module: str, name: str) -> str | None:
        """The member that defines ``module.name`` (a name or a submodule), else None."""
        where = self.namespace(module).get(name)
        return where or self.reader.module_file(f"{module}.{name}")

    def exported(self, module: str) -> tuple[str, ...]:
        member = self.reader.module_file(module)
        tree = self.reader.module(member) if member else None
        return (literal_all(tree) or ()) if tree else ()

    def mstx_methods(self) -> tuple[str, ...]:
        """Public methods of ``torch_npu.npu.mstx`` (a class), plus ``annotate`` if exported."""
        tree = self.reader.module("torch_npu/npu/mstx.py")
        cls = find_class(tree, "mstx") if tree else None
        if cls is None:
            return ()
        extra = ("annotate",) if "annotate" in (literal_all(tree) or ()) else ()
        return tuple(sorted(class_public_methods(cls) + extra))

    def symbol(self, name: str) -> str | None:
        """Evidence member for a ``torch_npu.…``/``torch.npu.…`` name, None if absent."""
        if name.startswith("torch.npu"):
            name = "torch_npu.npu" + name[len("torch.npu") :]
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            module = ".".join(parts[:cut])
            member = self.reader.module_file(module)
            if member is None:
                continue
            rest = parts[cut:]
            if not rest:
                return member
            found = self.namespace(module).get(rest[0])
            if found is None and module == "torch_npu" and self._documented_op(rest[0]):
                found = OP_DOCS
            if found and len(rest) == 1:
                return found
            if found and len(rest) == 2 and self._has_attribute(found, rest[0], rest[1]):
                return found
            return None
        return None

    def _documented_op(self, op: str) -> bool:
        """True when ``_op_plugin_docs.py`` documents ``torch_npu.<op>``: the C++ ops carry
        no Python definition, so their ``_add_torch_npu_docstr("op", ...)`` call is the proof."""
        if self._ops is None:
            tree = self.reader.module(OP_DOCS)
            self._ops = frozenset(
                node.args[0].value
                for node in (ast.walk(tree) if tree else ())
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_add_torch_npu_docstr"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            )
        return op in self._ops

    def _has_attribute(self, member: str, owner: str, attr: str) -> bool:
        """``owner.attr`` in ``member``: a class method/attribute or an attribute-dispatching
        ``__getattr__``.  ``owner`` may be an instance bound at module level
        (``matmul = npu_config._allowHF32Matmul()``), whose class is then looked up."""
        tree = self.reader.module(member)
        if tree is None:
            return False
        if owner == "mstx" and attr in self.mstx_methods():
            return True
        cls = find_class(tree, owner)
        if cls is None:
            cls = self._instance_class(member, tree, owner)
        if cls is None:
            return False
        getter = find_method(cls, "__getattr__")
        return (
            attr in class_public_methods(cls)
            or attr in class_public_attributes(cls)
            or (getter is not None and attr in compared_names(getter))
        )

    def _instance_class(self, member: str, tree: ast.Module, name: str) -> ast.ClassDef | None:
        """The class of ``name = [module.]Class()`` in ``tree``, found in ``member``'s package."""
        for node in tree.body:
            if not (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
                and isinstance(node.value, ast.Call)
            ):
                continue
            path = dotted(node.value.func) or ""
            module, _, cls_name = path.rpartition(".")
            package = member.rpartition("/")[0]
            source = f"{package}/{module.replace('.', '/')}.py" if module else member
            source_tree = self.reader.module(source)
            return find_class(source_tree, cls_name) if source_tree else None
        return None


def _override_for(api: str) -> Override | None:
    """The exact override, else one marked ``prefix`` on a dotted parent of ``api``."""
    if api in OVERRIDES:
        return OVERRIDES[api]
    parts = api.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        rule = OVERRIDES.get(".".join(parts[:cut]))
        if rule is not None and rule.prefix:
            return rule
    return None


def _public(name: str) -> str:
    """User-facing spelling: torch_npu registers torch_npu.npu as torch.npu."""
    if name == "torch_npu.npu" or name.startswith("torch_npu.npu."):
        return "torch.npu" + name[len("torch_npu.npu") :]
    return name


def _renamed(name: str) -> str:
    return name.replace("CUDA", "NPU").replace("Cuda", "Npu").replace("cuda", "npu")


class _Classifier:
    def __init__(self, npu: NpuIndex, shim: dict[str, object] | None) -> None:
        self.npu = npu
        self.label = npu.reader.label
        self.shim = shim or {}
        self.aliases: dict[str, str] = dict(self.shim.get("aliases", {}))  # type: ignore[arg-type]
        self.patched: dict[str, str] = dict(self.shim.get("patched_modules", {}))  # type: ignore[arg-type]

    def fact(self, cuda: CudaName) -> ApiFact:
        return (
            self._override(cuda) or self._nvtx(cuda) or self._matched(cuda) or self._fallback(cuda)
        )

    def _make(
        self,
        cuda: CudaName,
        category: str,
        replacement: str | None,
        note: str,
        evidence: str,
        prefix: bool = False,
        shim: bool = False,
    ) -> ApiFact:
        return ApiFact(
            api=cuda.api,
            category=category,
            replacement=replacement,
            note=note,
            evidence=f"{cuda.source}; {evidence}",
            verified=True,
            prefix=prefix,
            shim=shim,
        )

    def _override(self, cuda: CudaName) -> ApiFact | None:
        rule = _override_for(cuda.api)
        if rule is None:
            return None
        evidence = f"{self.label}: {rule.source}" if "torch_npu/" in rule.source else rule.source
        if rule.replacement and rule.replacement.startswith(("torch.npu", "torch_npu")):
            where = self.npu.symbol(rule.replacement)
            if where is None:
                return None
            evidence = f"{self.label}: {where} ({rule.replacement})"
        prefix = rule.prefix and cuda.api in OVERRIDES
        return self._make(cuda, rule.category, rule.replacement, rule.note, evidence, prefix)

    def _nvtx(self, cuda: CudaName) -> ApiFact | None:
        if not cuda.api.startswith("torch.cuda.nvtx"):
            return None
        methods = self.npu.mstx_methods()
        where = f"{self.label}: torch_npu/npu/mstx.py class mstx"
        if cuda.api == "torch.cuda.nvtx":
            note = "NVTX ranges become MSTX ranges on Ascend: call torch_npu.npu.mstx instead."
            return self._make(cuda, "rewrite", "torch_npu.npu.mstx", note, where)
        name = cuda.api.rpartition(".")[2]
        target = name if name in methods else None
        if name == "range":
            target = next((m for m in ("annotate", "mstx_range") if m in methods), None)
        evidence = f"{where} (methods: {', '.join(methods)})"
        if target is None and name in ("range_push", "range_pop") and "range_start" in methods:
            note = (
                f"torch_npu.npu.mstx in this release has no {name}; restructure the range as "
                "range_id = mstx.range_start(message) ... mstx.range_end(range_id)."
            )
            return self._make(cuda, "rewrite", "torch_npu.npu.mstx.range_start", note, evidence)
        if target is None:
            note = f"torch_npu.npu.mstx in this release has no counterpart of nvtx.{name}."
            return self._make(cuda, "blocker", None, note, evidence)
        note = f"Replace the NVTX call with torch_npu.npu.mstx.{target} (MSTX, Ascend's NVTX)."
        if target == "mstx_range":
            note = "Use the decorator torch_npu.npu.mstx.mstx_range (no context-manager form here)."
        return self._make(cuda, "rewrite", f"torch_npu.npu.mstx.{target}", note, where)

    def _matched(self, cuda: CudaName) -> ApiFact | None:
        if cuda.npu_module is None:
            return None
        name = cuda.api.rpartition(".")[2]
        for module in dict.fromkeys((cuda.npu_module, "torch_npu.npu")):
            for candidate in dict.fromkeys((name, _renamed(name))):
                where = self.npu.lookup(module, candidate)
                if where is not None:
                    return self._auto(cuda, module, candidate, where)
        return None

    def _auto(self, cuda: CudaName, module: str, name: str, where: str) -> ApiFact:
        replacement = _public(f"{module}.{name}")
        cuda_module = cuda.api.rpartition(".")[0]
        copied = self.patched.get(cuda_module) == module and name == cuda.api.rpartition(".")[2]
        shim = (copied and name in self.npu.exported(module)) or cuda.api in self.aliases
        shim = shim or (cuda.is_module and cuda.api in self.patched)
        evidence = f"{self.label}: {where}"
        if name in self.npu.exported(module):
            evidence += f" (in {self.npu.reader.module_file(module)} __all__)"
        alias = self.aliases.get(cuda.api)
        if alias and alias.rpartition(".")[2] != name:
            note = (
                f"transfer_to_npu rebinds it to {alias}, so the behaviour changes "
                f"(e.g. float64 becomes float32); use {replacement} only where that is acceptable."
            )
            return self._make(
                cuda, "caution", replacement, note, f"{evidence}; {self._shim_ev()}", shim=True
            )
        if shim:
            note = f"Use {replacement}; transfer_to_npu also maps it at run time."
            evidence += f"; {self._shim_ev()}"
        else:
            note = (
                f"Use {replacement}; transfer_to_npu does not migrate this name, change the code."
            )
        return self._make(cuda, "auto", replacement, note, evidence, shim=shim)

    def _shim_ev(self) -> str:
        return f"{self.label}: {SHIM_MEMBER}"

    def _fallback(self, cuda: CudaName) -> ApiFact:
        where = f"{self.label}: no counterpart in {cuda.npu_module or 'torch_npu'}"
        if cuda.api.startswith("torch.backends.cuda.matmul."):
            return self._make(
                cuda,
                "caution",
                None,
                CUBLAS_MATMUL_NOOP,
                f"{self.label}: torch_npu/npu/npu_config.py has no {cuda.api.rpartition('.')[2]}",
            )
        if cuda.api.startswith("torch.backends.cudnn"):
            note = "torch_npu does not use cuDNN; this cuDNN setting or query does nothing for NPU."
            return self._make(cuda, "caution", None, note, where, prefix=cuda.is_module)
        if cuda.api.startswith("torch.backends.cuda"):
            note = (
                "CUDA library setting with no torch_npu counterpart; guard it for CUDA or drop it."
            )
            return self._make(cuda, "caution", None, note, where, prefix=cuda.is_module)
        note = "No torch_npu counterpart; this CUDA-only API needs a redesign or removal on Ascend."
        return self._make(cuda, "blocker", None, note, where, prefix=cuda.is_module)


def _alias_facts(shim: dict[str, object] | None, label: str, known: set[str]) -> list[ApiFact]:
    """Shim aliases of CUDA-flavoured names not listed by torch (``torch.Tensor.cuda`` …)."""
    facts = []
    for target, value in dict((shim or {}).get("aliases", {})).items():  # type: ignore[arg-type]
        last = target.rpartition(".")[2].lower()
        private = any(p.startswith("_") for p in target.split("."))
        if target in known or private or not any(k in last for k in ("cuda", "nccl", "gpu")):
            continue
        facts.append(
            ApiFact(
                api=target,
                category="auto",
                replacement=str(value),
                note=f"Use {value}; transfer_to_npu also rebinds {target} to it at run time.",
                evidence=f"{label}: {SHIM_MEMBER} ({target} = {value})",
                verified=True,
                prefix=False,
                shim=True,
            )
        )
    return facts


def derive_release(
    torch: WheelReader,
    npu: WheelReader,
    version: str,
    inputs: dict[str, dict[str, str]],
    probes: Iterable[str] = (),
    env_probes: Iterable[str] = (),
) -> dict[str, object]:
    """The full JSON-ready document of one torch_npu release.

    ``inputs`` pins the wheels (file name + sha256); ``probes`` are torch_npu names that
    curated entries require, recorded under ``symbols`` with the member that defines them;
    ``env_probes`` are environment variable names curated env entries require, recorded
    under ``strings`` with the first member whose bytes name them.
    """
    shim = derive_shim(npu)
    index = NpuIndex(npu)
    classifier = _Classifier(index, shim)
    names = cuda_names(torch)
    apis = [classifier.fact(c) for c in names]
    apis += _alias_facts(shim, npu.label, {c.api for c in names})
    symbols = {p: f"{npu.label}: {w}" for p in sorted(set(probes)) if (w := index.symbol(p))}
    return {
        "schema": SCHEMA,
        "target": f"torch_npu=={version}",
        "version": version,
        "inputs": inputs,
        "apis": [fact.to_json() for fact in sorted(apis, key=lambda fact: fact.api)],
        "shim": shim,
        "symbols": symbols,
        "strings": env_strings(npu, env_probes),
    }


def dumps(document: dict[str, object]) -> str:
    """Canonical JSON: sorted keys, two-space indent, trailing newline (byte-reproducible)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
