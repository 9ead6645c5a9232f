"""PC007: CUDA C++ source files (``.cu``, ``.cuh``): one file-level finding each.

A kernel file is the largest unit of porting work there is, so the finding carries
the file's line count for the effort estimate.
"""

from __future__ import annotations

from portcheck.knowledge import Knowledge
from portcheck.model import Finding
from portcheck.rule import TextExample, TextRule

SUFFIXES = (".cu", ".cuh")
SUGGESTION = (
    "No Ascend path for CUDA C++: port the kernels to Ascend C (or triton-ascend), or keep "
    "them on a CUDA-only code path and fall back to PyTorch ops on NPU."
)


class CudaSource(TextRule):
    id = "PC007"
    name = "cuda-native-source"
    summary = "CUDA C++ source file (.cu / .cuh)"
    category = "blocker"

    VALID = (TextExample("kernel.cpp", "int main() { return 0; }\n"),)
    INVALID = (
        TextExample("kernel.cu", "__global__ void k(float* x) { x[0] = 1; }\n", api="cuda-source"),
        TextExample("kernel.cuh", "#pragma once\n", count=1),
    )

    def applies_to(self, filename: str) -> bool:
        return filename.endswith(SUFFIXES)

    def check(self, path: str, text: str, knowledge: Knowledge) -> list[Finding]:
        lines = text.splitlines()
        last_line = max(len(lines), 1)
        code_lines = sum(1 for line in lines if line.strip() and not line.strip().startswith("//"))
        return [
            Finding(
                path=path,
                line=1,
                column=1,
                end_line=last_line,
                end_column=len(lines[-1]) + 1 if lines else 1,
                rule=self.id,
                api="cuda-source",
                category=self.category,
                message=f"CUDA C++ source file ({code_lines} lines of code) cannot be built for "
                "Ascend",
                suggestion=SUGGESTION,
                fixable=False,
                evidence="CUDA C++ is compiled by nvcc for NVIDIA GPUs only",
                source=path.rsplit("/", 1)[-1],
                extra={"native_lines": code_lines},
            )
        ]
