"""Make the variants an export was asked for, check every file with the full ONNX checker, measure all
of them the same way on the project's own samples, and keep only those that pass measure.judge.

A variant that cannot be made or does not pass is not written; its entry in the report says why,
with the numbers, and the fp32 model is written all the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import TransferLabError
from core.export import measure
from core.export import variants as V
from core.export.report import ExportReport
from core.export.samples import calibration_inputs, learnt_from_unlabelled, pick_samples, tagged_inputs, unseen_samples
from core.export.staging import Staging, check_file, finish_file

MEASURE_SAMPLES = 300  # labelled samples every variant is scored on
UNSEEN_SAMPLES = 200  # samples it did not learn from, on which each variant is compared with fp32
FP32_TOLERANCE = 1e-3


def make_variants(project, loaded, wrapper, staging: Staging, report: ExportReport, ctx: dict, *, fp16: bool,
                  int8: bool, split: bool, measure_fp32: bool, say) -> None:
    fp32_tmp = staging.temp["fp32"]
    made: dict[str, Path] = {}
    for kind, wanted in (("fp16", fp16), ("int8", int8)):
        if not wanted:
            continue
        say(f"Making the {kind} variant…")
        entry = report.variants[kind] = {"path": str(staging.files[kind]), "written": False}
        tmp = staging.path(kind)
        try:
            if kind == "fp16":
                V.write_fp16(fp32_tmp, tmp, V.nodes_in(ctx["scopes"], "prepare"))
            else:
                entry["quantised"] = V.write_int8(fp32_tmp, tmp, ctx["name"], calibration_inputs(loaded, project),
                                                  V.nodes_in(ctx["scopes"], "classifier.backbone"))
            check_file(tmp)
        except Exception as exc:  # a variant that cannot be made is reported; the fp32 model still stands
            _fail(entry, exc)
            staging.drop(kind)
            continue
        entry["size_bytes"] = tmp.stat().st_size
        report.operators[kind] = V.operators(tmp)[1]
        made[kind] = tmp
    if made or measure_fp32:
        say("Measuring size, speed and accuracy…")
        _measure(project, loaded, report, ctx, {"fp32": fp32_tmp, **made})
    for kind in made:
        reason = measure.judge(kind, report.variants[kind], report.variants["fp32"])
        if reason:
            report.variants[kind]["reason"] = reason
            staging.drop(kind)
        else:
            report.variants[kind]["written"] = True
    if split:
        say("Exporting the front end and the classifier as two files…")
        report.variants["split"] = _split(loaded, wrapper, staging, report, ctx)


def _fail(entry: dict, exc: Exception) -> None:
    if isinstance(exc, TransferLabError):
        entry["reason"] = exc.message.rstrip(".")
    else:
        entry["reason"] = f"it could not be made ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
    entry["detail"] = getattr(exc, "detail", None) or repr(exc)


def _measure(project, loaded, report: ExportReport, ctx: dict, paths: dict[str, Path]) -> None:
    picked = pick_samples(project, loaded.class_names, MEASURE_SAMPLES)
    sessions = {kind: measure.session(p) for kind, p in paths.items()}
    with_unlabelled = not learnt_from_unlabelled(report.run.get("metrics") or {})
    new_ones = unseen_samples(project, UNSEEN_SAMPLES, unlabelled=with_unlabelled)
    tallies = measure.tagged_pass(sessions, ctx["name"], tagged_inputs(loaded, project, picked, new_ones),
                                  ("scored", "unseen"))
    scores, unseen = tallies["scored"], tallies["unseen"]
    del sessions
    x = ctx["samples"][0][1]
    best, runs = measure.latency(paths, ctx["name"], x, threads=1)
    for kind in paths:
        entry = report.variants[kind]
        entry.update(scores[kind])
        entry["unseen_samples"] = unseen[kind]["samples"]
        entry["unseen_agreement_vs_fp32"] = unseen[kind].get("top1_agreement_vs_fp32")
        entry["latency_ms"] = best[kind]
        entry["size_bytes"] = paths[kind].stat().st_size
    splits = sorted({s.split for s in picked if s.split})
    what = (f"{x.shape[1]}x{x.shape[0]} picture" if loaded.modality == "image"
            else f"{x.shape[0] / loaded.sample_rate:.2f} s clip")
    report.measured = {"samples": scores["fp32"].get("samples", 0), "splits": "/".join(splits) or "none",
                       "unseen_samples": unseen["fp32"]["samples"],
                       "unseen_from": "test split and unlabelled" if with_unlabelled else "test split",
                       "latency_input": what, "latency_runs": runs, "threads": 1}


def _split(loaded, wrapper, staging: Staging, report: ExportReport, ctx: dict) -> dict:
    from core.export.split import chained_probabilities, write_split

    files = staging.files
    entry = {"path": str(files["classifier"]), "frontend_path": str(files["frontend"]), "written": False}
    front, back = staging.path("frontend"), staging.path("classifier")

    def drop() -> None:
        staging.drop("frontend")
        staging.drop("classifier")

    try:
        made = write_split(wrapper, loaded, front, back, ctx["input_spec"], ctx["meta"],
                           (files["frontend"].name, files["classifier"].name))
        finish_file(front, made["frontend_meta"])
        finish_file(back, made["classifier_meta"])
        for path in (front, back):
            check_file(path)
        front_s, back_s = measure.session(front), measure.session(back)
        whole = measure.session(staging.temp["fp32"])
        diff = max(float(np.abs(chained_probabilities(front_s, back_s, raw)
                                - measure.probabilities(whole, ctx["name"], raw)).max()) for _s, raw in ctx["samples"])
    except Exception as exc:
        _fail(entry, exc)
        drop()
        return entry
    entry.update(size_bytes=back.stat().st_size, frontend_size_bytes=front.stat().st_size, max_diff_vs_fp32=diff,
                 samples=len(ctx["samples"]))
    report.operators["frontend"], report.operators["classifier"] = V.operators(front)[1], V.operators(back)[1]
    if not diff <= FP32_TOLERANCE:  # NaN fails too
        entry["reason"] = (f"the two files chained differ from the whole model by up to {diff:.1e} "
                           f"(allowed {FP32_TOLERANCE:.0e})")
        drop()
    else:
        entry["written"] = True
    return entry
