"""portcheck: how ready is a PyTorch codebase to move from CUDA to Ascend NPUs (torch_npu)."""

__version__ = "0.1.0"
