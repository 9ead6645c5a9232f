"""PC001: every use of ``torch.cuda``, ``torch.backends.cuda`` and ``torch.backends.cudnn``.

Names are resolved through imports and aliases, so ``tc.synchronize()`` after
``import torch.cuda as tc`` is ``torch.cuda.synchronize``. Only the outermost name of
an attribute chain is reported: ``torch.cuda.amp.autocast`` is one finding, not three.
The category and the replacement come from the knowledge base of the target release.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Scope, ScopeProvider

from portcheck import expressions, import_bindings
from portcheck.import_bindings import ImportBinding
from portcheck.knowledge import ApiFact, Knowledge
from portcheck.prefilter import Needles
from portcheck.rule import Edit, Fix, Invalid, Rule, RuleContext, Valid

from ._advice import api_suggestion

CUDA_NAMESPACES = (
    "torch.cuda",
    "torch.backends.cuda",
    "torch.backends.cudnn",
    "torch.profiler.ProfilerActivity.CUDA",
    "torch.autograd.profiler.ProfilerActivity.CUDA",
)
NOT_AUTOMATIC = (
    "portcheck rewrites an aliased import only together with every use of its name, and "
    "here a use has no drop-in equivalent or the name is rebound: change this one by hand."
)
HF32_FLAGS = frozenset({"torch.backends.cuda.matmul.allow_tf32", "torch.backends.cudnn.allow_tf32"})
"""The caution facts fixed like auto ones: a bool flag for a bool flag. Other caution
replacements are not drop-ins (``cudnn.deterministic`` → a function call)."""


def is_cuda_name(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in CUDA_NAMESPACES)


class CudaApi(Rule):
    id = "PC001"
    name = "cuda-api"
    summary = "Use of a torch.cuda / torch.backends.cuda / torch.backends.cudnn API"
    category = "auto"
    fixable = True
    NEEDLES = Needles(names=frozenset(root.rsplit(".", 1)[1] for root in CUDA_NAMESPACES))
    """A name under ``torch.cuda`` has the identifier ``cuda`` written somewhere in the file."""

    VALID = (
        Valid("import torch\nimport torch_npu  # noqa: F401\ntorch.npu.synchronize()\n"),
        Valid(  # the CUDA fallback of an NPU check is already handled
            "import torch\nif hasattr(torch, 'npu'):\n    torch.npu.synchronize()\n"
            "else:\n    torch.cuda.synchronize()\n"
        ),
        Valid("import torch\nx = torch.device('cpu')\n"),
        Valid("class Cfg:\n    cuda_graph_enabled = False\n\nCfg().cuda_graph_enabled\n"),
        Valid("from . import cuda_utils\ncuda_utils.batch_size()\n"),
        Valid("use_cuda = True\nif use_cuda:\n    pass\n"),
    )
    INVALID = (
        Invalid(
            "import torch\nmajor, minor = torch.cuda.get_device_capability()\n",
            api="torch.cuda.get_device_capability",
            category="rewrite",
            expected_fix=None,
        ),
        Invalid(
            "import torch\ntorch.backends.cuda.enable_flash_sdp(False)\n",
            api="torch.backends.cuda.enable_flash_sdp",
            category="caution",
            expected_fix=None,
        ),
        Invalid(
            "import torch\ntorch.cuda.synchronize()\n",
            api="torch.cuda.synchronize",
            category="auto",
            expected_fix="import torch\nimport torch_npu  # noqa: F401\ntorch.npu.synchronize()\n",
        ),
        Invalid(
            "import torch as th\nth.cuda.empty_cache()\n",
            api="torch.cuda.empty_cache",
            expected_fix="import torch as th\nimport torch_npu  # noqa: F401\n"
            "th.npu.empty_cache()\n",
        ),
        Invalid(
            "import torch.cuda as tc\ntc.current_stream()\n"
            "a = tc.CUDAPluggableAllocator(p, m, f)\n",
            api="torch.cuda",
            category="auto",
            count=3,
            expected_fix="import torch_npu.npu as tc\ntc.current_stream()\n"
            "a = tc.NPUPluggableAllocator(p, m, f)\n",
        ),
        Invalid(
            "from torch import cuda\ncuda.device_count()\n",
            api="torch.cuda",
            count=2,
            expected_fix="from torch_npu import npu as cuda\ncuda.device_count()\n",
        ),
        Invalid(
            "from torch.cuda import amp\nwith amp.autocast():\n    pass\n",
            api="torch.cuda.amp",
            expected_fix="from torch_npu.npu import amp\nwith amp.autocast():\n    pass\n",
        ),
        Invalid(
            "from torch.cuda.amp import GradScaler, autocast\n"
            "scaler = GradScaler()\n"
            "with autocast():\n    pass\n",
            api="torch.cuda.amp.GradScaler",
            count=4,
            expected_fix="from torch_npu.npu.amp import GradScaler, autocast\n"
            "scaler = GradScaler()\n"
            "with autocast():\n    pass\n",
        ),
        Invalid(  # one use has no Ascend equivalent: rewriting the import would break it
            "import torch.cuda as tc\ntc.synchronize()\ntc.nvtx.range_push('step')\n",
            api="torch.cuda",
            count=3,
            expected_fix=None,
        ),
        Invalid(  # the alias is rebound, so not every use of `tc` is torch.cuda
            "import torch.cuda as tc\ntc.synchronize()\ntc = None\n",
            api="torch.cuda",
            category="rewrite",
            expected_fix=None,
        ),
        Invalid(
            "import torch\n\n@torch.cuda.amp.autocast()\ndef f():\n    pass\n",
            api="torch.cuda.amp.autocast",
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            "\n@torch.npu.amp.autocast()\n"
            "def f():\n    pass\n",
        ),
        Invalid(
            "import torch\nclass G(torch.cuda.CUDAPluggableAllocator):\n    pass\n",
            api="torch.cuda.CUDAPluggableAllocator",
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            "class G(torch.npu.NPUPluggableAllocator):\n    pass\n",
        ),
        Invalid(
            "import torch\ntorch.backends.cuda.matmul.allow_tf32 = True\n"
            "torch.backends.cudnn.allow_tf32 = True\n",
            api="torch.backends.cuda.matmul.allow_tf32",
            category="caution",
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            "torch.npu.matmul.allow_hf32 = True\n"
            "torch.npu.conv.allow_hf32 = True\n",
        ),
        Invalid(  # not a drop-in: deterministic mode is a function call on Ascend
            "import torch\ntorch.backends.cudnn.deterministic = True\n",
            api="torch.backends.cudnn.deterministic",
            category="caution",
            expected_fix=None,
        ),
        Invalid(
            "import torch\ntorch.backends.cudnn.benchmark = True\n",
            api="torch.backends.cudnn.benchmark",
            category="caution",
        ),
        Invalid(
            "import torch\nfn = torch.cuda.jiterator._create_jit_fn('code')\n",
            api="torch.cuda.jiterator._create_jit_fn",
            category="blocker",
        ),
        Invalid(
            "import torch\nx = torch.cuda.FloatTensor(2)\n",
            api="torch.cuda.FloatTensor",
            expected_fix="import torch\nimport torch_npu  # noqa: F401\n"
            "x = torch.npu.FloatTensor(2)\n",
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._bindings: list[ImportBinding] = []
        self._aliased_uses: list[_Use] = []

    def visit_Import(self, node: cst.Import) -> None:
        self._record_bindings(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._record_bindings(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._check(node)

    def visit_Name(self, node: cst.Name) -> None:
        self._check(node)

    def leave_Module(self, original_node: cst.Module) -> None:
        """Aliased imports and their uses, once every use has been seen: all or none fixed."""
        claimed: set[int] = set()
        for unit in self._import_units():
            claimed |= self._report_import_unit(unit)
        for use in self._aliased_uses:
            if id(use.node) not in claimed:
                self._report_use(use.node, use.api, use.fact, None)

    def _record_bindings(self, statement: cst.Import | cst.ImportFrom) -> None:
        found = [b for b in import_bindings.aliased_bindings(statement) if is_cuda_name(b.target)]
        self._bindings.extend(found)

    def _check(self, node: cst.Attribute | cst.Name) -> None:
        if not expressions.is_dotted_name(node):
            return
        names = sorted(name for name in self.qualified_names(node) if is_cuda_name(name))
        if not names or self._is_covered_by_parent(node) or self._is_in_import(node):
            return
        api = names[0]
        fact = self.knowledge.api(api)
        base = import_bindings.base_name(node)
        assert base is not None  # a dotted name starts with a Name
        if "torch" in self.qualified_names(base):
            self._report_use(node, api, fact, self._direct_fix(node, base, fact))
        else:
            self._aliased_uses.append(_Use(node, api, fact, base))

    def _report_use(
        self, node: cst.CSTNode, api: str, fact: ApiFact | None, fix: Fix | None
    ) -> None:
        if fact is None:
            self.report(
                node,
                api=api,
                category="rewrite",
                message=f"`{api}` is not in the knowledge base of {self.knowledge.target}; "
                "no evidence of an Ascend equivalent",
                suggestion="Check the torch_npu documentation for this API, or keep it behind "
                "a device check (`if torch.cuda.is_available():`) on a CUDA-only code path.",
            )
            return
        category, suggestion = fact.category, _suggestion(fact)
        if category == "auto" and (fix is None or fix.unsafe):
            category, suggestion = "rewrite", f"{suggestion} {NOT_AUTOMATIC}"
        self.report(
            node,
            api=api,
            category=category,  # type: ignore[arg-type]
            message=_message(fact, api, self.knowledge.target),
            suggestion=suggestion,
            evidence=fact.evidence,
            fix=fix,
        )

    def _is_covered_by_parent(self, node: cst.CSTNode) -> bool:
        parent = self.parent(node)
        return (
            isinstance(parent, cst.Attribute)
            and parent.value is node
            and any(is_cuda_name(name) for name in self.qualified_names(parent))
        )

    def _is_in_import(self, node: cst.CSTNode) -> bool:
        current = self.parent(node)
        while current is not None and not isinstance(current, cst.BaseSmallStatement):
            current = self.parent(current)
        return isinstance(current, (cst.Import, cst.ImportFrom))

    def _direct_fix(
        self, node: cst.Attribute | cst.Name, base: cst.Name, fact: ApiFact | None
    ) -> Fix | None:
        """``torch.cuda.X`` (or ``th.cuda.X`` after ``import torch as th``) → ``torch.npu.Y``."""
        replacement = _fixable_replacement(fact)
        if replacement is None or not replacement.startswith("torch."):
            return None
        new = _with_parens_of(node, import_bindings.dotted_expression(base.value + replacement[5:]))
        return Fix(edits=(Edit(node, new),), needs_torch_npu_import=True)

    def _import_units(self) -> list[list[ImportBinding]]:
        """Bindings rewritten together: one ``import ... as`` alias, or one from-import."""
        units: dict[int, list[ImportBinding]] = {}
        for binding in self._bindings:
            key = id(
                binding.alias if isinstance(binding.statement, cst.Import) else binding.statement
            )
            units.setdefault(key, []).append(binding)
        return list(units.values())

    def _report_import_unit(self, unit: list[ImportBinding]) -> set[int]:
        """Report the import and every use of its names; returns the uses reported."""
        shared = self._import_edit(unit)
        own_edits: dict[int, tuple[Edit, ...]] = {}
        uses_by_binding = [(binding, self._uses_of(binding)) for binding in unit]
        for binding, uses in uses_by_binding:
            if uses is None:
                shared = None
            for use in uses or ():
                edits = _aliased_use_edits(use, binding, self.knowledge)
                if edits is None:
                    shared = None
                else:
                    own_edits[id(use.node)] = edits

        def fix(edits: tuple[Edit, ...]) -> Fix | None:
            return None if shared is None else Fix(edits=(shared, *edits))

        claimed: set[int] = set()
        for binding, uses in uses_by_binding:
            fact = self.knowledge.api(binding.target)
            self._report_use(binding.alias, binding.target, fact, fix(()))
            for use in uses or ():
                self._report_use(use.node, use.api, use.fact, fix(own_edits.get(id(use.node), ())))
                claimed.add(id(use.node))
        return claimed

    def _uses_of(self, binding: ImportBinding) -> list[_Use] | None:
        """Every use of the binding, or None if some use is not a reported CUDA name."""
        references = import_bindings.binding_references(binding, self._scope_of)
        uses = [use for use in self._aliased_uses if id(use.base) in (references or ())]
        if references is None or {id(use.base) for use in uses} != references:
            return None
        return uses

    def _import_edit(self, unit: list[ImportBinding]) -> Edit | None:
        statement = unit[0].statement
        if isinstance(statement, cst.Import):
            (binding,) = unit
            fact = self.knowledge.api(binding.target)
            path = _npu_import_path(_fixable_replacement(fact))
            if fact is None or path is None or not _is_module(fact, path):
                return None
            return Edit(
                binding.alias,
                binding.alias.with_changes(name=import_bindings.dotted_expression(path)),
            )
        return self._from_import_edit(statement, unit)

    def _from_import_edit(
        self, statement: cst.ImportFrom, unit: list[ImportBinding]
    ) -> Edit | None:
        """``from torch.cuda.amp import autocast`` → ``from torch_npu.npu.amp import autocast``.

        Every imported name must move to the same torch_npu module, which the knowledge
        base must show to be a module; a renamed name keeps its local name with ``as``.
        """
        assert not isinstance(statement.names, cst.ImportStar)
        if len(unit) != len(statement.names):
            return None
        targets = [
            _npu_import_path(_fixable_replacement(self.knowledge.api(b.target))) for b in unit
        ]
        if None in targets:
            return None
        modules = {path.rsplit(".", 1)[0] for path in targets if path}
        if len(modules) != 1:
            return None
        (module,) = modules
        original_module = import_bindings.dotted_name(statement.module)
        if module != "torch_npu":
            fact = self.knowledge.api(original_module)
            if (
                fact is None
                or _npu_import_path(fact.replacement) != module
                or not _is_module(fact, module)
            ):
                return None
        names = [
            _renamed_alias(binding.alias, path.rsplit(".", 1)[1])
            for binding, path in zip(unit, targets)
            if path
        ]
        new = statement.with_changes(module=import_bindings.dotted_expression(module), names=names)
        return Edit(statement, new)

    def _scope_of(self, node: cst.CSTNode) -> Scope | None:
        return self.get_metadata(ScopeProvider, node, None)


@dataclass(frozen=True)
class _Use:
    """A CUDA name reached through an aliased import, reported once its import is judged."""

    node: cst.Attribute | cst.Name
    api: str
    fact: ApiFact | None
    base: cst.Name


def _fixable_replacement(fact: ApiFact | None) -> str | None:
    if fact is None or not fact.replacement:
        return None
    if fact.category == "auto" or fact.api in HF32_FLAGS:
        return fact.replacement
    return None


def _npu_import_path(replacement: str | None) -> str | None:
    """Where a ``torch.npu`` name can be imported from without relying on import order.

    ``torch.npu`` is an alias that torch_npu registers when it is imported; importing
    ``torch.npu.amp`` would load a second copy of the module, so imports name
    ``torch_npu.npu`` itself.
    """
    if replacement is None:
        return None
    if replacement == "torch.npu" or replacement.startswith("torch.npu."):
        return "torch_npu.npu" + replacement[len("torch.npu") :]
    if replacement.startswith("torch_npu."):
        return replacement
    return None


def _is_module(fact: ApiFact, path: str) -> bool:
    """The fact's evidence shows ``path`` is a module file of the torch_npu wheel."""
    stem = path.replace(".", "/")
    return f"{stem}/__init__.py" in fact.evidence or f"{stem}.py" in fact.evidence


