"""torch.onnx.export of a module to one file, on the process's one export thread (core.onnx_thread:
after an export on one thread, an export on another thread of the same process crashed inside torch).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

from core.errors import TransferLabError
from core.onnx_thread import on_export_thread


class TorchExportError(TransferLabError):
    pass


def torch_export(module, example, path: Path, *, input_name: str | list[str], output_names: list[str], dims: dict,
                 what: str) -> None:
    """Export ``module(example)`` to ``path`` with ``dims`` ({axis: torch.export.Dim}) dynamic. A
    module of several inputs (text: token ids and attention mask) takes a tuple ``example``, a
    list of names and ``dims`` per input name."""
    on_export_thread(_export_here, module, example, path, input_name, output_names, dims, what)


def _export_here(module, example, path, input_name, output_names, dims, what) -> None:
    import torch

    if isinstance(input_name, str):
        examples, names, shapes = (example,), [input_name], {_argument_name(module): dims}
    else:
        examples, names, shapes = tuple(example), list(input_name), dict(dims)
    log = io.StringIO()
    try:
        # The exporter prints its progress (and, on failure, whole graphs) to stdout: keep it for details.
        with warnings.catch_warnings(), contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module, examples, str(path), input_names=names, output_names=output_names,
                dynamic_shapes=shapes, dynamo=True, external_data=False, verbose=False,
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
