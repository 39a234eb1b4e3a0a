"""Export a trained run to a self-describing ONNX model, and prove it matches PyTorch.

The graph takes raw input (see core.predict.contract) and carries its preprocessing, its labels and
everything else needed to use it in metadata_props. Every export is checked: every file it writes
passes onnx.checker with full_check (strict shape inference too), and onnxruntime is compared with
PyTorch on real samples of the project; an fp32 export whose probabilities differ by more than 1e-3
fails loudly and writes nothing. Variants (fp16, int8, the audio front end as its own file) are
measured on the project's labelled samples and written only when they pass (core.export.measure).

Nothing an export writes appears before it has passed: every file is made under a hidden temporary
name in the run's folder inside the project (core.export.staging; a killed export leaves nothing in
the target folder) and moved to its name at the end; on any failure the temporary files go. Files of an
earlier export of the same NAME are replaced only with ``overwrite`` (the CLI's --force, the app's
question), and then its variants this export does not write are removed with it, so no file beside
NAME.onnx describes another model.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core import __version__
from core.export import measure
from core.export.build_variants import FP32_TOLERANCE, make_variants
from core.export.files import existing_files, files_for, other_models, write_companions
from core.export.report import ExportError, ExportExists, ExportReport
from core.export.samples import pick_samples, raw_inputs
from core.export.staging import Staging, check_file, finish_file
from core.predict import contract as C

__all__ = ["ExportError", "ExportExists", "ExportReport", "export_run", "FP32_TOLERANCE"]


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


def _export_main(wrapper, loaded, path: Path) -> None:
    import torch

    from core.export.torch_export import torch_export

    batch = torch.export.Dim("batch", min=1, max=4096)
    if loaded.modality == "image":
        example = torch.randint(0, 256, (2, 240, 320, 3), dtype=torch.uint8)
        dims = {0: batch, 1: torch.export.Dim("height", min=2, max=16384), 2: torch.export.Dim("width", min=2, max=16384)}
        name = C.IMAGE_INPUT
    else:
        example = torch.zeros(2, loaded.clip_samples or loaded.sample_rate)
        dims = {0: batch, 1: torch.export.Dim("time", min=_min_samples(loaded), max=loaded.sample_rate * 3600)}
        name = C.AUDIO_INPUT
    torch_export(wrapper, example, path, input_name=name, output_names=C.output_names(len(loaded.head_sizes)),
                 dims=dims, what=f"{loaded.spec.name} model")


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


def export_run(project, out_path, run=None, *, fp16: bool = False, int8: bool = False, split_frontend: bool = False,
               overwrite: bool = False, measure_fp32: bool = True, record: bool = True, parity_samples: int = 8,
               spec=None, progress: Callable[[str], None] | None = None) -> ExportReport:
    """Export run ``run`` (default: the best finished run, core.run_catalogue.best_run) to ``out_path``, check
    it, and make, measure and judge the variants asked for. A model for the app's own use (the Play
    page's) skips measuring fp32 (``measure_fp32=False``) and is not recorded as the run's export in
    runs/<id>/export.json (``record=False``), which the Export page shows."""
    from core.export.graph import ExportedClassifier
    from core.runs import load_run

    say = progress or (lambda _text: None)
    started = time.perf_counter()
    out = Path(out_path).expanduser().resolve()
    if out.suffix.lower() != ".onnx":
        raise ExportError(f"The output file should end in .onnx ('{out.name}' does not).")
    wanted = {"fp16": fp16, "int8": int8, "frontend": split_frontend, "classifier": split_frontend}
    for role, path in other_models(out).items():
        if wanted.get(role):
            raise ExportError(f"{path.name} is another exported model (with its own "
                              f"{path.with_suffix('').name}.labels.txt or card beside it), and this export's "
                              f"{role} file would take its name; nothing was written. Choose another name for this "
                              f"export, or move that model away first.")
    folder = next((p for p in files_for(out).values() if p.is_dir()), None)
    if folder is not None:  # --force replaced nothing and ended in "unexpected error (IsADirectoryError)"
        raise ExportError(f"'{folder}' is a folder, where this export would write a file; nothing was written. "
                          "Choose another name for the model.")
    before = existing_files(out)
    if before and not overwrite:
        names = ", ".join(p.name for p in before)
        raise ExportExists(f"{names} already exist{'s' if len(before) == 1 else ''} in {out.parent}; nothing was "
                           "written. Choose another name, or replace them (export --force).", before)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder of the path should be, no permission, a read-only disk
        blocker = next((p for p in [*reversed(out.parent.parents), out.parent] if p.exists() and not p.is_dir()), None)
        why = f"'{blocker}' is a file, not a folder" if blocker else (exc.strerror or str(exc))
        raise ExportError(f"Cannot make the folder '{out.parent}' for the model: {why}; nothing was written.") from None
    _check_writable(out.parent)
    loaded = load_run(project, run, spec=spec)
    if split_frontend:
        from core.export.split import supports_split

        if not supports_split(loaded):
            raise ExportError(f"Only an audio model with a log-mel front end can have its front end as a separate "
                              f"file; run {loaded.info.id} ({loaded.spec.name}) has none.")
    text = loaded.modality == "text"
    if text and (fp16 or int8):
        raise ExportError("A text model is exported in fp32 only: fp16 and int8 variants are not made for text "
                          "models yet (their accuracy has not been measured).")
    if text:
        from core.export.graph import TextExportedClassifier

        wrapper = TextExportedClassifier(loaded.model, head_sizes=loaded.head_sizes).eval()
    else:
        wrapper = ExportedClassifier(loaded.spec.preprocessing, loaded.model, speech=loaded.speech,
                                     head_sizes=loaded.head_sizes).eval()
    staging = Staging(out, loaded.info.dir)
    try:
        say("Exporting the model to ONNX and checking it against PyTorch…")
        if text:  # two integer inputs and a tokenizer beside it (core.export.text_export)
            from core.export.text_export import export_text_checked, text_input_spec

            report = export_text_checked(project, loaded, wrapper, staging, out,
                                         _metadata(loaded, project, text_input_spec(loaded)), parity_samples,
                                         _run_summary(project, loaded))
        else:
            report, ctx = _export_checked(project, loaded, wrapper, staging, out, parity_samples)
            make_variants(project, loaded, wrapper, staging, report, ctx, fp16=fp16, int8=int8, split=split_frontend,
                          measure_fp32=measure_fp32, say=say)
        written = [k for k, v in report.variants.items() if v.get("written")]
        roles = [r for k in written for r in (("frontend", "classifier") if k == "split" else (k,))]
        try:
            staging.commit(roles)
            report.labels_path, report.card_path = write_companions(out, loaded, project, report)
        except OSError as exc:  # the disk filled up or went read-only while the model was made
            raise ExportError(f"Cannot write the model into '{out.parent}': {exc.strerror or exc}.") from None
        kept = {str(staging.files[r]) for r in roles} | {report.labels_path, report.card_path}
        for stale in before:  # an earlier export's variants that this one did not write
            if str(stale) not in kept and stale.exists():
                stale.unlink()
                report.removed.append(str(stale))
    finally:
        staging.cleanup()
    report.seconds = round(time.perf_counter() - started, 2)
    if record:
        try:
            (loaded.info.dir / "export.json").write_text(json.dumps(report.to_json(), indent=1))
        except OSError:
            pass
    return report


def _check_writable(folder: Path) -> None:
    """Before a minute of exporting: can files be made in ``folder`` at all (a read-only disk or
    folder ended the export in "unexpected error (OSError: Read-only file system)")."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".transferlab-", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ExportError(f"Cannot write in the folder '{folder}' ({exc.strerror or exc}); nothing was written. "
                          "Choose a folder you can write to.") from None