def _aliased_use_edits(
    use: _Use, binding: ImportBinding, knowledge: Knowledge
) -> tuple[Edit, ...] | None:
    """What a use needs once its import is rewritten; None when no rewrite keeps it right."""
    use_path = _npu_import_path(_fixable_replacement(use.fact))
    binding_path = _npu_import_path(_fixable_replacement(knowledge.api(binding.target)))
    if use_path is None or binding_path is None:
        return None
    if use_path != binding_path and not use_path.startswith(binding_path + "."):
        return None
    new_tail = use_path[len(binding_path) :]
    if new_tail == use.api[len(binding.target) :]:
        return ()
    new = import_bindings.dotted_expression(use.base.value + new_tail)
    return (Edit(use.node, _with_parens_of(use.node, new)),)


def _renamed_alias(alias: cst.ImportAlias, leaf: str) -> cst.ImportAlias:
    name = import_bindings.dotted_name(alias.name)
    if leaf == name:
        return alias
    asname = alias.asname or cst.AsName(name=cst.Name(name))
    return alias.with_changes(name=cst.Name(leaf), asname=asname)


def _with_parens_of(
    node: cst.Attribute | cst.Name, new: cst.Attribute | cst.Name
) -> cst.BaseExpression:
    return new.with_changes(lpar=node.lpar, rpar=node.rpar)


def _message(fact: ApiFact, api: str, target: str) -> str:
    if fact.category == "auto" and fact.replacement:
        return f"`{api}` has an Ascend equivalent in {target}: `{fact.replacement}`"
    if fact.category == "caution":
        return f"`{api}` runs on Ascend but behaves differently"
    if fact.category == "blocker":
        return f"`{api}` has no known Ascend equivalent in {target}"
    return f"`{api}` needs a manual rewrite for Ascend"


def _suggestion(fact: ApiFact) -> str | None:
    if fact.replacement and fact.category == "auto":
        advice = f"Use `{fact.replacement}` (after `import torch_npu`)"
        rest = fact.note.strip().removeprefix(f"Use {fact.replacement};").strip()
        return f"{advice}; {rest}" if rest else f"{advice}."
    return api_suggestion(fact)
