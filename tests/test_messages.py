"""Messages read as English: each name is said once ("Import of the CUDA-only library
`apex`", not "Import of `apex` from the CUDA-only library `apex`")."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import check_json, write

SOURCE = """\
import apex
import apex.amp
from flash_attn import flash_attn_func
import pynvml
pynvml.nvmlInit()
"""


def test_library_messages_name_each_thing_once(tmp_path: Path) -> None:
    write(tmp_path, "train.py", SOURCE)
    _, report = check_json("train.py", cwd=tmp_path)
    messages = {f["line"]: f["message"] for f in report["findings"] if f["rule"] == "PC008"}
    assert messages[1] == "Import of the CUDA-only library `apex`"
    assert messages[2].startswith("Import of CUDA-only `apex.amp`; Ascend alternative:")
    assert messages[3].startswith(
        "Import of `flash_attn.flash_attn_func` from the CUDA-only library `flash_attn`"
    )
    assert messages[5] == "Call to `pynvml.nvmlInit` from the CUDA-only library `pynvml`"
    for message in messages.values():
        names = re.findall(r"`([^`]+)`", message)
        assert len(names) == len(set(names)), message


def test_an_unsupported_dtype_is_said_without_nested_brackets(tmp_path: Path) -> None:
    write(tmp_path, "fp8.py", "import torch\nx = torch.zeros(4, dtype=torch.float8_e4m3fn)\n")
    _, report = check_json("fp8.py", cwd=tmp_path)
    [message] = [f["message"] for f in report["findings"] if f["rule"] == "PC013"]
    assert message.startswith("Ascend's support list has no `torch.float8_e4m3fn` on Atlas A2")
    assert ") (" not in message
