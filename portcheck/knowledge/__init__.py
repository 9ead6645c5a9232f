"""The Ascend knowledge base: what each CUDA touchpoint becomes on torch_npu, per release.

Generated facts come from the real torch_npu wheels (``python -m knowledge_builder.build``);
curated ones from ``rules/knowledge/curated.toml``.  Import cost is tiny: data loads lazily.
"""

from __future__ import annotations

from portcheck.knowledge.chips import (
    DEFAULT_CHIP,
    Chip,
    UnknownChipError,
    known_chips,
    resolve_chip,
)
from portcheck.knowledge.coverage import CoverageFact
from portcheck.knowledge.explain import explain
from portcheck.knowledge.load import (
    Knowledge,
    UnknownTargetError,
    default_target,
    known_targets,
    load_knowledge,
    release_table,
)
from portcheck.knowledge.model import (
    ApiFact,
    Category,
    EnvVarFact,
    PackageFact,
    ShimFacts,
    TorchRequirement,
    normalise_distribution,
)

__all__ = [
    "DEFAULT_CHIP",
    "ApiFact",
    "Category",
    "Chip",
    "CoverageFact",
    "EnvVarFact",
    "Knowledge",
    "PackageFact",
    "ShimFacts",
    "TorchRequirement",
    "UnknownChipError",
    "UnknownTargetError",
    "default_target",
    "explain",
    "known_chips",
    "known_targets",
    "load_knowledge",
    "normalise_distribution",
    "release_table",
    "resolve_chip",
]
