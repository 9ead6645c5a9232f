"""Which aten operators need a backend kernel (torch) and which have an NPU one (torch_npu).

Two YAML files, read as data out of the wheels:

- torch's ``torchgen/packaged/ATen/native/native_functions.yaml``: an overload whose
  dispatch names ``CUDA`` (directly or through ``structured_delegate``) needs a device
  kernel; one with no dispatch section, or a ``CompositeImplicitAutograd`` /
  ``CompositeExplicitAutograd`` kernel, is written in other ops and needs none.
- torch_npu's ``torch_npu/csrc/aten/npu_native_functions_by_codegen.yaml`` (and the
  hand-written ``npu_native_functions.yaml``): the aten overloads torch_npu registers
  kernels for (``supported``, ``autograd``, ``symint``, ``quant``) and its own ``custom`` ops.

PyYAML's safe loader parses them (``CSafeLoader`` when built with libyaml: 2 s instead of 20).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import yaml

TORCH_YAML = "torchgen/packaged/ATen/native/native_functions.yaml"
NPU_YAMLS = (
    "torch_npu/csrc/aten/npu_native_functions_by_codegen.yaml",
    "torch_npu/csrc/aten/npu_native_functions.yaml",
)
NPU_SECTIONS = ("supported", "autograd", "symint", "quant")
COMPOSITE = ("CompositeImplicitAutograd", "CompositeExplicitAutograd")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> object:
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


def overload_name(entry: object) -> str | None:
    """``add.Tensor`` for ``"add.Tensor"`` or ``{"func": "add.Tensor(Tensor self) -> ..."}``."""
    func = entry.get("func") if isinstance(entry, dict) else entry
    return func.split("(", 1)[0].strip() if isinstance(func, str) else None


def base_name(overload: str) -> str:
    return overload.split(".", 1)[0]


@dataclass(frozen=True)
class Overload:
    """One overload of native_functions.yaml, reduced to what coverage needs."""

    name: str
    python_module: str | None
    variants: tuple[str, ...]
    dispatch_keys: tuple[str, ...]
    delegate: str | None


def torch_overloads(text: str) -> dict[str, Overload]:
    """Every overload of torch's native_functions.yaml by ``name.overload``."""
    out: dict[str, Overload] = {}
    for entry in load_yaml(text) or ():
        name = overload_name(entry)
        if name is None:
            continue
        keys: list[str] = []
        for key in entry.get("dispatch") or {}:
            keys.extend(k.strip() for k in str(key).split(","))
        variants = tuple(v.strip() for v in str(entry.get("variants", "function")).split(","))
        delegate = entry.get("structured_delegate")
        out[name] = Overload(name, entry.get("python_module"), variants, tuple(keys), delegate)
    return out


def npu_kernels(texts: Iterable[str]) -> frozenset[str]:
    """The aten overload names (``name.overload``) torch_npu registers NPU kernels for."""
    found: set[str] = set()
    for text in texts:
        document = load_yaml(text) or {}
        for section in NPU_SECTIONS:
            found.update(n for e in document.get(section) or () if (n := overload_name(e)))
    return frozenset(found)


class KernelTable:
    """Kernel facts per aten base name (``lgamma`` covers ``lgamma``, ``lgamma.out`` …)."""

    def __init__(self, overloads: dict[str, Overload], npu: frozenset[str]) -> None:
        self.overloads = overloads
        self.npu = npu
        self._by_base: dict[str, list[Overload]] = {}
        for overload in overloads.values():
            self._by_base.setdefault(base_name(overload.name), []).append(overload)
        self._npu_bases = frozenset(base_name(n) for n in npu)

    def has_op(self, base: str) -> bool:
        return base in self._by_base

    def variants(self, base: str) -> frozenset[str]:
        return frozenset(v for o in self._by_base.get(base, ()) for v in o.variants)

    def python_module(self, base: str) -> str | None:
        modules = {o.python_module for o in self._by_base.get(base, ())}
        return next(iter(modules)) if len(modules) == 1 else None

    def _needs_kernel(self, overload: Overload) -> bool:
        keys = overload.dispatch_keys
        if overload.delegate and not keys:
            target = self.overloads.get(overload.delegate)
            keys = target.dispatch_keys if target else ()
        return "CUDA" in keys and not any(k in COMPOSITE for k in keys)

    def status(self, base: str) -> str:
        """``"composite"`` (no overload needs a device kernel), ``"npu"`` (torch_npu has a
        kernel for one of its overloads, for the overload one delegates to, or, for an
        in-place ``x_``, for ``x``) or ``"missing"`` (CUDA kernels only)."""
        overloads = self._by_base.get(base, ())
        if not any(self._needs_kernel(o) for o in overloads):
            return "composite"
        covered = (
            base in self._npu_bases
            or any(o.delegate in self.npu for o in overloads if o.delegate)
            or (base.endswith("_") and base[:-1] in self._npu_bases)
        )
        return "npu" if covered else "missing"
