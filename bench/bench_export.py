"""Exported variants against fp32, in one run: file size, CPU latency (batch 1, on 1 thread and on all
threads) and accuracy on held-out data of the fp32, fp16 and int8 files of an image model and an
audio model, each a probe on its modality's default backbone (pictures: EfficientNet-Lite0 and
Lite1 together; sounds: the audio EfficientNet-Lite0) with a trained head, preprocessing included.

- image: five shape classes in the "cluttered" domain (bench/shape_domains.py), 40 training
  pictures a class and 30 unlabelled ones in the project, 30 held-out pictures a class drawn with
  other seeds; latency on a 640x480 photo.
- audio: four spoken words and background noise (espeak-ng voices, as tests/e2e/test_keyword_spotting),
  held-out clips spoken by other voices; latency on a 1 s clip.

Every variant is exported by `export_run` itself (so it also says whether it would write it, and
why not) and then measured here on the same inputs, the variants taking turns (best of interleaved
runs), with PyTorch eager as a further reference for the fp32 image model.

    .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.machine import machine  # noqa: E402

KINDS = ("fp32", "fp16", "int8")
BUDGET_S, MAX_RUNS = 6.0, 400  # per variant and input: the machine is shared, the best of many runs counts


def _image_projects(root: Path):
    from bench.shape_domains import render, write_set
    from core.importer import import_files
    from core.project import Project

    write_set(root / "train_src", "cluttered", per_class=40, seed0=1000)
    write_set(root / "test_src", "cluttered", per_class=30, seed0=90_000)
    project = Project.create(root / "proj", "image", "Shapes")
    import_files(project, [root / "train_src"])
    # as people have them: more pictures than they labelled (the export compares each variant with
    # fp32 on these, the samples it did not learn from; the held-out set below stays apart)
    write_set(root / "unlabelled_src", "cluttered", per_class=30, seed0=50_000)
    import_files(project, [root / "unlabelled_src"], labels="none")
    project.reset_splits(val=0.2, test=0.0)
    heldout = Project.create(root / "heldout", "image", "Held-out shapes")
    import_files(heldout, [root / "test_src"])
    photo = np.asarray(render("star", "cluttered", 480, 7).resize((640, 480)))
    return project, heldout, photo


def _audio_projects(root: Path):
    from core.importer import import_files
    from core.project import Project
    from tests.e2e.test_keyword_spotting import TEST_VOICES, TRAIN_VOICES, _write_set
    from tests.helpers.speech import keyword_clip, require_espeak

    require_espeak()
    _write_set(root / "train_src", TRAIN_VOICES, (140, 180), (40, 60), seed=0)
    _write_set(root / "test_src", TEST_VOICES, (150, 175), (50,), seed=5000)
    project = Project.create(root / "proj", "audio", "Keywords")
    import_files(project, [root / "train_src"])
    project.reset_splits(val=0.2, test=0.0)
    heldout = Project.create(root / "heldout", "audio", "Other voices")
    import_files(heldout, [root / "test_src"])
    return project, heldout, keyword_clip("yes", "en-us", seed=1)


def _measure(task: str, project, heldout, example: np.ndarray, tmp: Path) -> dict:
    from core.export import measure
    from core.export.exporter import export_run
    from core.export.samples import labelled_inputs
    from core.runs import load_run
    from core.train import TrainConfig, Trainer

    run = Trainer(project, TrainConfig(mode="probe", seed=3)).fit()
    report = export_run(project, tmp / f"{task}.onnx", run.run_id, fp16=True, int8=True)
    loaded = load_run(project, run.run_id)
    paths = {k: Path(report.variants[k]["path"]) for k in KINDS}
    _make_dropped(paths, loaded, project, report)
    name = "image" if task == "image" else "waveform"
    sessions = {k: measure.session(p) for k, p in paths.items()}
    scores = measure.accuracy_pass(sessions, name, labelled_inputs(loaded, heldout, heldout.samples()))
    one, runs1 = measure.latency(paths, name, example, threads=1, budget_s=BUDGET_S, max_runs=MAX_RUNS)
    every, runs_all = measure.latency(paths, name, example, threads=os.cpu_count() or 1, budget_s=BUDGET_S,
                                      max_runs=MAX_RUNS)
    small = None
    if task == "image":  # the backbone's own input size: no resize work, what quantisation can speed up
        side = int(loaded.spec.preprocessing.crop_size)
        square = np.ascontiguousarray(example[:side, :side])
        small, _ = measure.latency(paths, name, square, threads=1, budget_s=BUDGET_S, max_runs=MAX_RUNS)
    rows = {}
    for k in KINDS:
        v = report.variants[k]
        size = paths[k].stat().st_size
        rows[k] = {
            "size_mib": round(size / 2**20, 2),
            "ms_1_thread": round(one[k], 2),
            f"ms_{os.cpu_count()}_threads": round(every[k], 2),
            "heldout_accuracy": round(scores[k]["accuracy"], 4),
            "top1_agreement_vs_fp32": round(scores[k]["top1_agreement_vs_fp32"], 4),
            "size_vs_fp32": round(size / paths["fp32"].stat().st_size, 3),
            "speedup_1_thread_vs_fp32": round(one["fp32"] / one[k], 2),
            **({f"ms_1_thread_{side}px": round(small[k], 2),
                f"speedup_1_thread_{side}px_vs_fp32": round(small["fp32"] / small[k], 2)} if small else {}),
            "accuracy_points_vs_fp32": round(100 * (scores[k]["accuracy"] - scores["fp32"]["accuracy"]), 1),
            "written_by_export": bool(v.get("written")),
            "export_rule": v.get("reason") or "passed",
            "export_measured": {key: v.get(key) for key in ("accuracy", "latency_ms", "samples", "unseen_samples",
                                                             "unseen_agreement_vs_fp32")},
        }
    out = {"backbone": loaded.spec.name, "heldout_samples": scores["fp32"]["samples"], "latency_runs": [runs1, runs_all],
           "latency_input": f"{example.shape[1]}x{example.shape[0]} photo" if task == "image"
           else f"{example.shape[0] / 16000:.1f} s clip", "variants": rows,
           "int8_quantised": report.variants["int8"].get("quantised")}
    if task == "image":
        out["pytorch_eager_ms_all_threads"] = round(_eager_ms(loaded, example), 2)
    return out


def _make_dropped(paths: dict, loaded, project, report) -> None:
    """A variant the export did not write (it failed its rule) is made the same way beside it, so it
    is measured all the same."""
    import onnx

    from core.export import variants as V
    from core.export.samples import calibration_inputs

    fp32 = paths["fp32"]
    scopes = V.node_scopes(onnx.load(str(fp32)))
    for kind in ("fp16", "int8"):
        if paths[kind].exists():
            continue
        paths[kind] = fp32.with_name(f"dropped.{kind}.onnx")
        if kind == "fp16":
            V.write_fp16(fp32, paths[kind], V.nodes_in(scopes, "prepare"))
        else:
            V.write_int8(fp32, paths[kind], json.loads(report.metadata["input_spec"])["name"],
                         calibration_inputs(loaded, project), V.nodes_in(scopes, "classifier.backbone"))


def _eager_ms(loaded, example: np.ndarray) -> float:
    import torch

    from core.export.graph import ExportedClassifier

    wrapper = ExportedClassifier(loaded.spec.preprocessing, loaded.model).eval()
    x = torch.from_numpy(example[None])
    best = float("inf")
    with torch.inference_mode():
        for _ in range(3):
            wrapper(x)
        for _ in range(20):
            t = time.perf_counter()
            wrapper(x)
            best = min(best, time.perf_counter() - t)
    return best * 1000.0


def main() -> None:
    doc = {"benchmark": "exported variants vs fp32: size, latency (batch 1, preprocessing inside the model; best "
                        "of interleaved runs) and held-out accuracy",
           "model": "each modality's default probe (its backbone under 'backbone': bundled weights) + linear head"}
    doc["load_average_1_5_15_min_at_start"] = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for task, make in (("image", _image_projects), ("audio", _audio_projects)):
            (tmp / task).mkdir()
            project, heldout, example = make(tmp / task)
            try:
                doc[task] = _measure(task, project, heldout, example, tmp / task)
            finally:
                project.close()
                heldout.close()
            print(task, json.dumps(doc[task], indent=1), flush=True)
    doc["machine"] = machine()
    doc["load_average_1_5_15_min_at_end"] = [round(x, 2) for x in os.getloadavg()]
    doc["date"] = time.strftime("%Y-%m-%d")
    (HERE / "results" / "export.json").write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
