"""Export a trained run to a self-describing ONNX model, and prove it matches PyTorch.

The graph takes raw input (see core.predict.contract) and carries its preprocessing, its labels and
everything else needed to use it in metadata_props. Every export is checked: onnx.checker, then
onnxruntime against PyTorch on real samples of the project; an fp32 export whose probabilities
differ by more than 1e-3 fails loudly and leaves no file behind.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import __version__
from core.errors import TransferLabError
from core.media import MediaError, decode_image, fit_length
from core.predict import contract as C

FP32_TOLERANCE = 1e-3
MAX_INT8_DROP = 0.02


class ExportError(TransferLabError):
    pass


@dataclass
class ExportReport:
    path: str
    run_id: str
    size_bytes: int
    parity_max_diff: float  # onnxruntime vs PyTorch, same raw input
    parity_samples: int
    preprocessing_max_diff: float | None  # onnxruntime on raw files vs the training-time transform
    preprocessing_top1_agreement: float | None
    labels_path: str = ""
    card_path: str = ""
    variants: dict = field(default_factory=dict)  # "fp16" / "int8": path, size, diff, accuracy change
    seconds: float = 0.0
    metadata: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return dict(vars(self))


def _raw_inputs(loaded, project, samples) -> list[tuple[object, np.ndarray]]:
    """(sample, raw model input without batch dim) for the samples that can be read."""
    out = []
    for s in samples:
        try:
            if loaded.modality == "image":
                out.append((s, np.asarray(decode_image(project.path_of(s)), dtype=np.uint8)))
            else:
                wave = project.read_audio(s, loaded.sample_rate)
                out.append((s, fit_length(wave, loaded.clip_samples) if loaded.clip_samples else wave))
        except (MediaError, OSError):
            continue
    return out


def _pick_samples(project, classes, n: int):
    index = set(classes)
    picked = []
    for split in ("test", "val", "train"):
        picked += [s for s in project.samples(status="ok", split=split) if s.label in index]
        if len(picked) >= n:
            break
    return picked[:n]


def _input_spec(loaded) -> dict:
    if loaded.modality == "image":
        return C.image_input_spec()
    seconds = (loaded.clip_samples or loaded.sample_rate) / loaded.sample_rate
    spec = C.audio_input_spec(loaded.sample_rate, seconds)
    spec["fixed_length"] = bool(loaded.clip_samples)  # training cut every clip to window_seconds
    spec["min_samples"] = _min_samples(loaded)
    return spec


def _min_samples(loaded) -> int:
    pre = loaded.spec.preprocessing
    return int(getattr(pre, "n_fft", 0) or getattr(pre, "min_samples", 0) or 1)


_EXPORT_THREAD = None


def _torch_export(wrapper, loaded, path: Path) -> None:
    """torch.onnx.export, always on one thread of its own. After an export on one thread, an export
    on another thread of the same process crashed inside torch (a segmentation fault entering
    FakeTensorMode; seen with an export from the app's engine thread, then one from the main thread):
    so every export of a process runs on the same thread, whoever asks."""
    global _EXPORT_THREAD
    import concurrent.futures

    if _EXPORT_THREAD is None:
        _EXPORT_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx-export")
    _EXPORT_THREAD.submit(_torch_export_here, wrapper, loaded, path).result()


def _torch_export_here(wrapper, loaded, path: Path) -> None:
    import torch

    batch = torch.export.Dim("batch", min=1, max=4096)
    if loaded.modality == "image":
        example = torch.randint(0, 256, (2, 240, 320, 3), dtype=torch.uint8)
        dims = {0: batch, 1: torch.export.Dim("height", min=2, max=16384), 2: torch.export.Dim("width", min=2, max=16384)}
        name = C.IMAGE_INPUT
    else:
        length = loaded.clip_samples or loaded.sample_rate
        example = torch.zeros(2, length)
        dims = {0: batch, 1: torch.export.Dim("time", min=_min_samples(loaded), max=loaded.sample_rate * 3600)}
        name = C.AUDIO_INPUT
    log = io.StringIO()
    try:
        # The exporter prints its progress (and, on failure, whole graphs) to stdout: keep it for details.
        with warnings.catch_warnings(), contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper, (example,), str(path), input_names=[name], output_names=C.output_names(len(loaded.head_sizes)),
                dynamic_shapes={"x": dims}, dynamo=True, external_data=False, verbose=False,
            )
    except Exception as exc:
        raise ExportError(
            f"PyTorch could not export the {loaded.spec.name} model to ONNX ({type(exc).__name__}). "
            "Set TRANSFERLAB_DEBUG=1 for the details.",
            detail=f"{exc}\n{log.getvalue()[-20000:]}",
        ) from None


def _metadata(loaded, project, input_spec: dict) -> dict[str, str]:
    metrics = dict(loaded.info.metrics or {})
    meta = {
        C.KEY_FORMAT: C.FORMAT_VERSION,
        C.KEY_TASK: loaded.modality,
        C.KEY_LABELS: json.dumps(loaded.class_names),
        C.KEY_INPUT_SPEC: json.dumps(input_spec),
        C.KEY_BACKBONE: loaded.spec.name,
        C.KEY_APP_VERSION: __version__,
        C.KEY_CREATED: _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        C.KEY_METRICS: json.dumps(metrics),
        C.KEY_RUN_ID: loaded.info.id,
        "mode": str(loaded.meta.get("mode", "")),
        "project": project.name,
        "preprocessing": json.dumps(loaded.spec.preprocessing.settings()),
    }
    if loaded.modality == "audio":
        meta[C.KEY_SAMPLE_RATE] = str(loaded.sample_rate)
    if loaded.label_sets:  # multi-task: one more output per extra label set
        meta[C.KEY_MAIN_LABEL_SET] = str(loaded.meta.get("main_label_set") or "class")
        meta[C.KEY_LABEL_SETS] = json.dumps([
            {"name": name, "labels": classes, "output": C.set_output(k + 1)}
            for k, (name, classes) in enumerate(loaded.label_sets)])
    return meta


def _write_metadata(path: Path, meta: dict[str, str]) -> None:
    import onnx

    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.doc_string = f"TransferLab {meta[C.KEY_TASK]} classifier: {', '.join(json.loads(meta[C.KEY_LABELS]))}"
    onnx.save(model, str(path))
    onnx.checker.check_model(str(path))


def _session(path: Path, threads: int | None = None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _run(session, name: str, x: np.ndarray) -> np.ndarray:
    return session.run([C.PROBABILITIES], {name: x[None]})[0][0]


def _run_all(session, name: str, x: np.ndarray) -> np.ndarray:
    """Every probability output (the main label set's, then each extra set's), end to end."""
    outputs = [o.name for o in session.get_outputs() if o.name != C.LOGITS]
    return np.concatenate([p[0] for p in session.run(outputs, {name: x[None]})])


def export_run(project, out_path, run=None, *, fp16: bool = False, int8: bool = False,
               parity_samples: int = 8, spec=None) -> ExportReport:
    """Export run ``run`` (default: the newest trained one) to ``out_path`` and check it."""
    import torch

    from core.export.graph import ExportedClassifier
    from core.project.upkeep import place, staging_path
    from core.runs import load_run

    started = time.perf_counter()
    out = Path(out_path).expanduser().resolve()
    if out.suffix.lower() != ".onnx":
        raise ExportError(f"The output file should end in .onnx ('{out.name}' does not).")
    out.parent.mkdir(parents=True, exist_ok=True)
    loaded = load_run(project, run, spec=spec)
    wrapper = ExportedClassifier(loaded.spec.preprocessing, loaded.model, speech=loaded.speech,
                                 head_sizes=loaded.head_sizes).eval()
    tmp = staging_path(loaded.info.dir, out)  # inside the project: a kill leaves nothing beside `out`
    try:
        _torch_export(wrapper, loaded, tmp)
        input_spec = _input_spec(loaded)
        meta = _metadata(loaded, project, input_spec)
        _write_metadata(tmp, meta)
        name = input_spec["name"]
        samples = _raw_inputs(loaded, project, _pick_samples(project, loaded.class_names, parity_samples))
        if not samples:
            raise ExportError("No sample of the project could be read to check the export against PyTorch.")
        session = _session(tmp)
        diffs, pre_diffs, agree = [], [], []
        with torch.inference_mode():
            for s, raw in samples:
                got = _run_all(session, name, raw)
                outs = wrapper(torch.from_numpy(np.array(raw))[None])
                want = torch.cat([outs[0][0], *(o[0] for o in outs[2:])]).numpy()
                diffs.append(float(np.abs(got - want).max()))
                trained = _training_time_probs(loaded, raw)
                pre_diffs.append(float(np.abs(got - trained).max()))
                main = len(loaded.class_names)
                agree.append(int(got[:main].argmax() == trained[:main].argmax()))
        parity = max(diffs)
        if not parity <= FP32_TOLERANCE:  # written so that NaN fails too
            raise ExportError(
                f"The exported model does not match PyTorch: probabilities differ by up to {parity:.2e} "
                f"(allowed {FP32_TOLERANCE:.0e}). The file was not written; please report this."
            )
        place(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    report = ExportReport(
        path=str(out), run_id=loaded.info.id, size_bytes=out.stat().st_size, parity_max_diff=parity,
        parity_samples=len(samples), preprocessing_max_diff=max(pre_diffs),
        preprocessing_top1_agreement=sum(agree) / len(agree), metadata=meta,
    )
    if fp16:
        report.variants["fp16"] = _fp16_variant(out, name, samples, session)
    if int8:
        report.variants["int8"] = _int8_variant(project, loaded, out, name, session)
    from core.export.files import write_companions

    report.labels_path, report.card_path = write_companions(out, loaded, project, report)
    report.seconds = round(time.perf_counter() - started, 2)
    try:
        (loaded.info.dir / "export.json").write_text(json.dumps(report.to_json(), indent=1))
    except OSError:
        pass
    return report


def _training_time_probs(loaded, raw: np.ndarray) -> np.ndarray:
    """What the PyTorch model says when the input is prepared the way training prepared it."""
    import torch
    from PIL import Image

    pre = loaded.spec.preprocessing
    item = pre.to_tensor(Image.fromarray(raw) if loaded.modality == "image" else raw)
    logits = loaded.model(*pre.collate([item]))[0].float()
    parts = torch.split(logits, loaded.head_sizes) if len(loaded.head_sizes) > 1 else [logits]
    return torch.cat([torch.softmax(p, dim=-1) for p in parts]).numpy()


def _fp16_variant(out: Path, name: str, samples, fp32_session) -> dict:
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    path = out.with_name(out.stem + ".fp16.onnx")
    model = convert_float_to_float16(onnx.load(str(out)), keep_io_types=True)
    onnx.save(model, str(path))
    session = _session(path)
    pairs = [(_run(session, name, raw), _run(fp32_session, name, raw)) for _, raw in samples]
    diff = max(float(np.abs(a - b).max()) for a, b in pairs)
    agree = sum(int(a.argmax() == b.argmax()) for a, b in pairs) / len(pairs)
    return {"path": str(path), "size_bytes": path.stat().st_size, "max_diff_vs_fp32": diff,
            "top1_agreement_vs_fp32": agree, "samples": len(pairs)}


def _quantize(src: Path, dst: Path, ops: list[str] | None) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # onnxruntime logs whole tensor types to the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=ops)
    finally:
        logging.disable(logging.NOTSET)


def _accuracy(session, name, samples, y) -> float:
    return float((np.array([_run(session, name, raw).argmax() for _, raw in samples]) == y).mean())


def _int8_variant(project, loaded, out: Path, name: str, fp32_session) -> dict:
    """Dynamic quantisation, measured on labelled samples of the project. Quantising convolutions
    this way can wreck a CNN (activations get one scale per tensor); when it costs more than
    MAX_INT8_DROP of accuracy, only the matrix multiplications are quantised, and the report says so."""
    path = out.with_name(out.stem + ".int8.onnx")
    samples = _raw_inputs(loaded, project, _pick_samples(project, loaded.class_names, 200))
    index = {c: k for k, c in enumerate(loaded.class_names)}
    y = np.array([index[s.label] for s, _ in samples])
    acc32 = _accuracy(fp32_session, name, samples, y)
    _quantize(out, path, None)
    acc8 = _accuracy(_session(path), name, samples, y)
    quantised = "all supported layers (convolutions and matrix multiplications)"
    tried = {"all_layers_accuracy": acc8}
    if acc32 - acc8 > MAX_INT8_DROP:
        _quantize(out, path, ["MatMul", "Gemm"])
        acc8 = _accuracy(_session(path), name, samples, y)
        quantised = "matrix multiplications only (quantising the convolutions lost too much accuracy)"
    return {"path": str(path), "size_bytes": path.stat().st_size, "samples": len(samples),
            "accuracy_fp32": acc32, "accuracy_int8": acc8, "accuracy_change": acc8 - acc32,
            "quantised": quantised, **tried}
