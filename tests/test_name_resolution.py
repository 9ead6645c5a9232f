"""Every spelling of a CUDA API resolves to the same fully qualified name."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import check_json, write

SPELLINGS = [
    ("import torch\ntorch.cuda.synchronize()\n", "torch.cuda.synchronize", 2),
    ("import torch.cuda as tc\ntc.synchronize()\n", "torch.cuda.synchronize", 2),
    ("from torch import cuda\ncuda.synchronize()\n", "torch.cuda.synchronize", 2),
    ("from torch import cuda as c\nc.synchronize()\n", "torch.cuda.synchronize", 2),
    ("from torch.cuda import amp\nwith amp.autocast():\n    pass\n", "torch.cuda.amp.autocast", 2),
    (
        "from torch.cuda.amp import autocast\n@autocast()\ndef f():\n    pass\n",
        "torch.cuda.amp.autocast",
        2,
    ),
    ("import torch\nclass G(torch.cuda.CUDAGraph):\n    pass\n", "torch.cuda.CUDAGraph", 2),
    (
        "import torch\ntorch.backends.cudnn.deterministic = True\n",
        "torch.backends.cudnn.deterministic",
        2,
    ),
    ("import torch\nwith torch.cuda.stream(s):\n    pass\n", "torch.cuda.stream", 2),
    ("import torch as T\nT.cuda.empty_cache()\n", "torch.cuda.empty_cache", 2),
    (
        "def f():\n    import torch.cuda\n    torch.cuda.empty_cache()\n",
        "torch.cuda.empty_cache",
        3,
    ),
]


@pytest.mark.parametrize(("code", "api", "line"), SPELLINGS)
def test_spelling_resolves_to_qualified_name(
    tmp_path: Path, code: str, api: str, line: int
) -> None:
    write(tmp_path, "m.py", code)
    _, report = check_json("--select", "PC001", ".", cwd=tmp_path)
    import_lines = {
        number
        for number, text in enumerate(code.splitlines(), 1)
        if text.startswith(("import ", "from "))
    }  # an aliased CUDA import is a finding of its own (its fix rewrites the import)
    uses = [(f["api"], f["line"]) for f in report["findings"] if f["line"] not in import_lines]
    assert uses == [(api, line)]


@pytest.mark.parametrize(
    "code",
    [
        "import torch_npu\nimport torch\ntorch.npu.synchronize()\n",
        "from . import cuda_utils\ncuda_utils.sync()\n",
        "cuda = object()\ncuda.synchronize()\n",
        "class A:\n    cuda_graph_enabled = False\n",
        "import mylib.cuda as c\nc.synchronize()\n",
    ],
)
def test_names_that_are_not_torch_cuda_are_not_flagged(tmp_path: Path, code: str) -> None:
    write(tmp_path, "m.py", code)
    _, report = check_json(".", cwd=tmp_path)
    assert report["findings"] == []
