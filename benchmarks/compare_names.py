"""Do portcheck's import names equal libcst's on real code? Every node of every file, compared.

portcheck answers "which import does this name come from" without libcst's scope
analysis where it can (``portcheck/fastcst/import_names.py``). This script parses each
Python file under the given directories, asks both for every node the rules could
ask about, and prints every difference (there should be none), with how many
files needed the scope analysis for a dotted name. Strings, which libcst resolves
when they are annotations and portcheck always leaves to libcst, are compared only
in those files.

    python benchmarks/compare_names.py ~/.cache/portcheck-bench/corpus
    python benchmarks/compare_names.py --all-files src/   # not only files with CUDA names
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, QualifiedNameProvider

from portcheck.analyze import Analyzer
from portcheck.fastcst.metadata import LazyQualifiedNames, LazyScopes, imported_names, parent_map
from portcheck.fastcst.walk import formatting_types
from portcheck.knowledge import load_knowledge
from portcheck.registry import all_rules
from portcheck.source import read_source

STRINGS = (cst.SimpleString, cst.ConcatenatedString)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("roots", nargs="+", type=Path)
    parser.add_argument(
        "--all-files", action="store_true", help="not only the files portcheck would parse"
    )
    options = parser.parse_args()
    analyzer = Analyzer(
        target=load_knowledge(None).target, rule_ids=tuple(rule.id for rule in all_rules())
    )
    prefilter = analyzer.prefilter()
    files = compared = scoped = differences = 0
    started = time.perf_counter()
    for root in options.roots:
        for path in sorted(root.rglob("*.py")):
            source = read_source(path, str(path), 10_000_000)
            if not hasattr(source, "text"):
                continue
            if not options.all_files and not prefilter.must_parse(source):
                continue
            try:
                module = cst.parse_module(source.text)
            except Exception:
                continue
            files += 1
            expected_names = _libcst_answers(module)
            scopes = LazyScopes(module)
            parents = parent_map(module)
            if parents is None:
                continue
            names = LazyQualifiedNames(module, parents, scopes, source.text)
            strings_last = sorted(expected_names, key=lambda node: isinstance(node, STRINGS))
            for node in strings_last:
                if isinstance(node, STRINGS) and not scopes.resolved:
                    break  # the rest are strings, which libcst may resolve as annotations
                compared += 1
                answer, expected = names.imported(node), expected_names[node]
                if answer != expected:
                    differences += 1
                    print(f"{path}: {module.code_for_node(node)!r}: {answer} != libcst {expected}")
            scoped += scopes.resolved
    elapsed = time.perf_counter() - started
    print(
        f"{files} files, {compared} nodes compared, {differences} differences; "
        f"{scoped} files needed the scope analysis ({elapsed:.0f} s)"
    )
    return 1 if differences else 0


def _libcst_answers(module: cst.Module) -> dict[cst.CSTNode, set[str]]:
    """libcst's import names for every node but whitespace and punctuation."""
    formatting = formatting_types()
    names = MetadataWrapper(module, unsafe_skip_copy=True).resolve(QualifiedNameProvider)
    return {
        node: imported_names(value() if callable(value) else value)
        for node, value in names.items()
        if type(node) not in formatting
    }


if __name__ == "__main__":
    sys.exit(main())
