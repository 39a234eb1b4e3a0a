"""Frozen feature networks run by onnxruntime on the CPU.

Probe training, few-shot models, the quick model, suggestions and zero-shot all spend nearly all
their time on a CPU computing embeddings with a frozen backbone. onnxruntime runs the same network
about three times faster than eager PyTorch there (bench/bench_embed.py: the bare loops on the same
files), so on the CPU the backbone is exported once per (backbone, settings, weights) to an .onnx
file in the user's cache folder and embeddings are computed with it; the features agree with
PyTorch's within 1e-4 (tests/core/test_features_onnx.py) and share the embedding cache.

PyTorch stays for training, for a GPU, for weights that are not identified (random or half-trained
networks, whose features are not cached either) and for inputs of varying length (speech models).
If a network cannot be exported, embedding falls back to PyTorch and says why once.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import threading
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the export below changes: old files are then ignored
_FAILED: dict[str, str] = {}  # key -> why it could not be exported (this process does not retry)
_SESSIONS: dict[str, OnnxFeatures] = {}
_LOCK = threading.Lock()


BUILD_MIN_ITEMS = 256  # building the network costs a few seconds once: worth it from this many samples


def setting() -> str:
    """TRANSFERLAB_ONNX_FEATURES: "auto" (default: build the network for jobs of BUILD_MIN_ITEMS
    samples or more, use it for any job once built), "always", or "0" (never: PyTorch only)."""
    return os.environ.get("TRANSFERLAB_ONNX_FEATURES", "auto")


def cache_root() -> Path:
    """TransferLab's per-user cache folder (TRANSFERLAB_CACHE_DIR overrides it): always safe to delete."""
    from core.user_data import cache_dir

    return cache_dir()


# Rows per onnxruntime call. Its memory arena keeps room for the largest activations it has run:
# EfficientNet-Lite0 with pooled levels held 740 MB more after batches of 32 at 224 px, 184 MB after
# 8 and 87 MB after 4, at the same CPU time per picture (13 ms; 2-core Xeon, one thread each).
RUN_ROWS = 4


class OnnxFeatures:
    """``features(*batch)`` -> float32 [B, D]: the exported network in an onnxruntime session."""

    def __init__(self, path: Path):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Threads that spin while waiting for work take the cores the decoding threads need (and
        # anything else the person runs): with them off, 74-75 pictures/s through decode + network
        # against 51-59/s, on 2 cores another process was half using (lead-exp spin.py, twice each).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def __call__(self, *batch) -> np.ndarray:
        x = batch[0]
        x = np.ascontiguousarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x, dtype=np.float32)
        parts = [self.session.run(None, {self.input: x[i:i + RUN_ROWS]})[0] for i in range(0, len(x), RUN_ROWS)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


class _OneInput(nn.Module):
    """The feature network with exactly one tensor argument, whatever its forward's signature."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)


def network_key(spec, model: nn.Module, identity: str) -> str:
    """What the exported file depends on: the backbone's settings, its weights, the network's kind
    (and, for a multi-level wrapper, which levels), the torch version that exported it."""
    parts = (FORMAT, spec.name, spec.fingerprint, identity, type(model).__name__,
             tuple(getattr(model, "levels", ()) or ()), torch.__version__)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def for_model(spec, model: nn.Module, identity: str | None, items: int = BUILD_MIN_ITEMS) -> OnnxFeatures | None:
    """An onnxruntime session computing ``model``'s features, exported on first use (by a job of
    ``items`` samples, when that many make it worth building) and then read from the cache
    folder; None where PyTorch does it (see the module's docstring)."""
    pre = spec.preprocessing
    mode = setting()
    if mode == "0" or identity is None or pre.variable_length:
        return None
    if any(p.device.type != "cpu" for p in model.parameters()):
        return None
    key = network_key(spec, model, identity)
    with _LOCK:
        if key in _SESSIONS:
            return _SESSIONS[key]
        if key in _FAILED:
            return None
        path = cache_root() / "feature-networks" / f"{spec.name}-{key}.onnx"
        if not path.exists() and mode != "always" and items < BUILD_MIN_ITEMS:
            return None
        try:
            if not path.exists():
                from core.onnx_thread import on_export_thread

                on_export_thread(_export, model, pre.example_batch(2)[0], path)
            session = OnnxFeatures(path)
        except Exception as exc:  # any failure: PyTorch computes the same features, only slower
            _FAILED[key] = f"{type(exc).__name__}: {exc}"
            log.warning("embedding with PyTorch: the %s network could not run in onnxruntime (%s)",
                        spec.name, _FAILED[key][:300])
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        _SESSIONS[key] = session
        return session


def _export(model: nn.Module, example: torch.Tensor, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    batch = torch.export.Dim("batch", min=1, max=4096)
    was_training = model.training
    model.eval()
    try:
        # The exporter prints its progress to stdout: keep the user's terminal clean.
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(_OneInput(model), (example,), str(tmp), input_names=["x"], output_names=["features"],
                              dynamic_shapes={"x": {0: batch}}, dynamo=True, external_data=False, verbose=False)
        os.replace(tmp, path)
    finally:
        model.train(was_training)
        with contextlib.suppress(OSError):
            tmp.unlink()


def release() -> None:
    """Close the sessions kept for reuse (a later call builds them again from the cache folder in
    about a second). A training run calls it once its embeddings are computed: the session and
    its arena held some 240 MB through the probe's solve on 5,000 pictures."""
    with _LOCK:
        _SESSIONS.clear()
    _return_freed_memory()


def _return_freed_memory() -> None:
    """Give memory freed by the decoding threads and the session back to the system (glibc keeps
    each thread's freed blocks for reuse: some 130 MB after 5,000 pictures, held through the
    solve). Only where the C library is glibc; elsewhere nothing to do."""
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
