"""What ``torch_npu.contrib.transfer_to_npu`` changes at run time, read from its source.

The shim decides whether a CUDA call keeps working unchanged on Ascend, so the linter
must know, per release, which names it re-binds and which calls it wraps.  Only code
reachable from the module's top level (``_init()`` and what it calls) is counted.
"""

from __future__ import annotations

import ast

from knowledge_builder.wheel import WheelReader, dotted, string_list_assignment

SHIM_MEMBER = "torch_npu/contrib/transfer_to_npu.py"
WHITE_LISTS = (
    "torch_fn_white_list",
    "torch_tensor_fn_white_list",
    "torch_module_fn_white_list",
    "torch_cuda_fn_white_list",
)


def derive_shim(reader: WheelReader) -> dict[str, object] | None:
    """The shim facts of one torch_npu wheel as a JSON-ready dict, None without a shim."""
    tree = reader.module(SHIM_MEMBER)
    if tree is None:
        return None
    lists = {
        n: list(v)
        for n in (*WHITE_LISTS, "device_kwargs_list", "torch_distributed_fn_white_list")
        if (v := string_list_assignment(tree, n)) is not None
    }
    bindings = _reachable_bindings(tree)
    device_wrapped: set[str] = set()
    hccl_wrapped: set[str] = set()
    aliases: dict[str, str] = {}
    replaced: dict[str, str] = {}
    for target, value in bindings:
        wrappers = _wrapper_names(value)
        if "_wrapper_cuda" in wrappers:
            device_wrapped.add(target)
        if "_wrapper_hccl" in wrappers:
            hccl_wrapped.add(target)
        source = dotted(value)
        if source and source.split(".")[0] in ("torch", "torch_npu"):
            aliases[target] = source
        elif source:
            replaced[target] = source
    device_wrapped.update(_device_wrapper_calls(tree, lists))
    return {
        "evidence": f"{reader.label}: {SHIM_MEMBER}",
        "white_lists": {k: sorted(v) for k, v in lists.items() if k in WHITE_LISTS},
        "device_kwargs": sorted(lists.get("device_kwargs_list", [])),
        "device_wrapped": sorted(device_wrapped),
        "hccl_wrapped": sorted(hccl_wrapped),
        "aliases": dict(sorted(aliases.items())),
        "patched_modules": _patched_modules(tree),
        "jit_script_disabled": "torch.jit.script" in replaced,
        "triton_disabled": sorted(t for t, v in replaced.items() if "has_triton" in v),
    }


def _reachable_bindings(tree: ast.Module) -> list[tuple[str, ast.expr]]:
    """``(dotted target, value)`` of every ``torch.X = ...``/``setattr(torch.X, "y", ...)``
    executed on import: module-level code plus the functions it calls, transitively."""
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    top = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    bodies: list[ast.AST] = list(top)
    reached: set[str] = set()
    pending = _called_names(top)
    while pending:
        name = pending.pop()
        if name in reached or name not in functions:
            continue
        reached.add(name)
        bodies.append(functions[name])
        pending |= _called_names([functions[name]])
    found: list[tuple[str, ast.expr]] = []
    for body in bodies:
        for node in ast.walk(body):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    name = dotted(target)
                    if name and name.startswith("torch."):
                        found.append((name, node.value))
            elif _is_setattr(node):
                base = dotted(node.args[0])
                if base and base.startswith("torch"):
                    found.append((f"{base}.{node.args[1].value}", node.args[2]))
    return found


def _called_names(nodes: list[ast.AST]) -> set[str]:
    return {
        n.func.id
        for node in nodes
        for n in ast.walk(node)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }


def _is_setattr(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "setattr"
        and len(node.args) == 3
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    )


def _wrapper_names(value: ast.expr) -> set[str]:
    """Names of the ``_wrapper_*`` helpers applied in ``value`` (incl. ``_compose_wrappers``)."""
    return {
        n.id for n in ast.walk(value) if isinstance(n, ast.Name) and n.id.startswith("_wrapper_")
    }


def _device_wrapper_calls(tree: ast.Module, lists: dict[str, list[str]]) -> set[str]:
    """Names wrapped by ``_device_wrapper(torch.X, white_list_or_literal)``."""
    wrapped: set[str] = set()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_device_wrapper"
            and len(node.args) == 2
        ):
            continue
        base = dotted(node.args[0])
        arg = node.args[1]
        if isinstance(arg, ast.Name):
            names = lists.get(arg.id, [])
        elif isinstance(arg, (ast.List, ast.Tuple)):
            names = [e.value for e in arg.elts if isinstance(e, ast.Constant)]
        else:
            names = []
        if base:
            wrapped.update(f"{base}.{n}" for n in names)
    return wrapped


def _patched_modules(tree: ast.Module) -> dict[str, str]:
    """``{"torch.cuda": "torch_npu.npu", ...}`` from the ``[dest, module]`` pairs in _patch_cuda.

    For each pair, ``_apply_patches`` copies the names of ``module.__all__`` onto ``dest``.
    """
    pairs: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "_patch_cuda":
            for item in ast.walk(node):
                if (
                    isinstance(item, ast.List)
                    and len(item.elts) == 2
                    and isinstance(item.elts[0], ast.Constant)
                    and isinstance(item.elts[0].value, str)
                ):
                    source = dotted(item.elts[1])
                    if source:
                        pairs[f"torch.{item.elts[0].value}"] = source
    return dict(sorted(pairs.items()))
