"""Record types of the knowledge base.

Frozen dataclasses, so rules can share, hash and cache them freely; the JSON and TOML
files are the only place where facts live as dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from packaging.utils import canonicalize_name

Category = Literal["auto", "rewrite", "blocker", "caution"]
CATEGORIES: tuple[str, ...] = ("auto", "rewrite", "blocker", "caution")


@dataclass(frozen=True)
class ApiFact:
    """How one CUDA-side name (or every name under a prefix) moves to Ascend."""

    api: str
    category: str
    replacement: str | None
    note: str
    evidence: str
    verified: bool
    prefix: bool
    shim: bool

    def to_json(self) -> dict[str, object]:
        """The fact as ``rules/knowledge/torch_npu-*.json`` stores it (fields in order)."""
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ApiFact:
        """The fact from the JSON (or a curated TOML entry, where prefix and shim are
        optional)."""
        return cls(
            api=raw["api"],
            category=raw["category"],
            replacement=raw.get("replacement"),
            note=raw["note"],
            evidence=raw["evidence"],
            verified=bool(raw["verified"]),
            prefix=bool(raw.get("prefix", False)),
            shim=bool(raw.get("shim", False)),
        )


@dataclass(frozen=True)
class EnvVarFact:
    """A CUDA/NCCL environment variable and its Ascend counterpart, if any."""

    name: str
    category: str
    replacement: str | None
    note: str
    evidence: str
    verified: bool


@dataclass(frozen=True)
class PackageFact:
    """A pip distribution that only works with CUDA, and what to use instead."""

    distribution: str
    modules: tuple[str, ...]
    category: str
    alternative: str | None
    note: str
    evidence: str
    verified: bool


@dataclass(frozen=True)
class TorchRequirement:
    """One torch_npu release and the torch release its wheel's METADATA requires."""

    torch_npu: str
    torch: str
    requires_dist: str
    evidence: str


@dataclass(frozen=True)
class ShimFacts:
    """What ``torch_npu.contrib.transfer_to_npu`` does at run time in one release.

    ``device_wrapped``: calls whose ``"cuda"`` device arguments (positional, ``device_kwargs``,
    ``device_ids``) are rewritten to ``"npu"``; ``hccl_wrapped``: calls whose ``"nccl"``
    backend string becomes ``"hccl"``; ``aliases``: ``(cuda-side name, what it is bound to)``;
    ``patched_modules``: ``(cuda module, npu module)`` pairs whose npu ``__all__`` names are
    copied onto the cuda module; ``triton_disabled``: where ``has_triton`` is forced False.
    """

    evidence: str
    device_wrapped: tuple[str, ...]
    device_kwargs: tuple[str, ...]
    hccl_wrapped: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]
    patched_modules: tuple[tuple[str, str], ...]
    jit_script_disabled: bool
    triton_disabled: tuple[str, ...]
    white_lists: tuple[tuple[str, tuple[str, ...]], ...]

    def wraps_device(self, qualified_name: str) -> bool:
        """True when the shim rewrites ``"cuda"`` device arguments of this call."""
        return qualified_name in self.device_wrapped

    def alias(self, qualified_name: str) -> str | None:
        """What the shim binds a name to (``torch.Tensor.cuda`` → ``torch.Tensor.npu``)."""
        return dict(self.aliases).get(qualified_name)

    @property
    def double_downcast(self) -> bool:
        """True when ``torch.cuda.DoubleTensor`` silently becomes a float32 tensor type."""
        return (self.alias("torch.cuda.DoubleTensor") or "").endswith("FloatTensor")


def normalise_distribution(name: str) -> str:
    """PEP 503 normalised distribution name (``Flash_Attn`` → ``flash-attn``): the one
    normaliser of the knowledge base and the manifests alike, packaging's."""
    return canonicalize_name(name)
