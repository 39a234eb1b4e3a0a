"""Few-shot accuracy: prototypes (core.fewshot) against a linear probe and fine-tuning (core.train)
on the same 1 or 5 labelled examples per class, with the bundled backbone (EfficientNet-Lite0 with
its ImageNet weights, at its own 224 px), every model scored on the same held-out pictures.

Data (bench/shape_domains.py, domain "cluttered"): five shape classes (circle, square, triangle,
star, cross), filled, randomly rotated, sized and placed, of low-to-medium contrast on a colour
gradient with distractor strokes and blobs and pixel noise; 96x96 PNG. Harder than the unit test's
three flat shapes (where prototypes are at 100 %), so that the numbers can differ.

Per seed, the shots are a fresh draw of pictures (the 1-shot set is the first of the 5-shot set)
imported into a project of their own with every sample in the training split (as a person with a
handful of labels has it: nothing to validate on, so probe and fine-tuning choose their best epoch on
the shots themselves). Held out: ``--heldout`` pictures per class, drawn apart from every shot, in a
second project; each model is loaded with core.runs.load_run and scored with
core.evaluate.run_eval.predict_samples.

Time to build = wall time of fewshot_run / Trainer.fit, with the project's embedding cache emptied
first, so probe and prototypes include computing the shots' embeddings (weights loading included).

    .venv/bin/python -m bench.bench_fewshot            # 1 and 5 shots, 4 seeds, 30 held out per class
    .venv/bin/python -m bench.bench_fewshot --quick    # smoke run (1 seed, few pictures, 2 epochs)
Writes bench/results/fewshot.json (--quick: fewshot-quick.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from bench.shape_domains import CLASSES, heldout_accuracy, labelled_project, probe_standardisation, write_set  # noqa: E402
from core import backbones  # noqa: E402
from core.fewshot import fewshot_run  # noqa: E402
from core.importer import import_files  # noqa: E402
from core.project import Project  # noqa: E402
from core.train import TrainConfig, Trainer  # noqa: E402

DOMAIN = "cluttered"
METHODS = ("prototypes", "probe", "finetune")
HELDOUT_SEED0 = 1_000_000  # held-out picture seeds start here; shot seeds are far below


def build(method: str, project: Project, args, seed: int) -> tuple[str, float, dict]:
    """(run id, seconds to build, details); the embedding cache emptied first."""
    shutil.rmtree(Path(project.cache_dir) / "embeddings", ignore_errors=True)
    start = time.perf_counter()
    if method == "prototypes":
        run = fewshot_run(project)
        return run.run_id, time.perf_counter() - start, {"leave_one_out_acc": run.metrics.get("val_acc")}
    config = TrainConfig(mode=method, batch_size=args.batch, seed=seed, device="cpu",
                         epochs=args.epochs if method == "finetune" else args.probe_epochs)
    end = Trainer(project, config).fit()
    return end.run_id, time.perf_counter() - start, {"status": end.status, "epochs_done": end.epochs_done,
                                                     "best_epoch": end.best_epoch}


def summarise(rows: list[dict], shots: list[int]) -> dict:
    out = {}
    for k in shots:
        for m in METHODS:
            accs = [r["acc"] for r in rows if r["shots"] == k and r["method"] == m]
            secs = [r["build_s"] for r in rows if r["shots"] == k and r["method"] == m]
            if not accs:
                continue
            out[f"{k}-shot {m}"] = {
                "shots": k, "method": m, "seeds": len(accs),
                "acc_mean": round(statistics.fmean(accs), 4),
                "acc_std": round(statistics.stdev(accs), 4) if len(accs) > 1 else 0.0,
                "acc_min": round(min(accs), 4), "acc_max": round(max(accs), 4),
                "build_s_mean": round(statistics.fmean(secs), 2),
                "build_s_max": round(max(secs), 2),
            }
    return out


def table(summary: dict) -> str:
    lines = [f"{'shots':>5}  {'method':<11} {'accuracy mean ± sd':>19}  {'min..max':>13}  {'build s':>8}",
             "-" * 64]
    for s in summary.values():
        lines.append(f"{s['shots']:>5}  {s['method']:<11} {100 * s['acc_mean']:>9.1f} ± {100 * s['acc_std']:4.1f} %   "
                     f"{100 * s['acc_min']:5.1f}..{100 * s['acc_max']:5.1f}  {s['build_s_mean']:>8.2f}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shots", default="1,5", help="labelled examples per class, comma-separated")
    ap.add_argument("--seeds", type=int, default=4, help="random draws of the shots")
    ap.add_argument("--heldout", type=int, default=30, help="held-out pictures per class")
    ap.add_argument("--size", type=int, default=96, help="picture size in pixels (the model sees 224)")
    ap.add_argument("--epochs", type=int, default=12, help="fine-tuning epochs (the finetune default)")
    ap.add_argument("--probe-epochs", type=int, default=60, help="probe epochs (the probe default)")
    ap.add_argument("--batch", type=int, default=8, help="batch size of probe and fine-tuning")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ", ".join(METHODS))
    ap.add_argument("--probe-standardise", choices=("code", "overall"), default="code",
                    help="diagnostic: 'overall' patches core in-process so the probe's input is standardised "
                         "with one overall scale, not per feature (see the report)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 1 shot, 5 held out, 2 epochs")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.shots, args.seeds, args.heldout, args.epochs, args.probe_epochs = "1", 1, 5, 2, 5
    shots = [int(s) for s in args.shots.split(",")]
    methods = [m for m in METHODS if m in args.methods.split(",")]
    name = "fewshot" + ("-overall-scale" if args.probe_standardise == "overall" else "")
    name += "-quick" if args.quick else ""
    out = args.out or ROOT / "bench" / "results" / f"{name}.json"
    spec = backbones.default_for("image")
    started = time.perf_counter()
    rows: list[dict] = []
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, probe_standardisation(args.probe_standardise):
        tmp = Path(tmp)
        write_set(tmp / "held" / "src", DOMAIN, args.heldout, seed0=HELDOUT_SEED0, size=args.size)
        heldout = Project.create(tmp / "held" / "p", "image", "held out")
        import_files(heldout, [tmp / "held" / "src"])
        samples = [s for s in heldout.samples(status="ok") if s.label is not None]
        assert len(samples) == args.heldout * len(CLASSES)
        for seed in range(args.seeds):
            for k in shots:
                project = labelled_project(tmp / f"s{seed}-k{k}", DOMAIN, k, seed, args.size, f"{k}-shot seed {seed}")
                try:
                    for method in methods:
                        run_id, secs, details = build(method, project, args, seed)
                        t0 = time.perf_counter()
                        acc = heldout_accuracy(project, run_id, heldout, samples)
                        row = {"seed": seed, "shots": k, "method": method, "acc": round(acc, 4),
                               "build_s": round(secs, 3), "eval_s": round(time.perf_counter() - t0, 2), **details}
                        rows.append(row)
                        print(f"seed {seed} {k}-shot {method:<10} {100 * acc:5.1f} %  built in {secs:6.2f} s",
                              flush=True)
                finally:
                    project.close()
                    shutil.rmtree(tmp / f"s{seed}-k{k}", ignore_errors=True)
        heldout.close()
    summary = summarise(rows, shots)
    result = {
        "benchmark": "few-shot accuracy: prototypes vs linear probe vs fine-tuning on the same shots",
        "machine": machine(), "threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d"),
        "load_average_at_start_and_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "backbone": f"{spec.name} (bundled ImageNet weights), {spec.preprocessing.crop_size} px input",
        "data": {"classes": list(CLASSES), "domain": DOMAIN, "picture_px": args.size,
                 "generator": "bench/shape_domains.py render()",
                 "heldout_per_class": args.heldout, "heldout_total": args.heldout * len(CLASSES),
                 "shots_per_class": shots, "seeds": args.seeds, "methods": methods,
                 "splits": "shots all in the training split (no validation: best epoch chosen on the shots)"},
        "settings": {
            "prototypes": "core.fewshot.fewshot_run defaults (cosine to class means, scale 16)",
            "probe": {"mode": "probe", "epochs": args.probe_epochs, "batch_size": args.batch,
                      "other": "TrainConfig defaults (lr 3e-3, patience 15, augment light)"},
            "finetune": {"mode": "finetune", "epochs": args.epochs, "batch_size": args.batch,
                         "other": "TrainConfig defaults (lr 1e-3, backbone x0.1, top third unfrozen after 1 "
                                  "head warm-up epoch, patience 4, augment light, label smoothing 0.1)"},
            "build_time": "fewshot_run / Trainer.fit wall time, embedding cache emptied first",
            "probe_standardise": args.probe_standardise + (" (core as it is)" if args.probe_standardise == "code"
                                                           else " (diagnostic: core patched in-process)"),
            "quick": args.quick,
        },
        "summary": summary,
        "per_seed": rows,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print()
    print(table(summary))
    print(f"\ntotal {result['total_seconds']} s; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