def _run_summary(project, loaded) -> dict:
    from core.run_catalogue import best_run, list_runs

    best = best_run(list_runs(project))
    info = loaded.info
    return {"id": info.id, "mode": loaded.meta.get("mode") or info.mode, "backbone": loaded.spec.name,
            "status": info.status, "metrics": dict(info.metrics or {}), "best": best is not None and best.id == info.id}


def _export_checked(project, loaded, wrapper, staging: Staging, out: Path, parity_samples: int):
    """The fp32 model under its temporary name, checked; (report, what the variants need)."""
    import onnx
    import torch

    from core.export.variants import node_scopes, operators

    tmp = staging.path("fp32")
    _export_main(wrapper, loaded, tmp)
    input_spec = _input_spec(loaded)
    meta = _metadata(loaded, project, input_spec)
    model = onnx.load(str(tmp))
    scopes = node_scopes(model)  # read before the per-node notes are trimmed
    finish_file(tmp, meta, model)
    try:
        check_file(tmp)
    except ExportError as exc:
        raise ExportError(f"The exported model is not valid ONNX: {exc.message}. Nothing was written; please "
                          "report this.", detail=exc.detail) from None
    name = input_spec["name"]
    samples = raw_inputs(loaded, project, pick_samples(project, loaded.class_names, parity_samples, any_label=True))
    if not samples:
        raise ExportError("No sample of the project could be read to check the export against PyTorch.")
    session = measure.session(tmp)
    diffs, pre_diffs, agree = [], [], []
    with torch.inference_mode():
        for _s, raw in samples:
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
    opset, ops = operators(tmp)
    report = ExportReport(
        path=str(out), run_id=loaded.info.id, size_bytes=tmp.stat().st_size, parity_max_diff=parity,
        parity_samples=len(samples), preprocessing_max_diff=max(pre_diffs),
        preprocessing_top1_agreement=sum(agree) / len(agree), metadata=meta, operators={"opset": opset, "fp32": ops},
        run=_run_summary(project, loaded),
    )
    report.variants["fp32"] = {"path": str(out), "written": True, "size_bytes": report.size_bytes}
    return report, {"scopes": scopes, "input_spec": input_spec, "meta": meta, "samples": samples, "name": name}


def _run_all(session, name: str, x: np.ndarray) -> np.ndarray:
    """Every probability output (the main label set's, then each extra set's), end to end."""
    outputs = [o.name for o in session.get_outputs() if o.name != C.LOGITS]
    return np.concatenate([p[0] for p in session.run(outputs, {name: x[None]})])


def _training_time_probs(loaded, raw: np.ndarray) -> np.ndarray:
    """What the PyTorch model says when the input is prepared the way training prepared it."""
    import torch
    from PIL import Image

    pre = loaded.spec.preprocessing
    item = pre.to_tensor(Image.fromarray(raw) if loaded.modality == "image" else raw)
    logits = loaded.model(*pre.collate([item]))[0].float()
    parts = torch.split(logits, loaded.head_sizes) if len(loaded.head_sizes) > 1 else [logits]
    return torch.cat([torch.softmax(p, dim=-1) for p in parts]).numpy()
