"""Which device and precision a run uses, and how an out-of-memory error is recognised."""

from __future__ import annotations

import torch

from core.errors import TransferLabError


class DeviceError(TransferLabError):
    exit_code = 2


def resolve_device(name: str) -> torch.device:
    """``auto``: the first CUDA GPU, else Apple's MPS, else the CPU. A named device that this
    computer does not have is a sentence listing what it does have."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", 0)
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "mps":
        if not _mps_available():
            raise DeviceError(f"There is no Apple GPU (mps) on this computer; {available_text()}.")
        return torch.device("mps")
    index = int(name.split(":", 1)[1]) if ":" in name else 0
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise DeviceError(f"There is no CUDA GPU on this computer (asked for {name}); {available_text()}.")
    if index >= count:
        raise DeviceError(f"There is no GPU {name}: this computer has {count} CUDA GPU(s) "
                          f"(cuda:0 to cuda:{count - 1}).")
    return torch.device("cuda", index)


def available_text() -> str:
    found = ["cpu"]
    if torch.cuda.is_available():
        found += [f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())]
    if _mps_available():
        found.append("mps")
    return "use --device " + " or ".join(found) if len(found) > 1 else "use --device cpu (or auto)"


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_precision(setting: str, device: torch.device) -> str:
    """``auto``: bf16 autocast on CUDA GPUs that support it, fp32 everywhere else (bf16 on a CPU is
    usually slower than fp32, and fp16 would need loss scaling)."""
    if setting != "auto":
        return setting
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp32"


def autocast(device: torch.device, precision: str):
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def free_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()


def memory_budget(device: torch.device) -> int:
    """Bytes of device memory the decoded cache may take (a quarter of what is free now)."""
    if device.type != "cuda":
        return 0
    free, _ = torch.cuda.mem_get_info(device)
    return free // 4


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)
