"""The smaller variants of an exported fp32 model: fp16 and int8, with the preprocessing kept in float.

Which nodes are which comes from the exporter's name scopes: the fp32 graph is ExportedClassifier,
whose ``prepare`` (resize + normalise, or the audio front end: STFT, mel filter-bank MatMul, log)
runs first and whose ``classifier.backbone`` is the network that turns prepared input into features.
Only the backbone is quantised: quantising the mel filter-bank MatMul took an audio model from 100%
to 35.6% accuracy, and the head is a few thousand weights whose precision matters more than its cost.

int8 is static QDQ quantisation (onnxruntime.quantization.quantize_static): weights per output
channel, activation ranges calibrated on the project's own samples. The dynamic quantisation used
before computed activation scales at run time for every tensor, which made a CNN 11x slower than
fp32 on CPU.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from core.errors import TransferLabError

SCOPES_KEY = "pkg.torch.onnx.name_scopes"
# Per-node metadata the exporter writes that holds paths of this machine's source files.
PRIVATE_NODE_KEYS = ("pkg.torch.onnx.stack_trace", "pkg.torch.onnx.fx_node")


class VariantError(TransferLabError):
    pass


def node_scopes(model) -> dict[str, list[str]]:
    """{node name: the module path it came from, outermost first}, from the exporter's metadata."""
    import ast

    out = {}
    for node in model.graph.node:
        for prop in node.metadata_props:
            if prop.key == SCOPES_KEY:
                try:
                    out[node.name] = [str(s) for s in ast.literal_eval(prop.value)]
                except (ValueError, SyntaxError):
                    pass
    return out


def nodes_in(scopes: dict[str, list[str]], module: str) -> set[str]:
    """Names of the nodes that ``module`` (a dotted path such as "classifier.backbone") produced."""
    return {name for name, path in scopes.items() if module in path}


def strip_private_metadata(model) -> None:
    for node in model.graph.node:
        keep = [(p.key, p.value) for p in node.metadata_props if p.key not in PRIVATE_NODE_KEYS]
        del node.metadata_props[:]
        for key, value in keep:
            entry = node.metadata_props.add()
            entry.key, entry.value = key, value


def topologically_sorted(model):
    """The same model with its nodes in an order where every input is made before it is used.
    onnxruntime's float16 converter appends the input casts after the nodes that read them, which
    onnxruntime tolerates and the ONNX checker (and other runtimes) reject."""
    import onnx_ir as ir

    graph_model = ir.from_proto(model)
    graph_model.graph.sort()
    return ir.to_proto(graph_model)


def write_fp16(src: Path, dst: Path, keep_float: Iterable[str]) -> None:
    """Half-precision weights and arithmetic; inputs, outputs and the nodes ``keep_float`` (the
    preprocessing) stay float32. (onnxruntime.transformers.float16 imports nothing by bare name,
    so it works in the packaged app.)"""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True, node_block_list=sorted(keep_float))
    # The converter leaves the intermediate type annotations of the float32 graph on tensors it made
    # float16 around the nodes kept in float; they are optional, and stale ones fail the checker.
    del model.graph.value_info[:]
    onnx.save(topologically_sorted(model), str(dst))


# onnxruntime.transformers modules that onnxruntime.quantization imports by bare name, in an order
# where each one's own bare imports come before it (build.spec bundles them; tests check the list).
ORT_BARE_MODULES = ("float16", "onnx_model", "fusion_utils")


def _bare_names_importable() -> None:
    """onnxruntime.quantization imports ``from fusion_utils import ...``: from site-packages, importing
    onnxruntime.transformers puts that package's folder on sys.path, which makes the bare names work.
    In a frozen app there is no such folder, so each module is registered under its bare name too."""
    import importlib
    import importlib.util
    import sys

    import onnxruntime.transformers  # noqa: F401 - adds its folder to sys.path where it is one

    for name in ORT_BARE_MODULES:
        if name in sys.modules or importlib.util.find_spec(name) is not None:
            continue
        sys.modules[name] = importlib.import_module(f"onnxruntime.transformers.{name}")


def _quantization():
    """onnxruntime.quantization, or a sentence saying why it cannot be loaded."""
    try:
        _bare_names_importable()
        from onnxruntime import quantization
    except ImportError as exc:
        raise VariantError(f"onnxruntime's quantisation tools cannot be loaded here ({type(exc).__name__}: {exc})",
                           detail=repr(exc)) from None
    return quantization


def write_int8(src: Path, dst: Path, input_name: str, calibration: Iterable[np.ndarray], quantise: set[str]) -> str:
    """Static QDQ int8 of the nodes ``quantise`` (the backbone), calibrated on ``calibration`` (raw
    inputs without their batch dimension); every other node stays float. Returns what was quantised."""
    import onnx

    q = _quantization()
    model = onnx.load(str(src), load_external_data=False)
    if not quantise:
        raise VariantError("the backbone could not be found in the exported graph, so nothing was quantised")
    exclude = [n.name for n in model.graph.node if n.name not in quantise]
    convs = sum(1 for n in model.graph.node if n.name in quantise and n.op_type in ("Conv", "MatMul", "Gemm"))

    class Reader(q.CalibrationDataReader):
        def __init__(self):
            self._it = iter(calibration)

        def get_next(self):
            x = next(self._it, None)
            return None if x is None else {input_name: x[None]}

    logging.disable(logging.WARNING)  # the quantiser logs advice and whole tensor types to the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            q.quantize_static(
                str(src), str(dst), Reader(), quant_format=q.QuantFormat.QDQ, per_channel=True,
                activation_type=q.QuantType.QUInt8, weight_type=q.QuantType.QInt8,
                # MinMax keeps only each tensor's min and max per sample (the augmented model reduces
                # them), so every calibration sample counts at little memory. (Its option
                # CalibMaxIntermediateOutputs, meant to bound memory, drops the collected samples
                # unused in onnxruntime 1.32: with 16 samples and a bound of 8 nothing was left.)
                calibrate_method=q.CalibrationMethod.MinMax, nodes_to_exclude=exclude,
            )
    finally:
        logging.disable(logging.NOTSET)
    _keep_metadata(src, dst)
    return (f"the backbone's {convs} convolutions and matrix multiplications (int8 weights per channel, "
            "activations calibrated on the project's samples); preprocessing and head in float")


def _keep_metadata(src: Path, dst: Path) -> None:
    """The quantiser rewrites the model; the labels and everything else in metadata_props must stay."""
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(src), load_external_data=False).metadata_props}
    model = onnx.load(str(dst))
    have = {p.key for p in model.metadata_props}
    if set(meta) - have:
        for key, value in meta.items():
            if key not in have:
                entry = model.metadata_props.add()
                entry.key, entry.value = key, value
        onnx.save(model, str(dst))


def operators(path: Path) -> tuple[int, list[str]]:
    """(default-domain opset, sorted operator types) of a model file."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    return opset, sorted({n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}" for n in model.graph.node})
