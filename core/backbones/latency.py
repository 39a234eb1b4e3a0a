"""CPU latency per item, measured on this machine once and remembered.

Timed with the real architecture and random weights (the arithmetic is the same as with trained
weights, and it works before any weights are present) on one reference item (``spec.macs_input``),
batch size 1, torch's current thread count: what one prediction costs, not a throughput figure.
Results live in ``<data dir>/latency.json`` keyed by CPU model, core count, torch version and
threads, so a different machine or setup measures again.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time

import torch

from core.atomic import atomic_write_text
from core.backbones.registry import get
from core.user_data import data_dir

RUNS = 5  # after two warm-up runs; the median is kept
BUDGET_S = 1.0  # slow backbones stop after this much timing (at least 3 runs)


def machine_key() -> str:
    return f"{cpu_model()} | {os.cpu_count()} cores | {torch.get_num_threads()} threads | torch {torch.__version__}"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _store_path():
    return data_dir() / "latency.json"


def _read() -> dict:
    try:
        return json.loads(_store_path().read_text())
    except (OSError, ValueError):
        return {}


def cached_latency_ms(name_or_spec) -> float | None:
    spec = get(name_or_spec)
    return _read().get(machine_key(), {}).get(f"{spec.name}:{spec.fingerprint}")


def measure_latency_ms(name_or_spec, *, runs: int = RUNS) -> float:
    """Median wall time of one forward pass on one item, in milliseconds (not cached)."""
    spec = get(name_or_spec)
    model = spec.build().eval()
    inputs = spec.example_input(1)
    times = []
    with torch.inference_mode():
        for _ in range(2):  # warm-up: allocator, oneDNN kernel selection
            model(*inputs)
        for _ in range(runs):
            start = time.perf_counter()
            model(*inputs)
            times.append(time.perf_counter() - start)
            if len(times) >= 3 and sum(times) > BUDGET_S:
                break
    return statistics.median(times) * 1000.0


def latency_ms(name_or_spec, *, measure: bool = True, refresh: bool = False) -> float | None:
    """The remembered latency; measured now (and remembered) if missing and ``measure``."""
    spec = get(name_or_spec)
    if not refresh:
        known = cached_latency_ms(spec)
        if known is not None or not measure:
            return known
    value = round(measure_latency_ms(spec), 2)
    store = _read()
    store.setdefault(machine_key(), {})[f"{spec.name}:{spec.fingerprint}"] = value
    path = _store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(store, indent=1, sort_keys=True))
    return value
