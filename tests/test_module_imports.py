"""Import names without libcst's scope analysis equal libcst's, including where scopes matter.

Each snippet hits one of the rules of ``portcheck/fastcst/import_names.py``: the answers for
every node must be libcst's, and the scope analysis must run exactly where the
snippet says it has to (``True``) or not at all (``False``).
"""

from __future__ import annotations

import time

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, QualifiedNameProvider, ScopeProvider

from portcheck.fastcst.metadata import LazyQualifiedNames, LazyScopes, imported_names, seed
from portcheck.fastcst.walk import formatting_types

SNIPPETS: dict[str, tuple[str, bool]] = {
    "module imports, used in functions and classes": (
        "import torch\nimport torch.cuda as tc\nfrom torch import cuda as c\n"
        "def f():\n    torch.cuda.synchronize(); c.synchronize(); tc.x()\n"
        "class A:\n    def m(self):\n        return torch.device('cuda')\n",
        False,
    ),
    "a dotted import beside a plain one, through calls and subscripts": (
        "import torch\nimport torch.cuda\nx = torch.cuda.Stream().query\n"
        "y = torch.nn.Linear\nz = torch.cuda.streams[0].wait().x\n",
        False,
    ),
    "names of keywords, attributes and imports have none": (
        "import cuda\nimport torch.cuda as tc\nf(cuda=1)\nx.cuda\nfrom cuda import y\n",
        False,
    ),
    "imports inside functions only": (
        "def f():\n    import torch\n    return torch.cuda.is_available()\n"
        "def g():\n    return torch.cuda.is_available()\ntorch.cuda.x()\n",
        False,
    ),
    "a local import, a dotted module import and a nested function": (
        "import torch.cuda\ndef outer():\n    import torch\n"
        "    def inner():\n        return torch.cuda.x()\n    return torch.nn\n",
        False,
    ),
    "a star import and a relative import bind nothing absolute": (
        "from torch import *\nfrom . import torch\ncuda.x()\ntorch.cuda.y()\n",
        False,
    ),
    "a module-level use before the import": ("torch.cuda.x()\nimport torch\n", True),
    "a use before a local import that shadows the module's": (
        "import torch\ndef f():\n    torch.cuda.x()\n    import torch\n",
        True,
    ),
    "an import and a later use in one block, or on one line": (
        "if x:\n    import torch\n    torch.cuda.x()\nimport numpy; numpy.cuda()\n"
        "def f():\n    if y:\n        import deepspeed\n        deepspeed.init()\n",
        False,
    ),
    "the same import in two blocks of a function": (
        "def f():\n    if a:\n        import deepspeed\n        deepspeed.zero.x()\n"
        "    if b:\n        import deepspeed\n        deepspeed.zero.y()\n",
        False,
    ),
    "a later import of another module under the same name": (
        "def f():\n    import numpy as np\n    np.cuda.x()\n    import cupy as np\n",
        True,
    ),
    "an import in one branch, the use in the other": (
        "if x:\n    import torch\nelse:\n    torch.cuda.x()\n",
        True,
    ),
    "a use in the condition guarding the import": (
        "def f():\n    if torch.cuda.x():\n        import torch\n",
        True,
    ),
    "a parameter shadows the import": (
        "import torch\ndef f(torch):\n    return torch.cuda.x()\n"
        "def g():\n    return torch.cuda.x()\n",
        False,
    ),
    "a class attribute shadows the import": (
        "import torch\nclass A:\n    torch = None\n    x = torch.cuda\n"
        "    def m(self):\n        return torch.cuda.x()\n",
        True,
    ),
    "methods named like imported functions": (
        "from torch.cuda import synchronize\nclass Trainer:\n    def synchronize(self):\n"
        "        return synchronize()\n    def run(self):\n        synchronize()\n",
        False,
    ),
    "a class-level use of a name a method shadows": (
        "from torch.cuda import synchronize\nclass Trainer:\n    def synchronize(self):\n"
        "        pass\n    sync = synchronize\n",
        True,
    ),
    "a decorator and a default beside a shadowing parameter": (
        "import torch\n@torch.no_grad()\ndef f(x=torch.float32, torch=None) -> torch.dtype:\n"
        "    return x\n",
        False,
    ),
    "two methods of one name, one shadowing": (
        "import torch\nclass A:\n    def forward(self, torch):\n        return torch.cuda.x()\n"
        "class B:\n    def forward(self):\n        return torch.cuda.y()\n",
        False,
    ),
    "a getter and a setter of one name, the setter shadowing": (
        "import torch\nclass A:\n    @property\n    def dev(self):\n"
        "        return torch.cuda.current_device()\n    @dev.setter\n"
        "    def dev(self, torch):\n        torch.cuda.x()\n",
        True,
    ),
    "a parameter assigned again in the body": (
        "import torch\ndef f(torch):\n    torch.cuda.x()\n    torch = 1\n",
        True,
    ),
    "a def named like a comprehension scope": (
        "import torch\ndef listcomp(torch):\n    return torch.cuda.x()\n",
        True,
    ),
    "a global declaration": (
        "import torch\ndef f():\n    global torch\n    torch = None\ntorch.cuda.x()\n",
        True,
    ),
    "a comprehension target": (
        "import torch\nxs = [torch.cuda for torch in ys]\nz = torch.cuda.x\n",
        True,
    ),
    "an assignment expression in a comprehension": (
        "import torch\nxs = [(torch := y) for y in ys]\nz = torch.cuda\n",
        True,
    ),
    "a lambda parameter": (
        "import torch\nf = lambda torch: torch.cuda.x()\ng = torch.cuda.y\n",
        True,
    ),
    "a fallback assignment after a failed import": (
        "try:\n    import torch_npu\nexcept ImportError:\n    torch_npu = None\n"
        "torch_npu.npu.x()\ndef f():\n    return torch_npu.npu.y()\n",
        False,
    ),
    "a parameter and a local import of the same name": (
        "def f(torch=None):\n    import torch\n    torch.cuda.x()\ng = lambda torch: 1\n",
        False,
    ),
    "an assignment after the use, in the scope of the import": (
        "import torch\nx = torch.cuda\ntorch, (y, *z) = None, (1, 2)\n"
        "torch.cuda.a, torch.cuda[0] = 1, 2\n",
        False,
    ),
    "an assignment shadowing the import in a function": (
        "import torch\ndef f():\n    torch = g()\n    return torch.cuda.x()\n",
        True,
    ),
    "del, which libcst does not count as a binding": (
        "import torch\ntorch.cuda.x()\ndel torch\n",
        False,
    ),
    "an exception bound to the name": (
        "import torch\ntry:\n    pass\nexcept E as torch:\n    pass\ntorch.cuda.x()\n",
        False,
    ),
    "a string annotation holding an import": (
        "import numpy as torch\ndef f(x: 'import torch'):\n    pass\ny = torch.cuda.x\n",
        True,
    ),
    "a renamed typing.cast parsing its string": (
        "from typing import cast as c\nimport torch\nx = c('import numpy as torch', y)\n"
        "z = torch.cuda.q\n",
        True,
    ),
    "the first argument of NewType, which libcst skips": (
        "from typing import NewType\nimport torch\nT = NewType(torch.cuda.x, int)\n",
        True,
    ),
}


