"""torch.onnx.export of a module to one file, always on one thread of its own.

After an export on one thread, an export on another thread of the same process crashed inside torch
(a segmentation fault entering FakeTensorMode; seen with an export from the app's engine thread, then
one from the main thread): so every export of a process runs on the same thread, whoever asks.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

from core.errors import TransferLabError

_EXPORT_THREAD = None


class TorchExportError(TransferLabError):
    pass


def torch_export(module, example, path: Path, *, input_name: str, output_names: list[str], dims: dict,
                 what: str) -> None:
    """Export ``module(example)`` to ``path`` with ``dims`` ({axis: torch.export.Dim}) dynamic."""
    global _EXPORT_THREAD
    import concurrent.futures

    if _EXPORT_THREAD is None:
        _EXPORT_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx-export")
    _EXPORT_THREAD.submit(_export_here, module, example, path, input_name, output_names, dims, what).result()


def _export_here(module, example, path, input_name, output_names, dims, what) -> None:
    import torch

    log = io.StringIO()
    try:
        # The exporter prints its progress (and, on failure, whole graphs) to stdout: keep it for details.
        with warnings.catch_warnings(), contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module, (example,), str(path), input_names=[input_name], output_names=output_names,
                dynamic_shapes={_argument_name(module): dims}, dynamo=True, external_data=False, verbose=False,
            )
    except Exception as exc:
        raise TorchExportError(
            f"PyTorch could not export the {what} to ONNX ({type(exc).__name__}). "
            "Set TRANSFERLAB_DEBUG=1 for the details.",
            detail=f"{exc}\n{log.getvalue()[-20000:]}",
        ) from None


def _argument_name(module) -> str:
    """The name of forward's one tensor argument (dynamic_shapes is keyed by it)."""
    import inspect

    params = [p for p in inspect.signature(module.forward).parameters.values() if p.name != "self"]
    return params[0].name
