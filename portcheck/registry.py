"""Finding the rules: the built-ins in ``portcheck.rules`` and third-party plugins.

A plugin package declares an entry point in the ``portcheck.rules`` group that names a
rule class (or a module, whose rule classes are all taken). Plugins are looked up only
when a run asks for rules, so ``--version`` or a cached run does not pay for it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from functools import cache
from types import ModuleType
from typing import Union

from portcheck.rule import Rule, TextRule

RuleClass = Union[type[Rule], type[TextRule]]
ENTRY_POINT_GROUP = "portcheck.rules"


class PluginError(Exception):
    """A plugin that cannot be loaded: named, so the user knows which package to fix."""


def _rules_in(module: ModuleType) -> list[RuleClass]:
    found: list[RuleClass] = []
    for _, value in inspect.getmembers(module, inspect.isclass):
        if value in (Rule, TextRule) or value.__module__ != module.__name__:
            continue
        if issubclass(value, (Rule, TextRule)) and hasattr(value, "id"):
            found.append(value)
    return found


@cache
def builtin_rules() -> tuple[RuleClass, ...]:
    package = importlib.import_module("portcheck.rules")
    found: list[RuleClass] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg or info.name.startswith("_"):
            continue
        found.extend(_rules_in(importlib.import_module(f"portcheck.rules.{info.name}")))
    return tuple(sorted(found, key=lambda rule: rule.id))


@cache
def plugin_rules() -> tuple[RuleClass, ...]:
    from importlib.metadata import entry_points

    if sys.version_info >= (3, 10):
        points = entry_points(group=ENTRY_POINT_GROUP)
    else:
        points = entry_points().get(ENTRY_POINT_GROUP, [])
    found: list[RuleClass] = []
    for point in points:
        try:
            loaded = point.load()
        except Exception as error:  # a broken plugin must name itself, not crash the run
            raise PluginError(
                f"cannot load rule plugin {point.name!r} ({point.value}): {error}"
            ) from error
        if inspect.ismodule(loaded):
            found.extend(_rules_in(loaded))
        elif inspect.isclass(loaded) and issubclass(loaded, (Rule, TextRule)):
            found.append(loaded)
        else:
            raise PluginError(
                f"rule plugin {point.name!r} ({point.value}) is neither a rule class nor a module"
            )
    return tuple(sorted(found, key=lambda rule: rule.id))


def all_rules() -> tuple[RuleClass, ...]:
    rules = builtin_rules() + plugin_rules()
    seen: dict[str, RuleClass] = {}
    for rule in rules:
        if rule.id in seen and seen[rule.id] is not rule:
            raise PluginError(
                f"rule id {rule.id} is defined twice: {seen[rule.id].__module__} and "
                f"{rule.__module__}"
            )
        seen[rule.id] = rule
    return rules