@pytest.mark.parametrize(("code", "needs_scopes"), SNIPPETS.values(), ids=list(SNIPPETS.keys()))
def test_import_names_equal_libcsts(code: str, needs_scopes: bool) -> None:
    module = cst.parse_module(code)
    formatting = formatting_types()
    libcst_names = MetadataWrapper(module, unsafe_skip_copy=True).resolve(QualifiedNameProvider)
    seeded = MetadataWrapper(module, unsafe_skip_copy=True)
    seed(seeded, code)
    names = seeded.resolve(QualifiedNameProvider)
    scopes = seeded.resolve(ScopeProvider)
    assert isinstance(names, LazyQualifiedNames) and isinstance(scopes, LazyScopes)
    dotted = [
        node
        for node in libcst_names
        if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript))
    ]
    for node in dotted:
        value = libcst_names[node]
        expected = imported_names(value() if callable(value) else value)
        assert names.imported(node) == expected, module.code_for_node(node)
    assert scopes.resolved is needs_scopes
    for node, value in libcst_names.items():  # the rest, and the full provider
        if type(node) not in formatting:
            expected_all = set(value() if callable(value) else value)
            assert names[node] == expected_all, module.code_for_node(node)
            assert names.imported(node) == imported_names(expected_all)


def test_a_snippet_python_rejects_is_left_to_libcst() -> None:
    code = "import torch\nprint 'x'\n"
    with pytest.raises(cst.ParserSyntaxError):
        cst.parse_module(code)
    code = "import torch\nx = torch.cuda\ndef f(a, a): pass\n"  # libcst parses, Python does not
    module = cst.parse_module(code)
    seeded = MetadataWrapper(module, unsafe_skip_copy=True)
    seed(seeded, code)
    names = seeded.resolve(QualifiedNameProvider)
    assert isinstance(names, LazyQualifiedNames)
    assignment = module.body[1].body[0]
    assert isinstance(assignment, cst.Assign)
    assert names.imported(assignment.value) == {"torch.cuda"}
    assert seeded.resolve(ScopeProvider).resolved


def test_uses_of_one_import_cost_time_linear_in_their_number() -> None:
    """100,000 lines of ``torch.cuda.synchronize()`` took 807 s: each use scanned its block."""

    def seconds(lines: int) -> float:
        code = "import torch\n" + "torch.cuda.synchronize()\n" * lines
        module = cst.parse_module(code)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        seed(wrapper, code)
        names = wrapper.resolve(QualifiedNameProvider)
        assert isinstance(names, LazyQualifiedNames)
        uses = [line.body[0].value.func for line in module.body[1:]]  # type: ignore[attr-defined]
        start = time.process_time()
        assert all(names.imported(use) == {"torch.cuda.synchronize"} for use in uses)
        return time.process_time() - start

    small, large = seconds(1000), seconds(8000)
    assert large < 24 * small, (small, large)  # linear: 8 times; quadratic: 64 times
