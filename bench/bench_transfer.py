"""Transfer from a related model of your own (TrainConfig(from_run=...)) against starting from
ImageNet, at the same small number of target labels, on the same held-out target pictures.

Data (bench/shape_domains.py), five shape classes (circle, square, triangle, star, cross) in two
rendering domains:

- source, domain "cluttered": filled shapes, randomly rotated, sized and placed, of low-to-medium
  contrast on colour gradients with distractor strokes and blobs and pixel noise. Plenty of it:
  ``--source-per-class`` pictures per class (80 % train, 20 % validation).
- target, domain "outline": the same five shapes drawn only as a thin outline, smaller, on a
  smooth random colour texture with distractor strokes, sometimes blurred, with grain. A shift in
  rendering (filled -> outline, gradient -> texture), same classes and names (so the source model's
  head rows carry over).

The source model: EfficientNet-Lite0 (bundled ImageNet weights), mode finetune (what auto mode
picks on the CPU for this much data), trained once (seed 0). Then, for every seed and every label
count (``--labels``, per class; the draws are nested: the 2 labels of a seed are the first 2 of its
5 and 10), a target project holding only those labelled pictures (all in the training split: no
validation, the best epoch is chosen on them, as a person with a handful of labels has it) is
trained twice with identical settings but the start:

- from ImageNet: TrainConfig(mode=M, ...)
- from the source run: TrainConfig(mode=M, from_run=<source run folder>, ...)

for M = finetune (the comparison asked for) and M = probe (what auto mode would pick at these label
counts). For finetune also a third start, "from_run_new_head": the source run's backbone but the
target classes renamed for that run (so no head row carries over, as when an earlier model's classes
differ from the new ones): it separates what the adapted backbone brings from what the carried head
brings. Every model is scored on the same ``--heldout`` target pictures per class (a separate
project; core.runs.load_run + core.evaluate.run_eval.predict_samples). "before": the source model
itself on the held-out target pictures, with no target label at all.

All runs at ``--size`` px (default 96, the pictures' own size: a CPU budget; ImageNet features are
somewhat weaker at 96 than at 224, the same for both starts).

    .venv/bin/python -m bench.bench_transfer            # 2/5/10 labels, 3 seeds
    .venv/bin/python -m bench.bench_transfer --quick    # smoke run
Writes bench/results/transfer.json (--quick: transfer-quick.json).
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
from core.importer import import_files  # noqa: E402
from core.project import Project  # noqa: E402
from core.train import TrainConfig, Trainer, events  # noqa: E402

SOURCE_DOMAIN, TARGET_DOMAIN = "cluttered", "outline"
HELDOUT_SEED0 = 1_000_000
STARTS = ("imagenet", "from_run", "from_run_new_head")
RENAMED = "{}-new"  # from_run_new_head: the target classes under other names for that run


def accuracy(project, run, heldout, samples) -> float:
    return heldout_accuracy(project, run, heldout, samples, rename={RENAMED.format(c): c for c in CLASSES})


def source_run(root: Path, args) -> tuple[Project, events.FitEnd, float]:
    write_set(root / "src", SOURCE_DOMAIN, args.source_per_class, seed0=0, size=args.picture)
    project = Project.create(root / "p", "image", "source: cluttered shapes")
    import_files(project, [root / "src"])
    project.reset_splits(val=0.2, test=0.0)
    config = TrainConfig(mode="finetune", epochs=args.source_epochs, image_size=args.size, seed=0, device="cpu")
    start = time.perf_counter()
    end = Trainer(project, config).fit()
    return project, end, time.perf_counter() - start


def train(project, mode: str, start: str, source_dir: str, args, seed: int):
    reasons = []
    config = TrainConfig(mode=mode, batch_size=args.batch, image_size=args.size, seed=seed, device="cpu",
                         epochs=args.epochs if mode == "finetune" else args.probe_epochs,
                         from_run=source_dir if start.startswith("from_run") else None)
    renamed = start == "from_run_new_head"
    if renamed:
        for c in CLASSES:
            project.rename_class(c, RENAMED.format(c))
    try:
        t0 = time.perf_counter()
        end = Trainer(project, config, callbacks=[
            lambda e: reasons.append(e.mode_reason) if isinstance(e, events.FitStart) else None]).fit()
        secs = time.perf_counter() - t0
    finally:
        if renamed:
            for c in CLASSES:
                project.rename_class(RENAMED.format(c), c)
    return end, secs, reasons[0]


def summarise(rows: list[dict], modes, labels) -> dict:
    out = {}
    for mode in modes:
        for k in labels:
            cell = {}
            for start in STARTS:
                accs = [r["acc"] for r in rows if (r["mode"], r["labels"], r["start"]) == (mode, k, start)]
                if accs:
                    cell[start] = {"mean": round(statistics.fmean(accs), 4),
                                   "sd": round(statistics.stdev(accs), 4) if len(accs) > 1 else 0.0}
            for start in STARTS[1:]:
                gains = []
                for seed in sorted({r["seed"] for r in rows}):
                    pair = {r["start"]: r["acc"] for r in rows if (r["mode"], r["labels"], r["seed"]) == (mode, k, seed)}
                    if start in pair and "imagenet" in pair:
                        gains.append(pair[start] - pair["imagenet"])
                if gains:
                    cell[start]["gain_points"] = {
                        "mean": round(100 * statistics.fmean(gains), 1),
                        "sd": round(100 * statistics.stdev(gains), 1) if len(gains) > 1 else 0.0,
                        "min": round(100 * min(gains), 1), "max": round(100 * max(gains), 1),
                        "per_seed": [round(100 * g, 1) for g in gains]}
            if cell:
                seeds = len({r["seed"] for r in rows if (r["mode"], r["labels"]) == (mode, k)})
                out[f"{mode} {k} labels"] = {"mode": mode, "labels_per_class": k, "seeds": seeds, **cell}
    return out


def table(summary: dict, before: float) -> str:
    def cell(s, start):
        if start not in s:
            return " " * 32
        g = s[start].get("gain_points")
        acc = f"{100 * s[start]['mean']:5.1f} ± {100 * s[start]['sd']:4.1f}"
        return acc + (f" ({g['mean']:+5.1f} ± {g['sd']:4.1f})" if g else " " * 16)

    lines = [f"source model on the target, no target labels ('before'): {100 * before:.1f} %",
             "accuracy on the held-out target pictures, mean ± sd over seeds (gain over ImageNet, points)", "",
             f"{'mode':<9}{'labels':>6}  {'from ImageNet':<14}  {'from own run':<30}  {'own backbone, new head'}",
             "-" * 98]
    for s in summary.values():
        lines.append(f"{s['mode']:<9}{s['labels_per_class']:>6}  {cell(s, 'imagenet')[:14]}  "
                     f"{cell(s, 'from_run'):<30}  {cell(s, 'from_run_new_head'):<30}".rstrip())
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", default="2,5,10", help="target labels per class, comma-separated")
    ap.add_argument("--seeds", type=int, default=3, help="random draws of the target labels")
    ap.add_argument("--modes", default="finetune,probe")
    ap.add_argument("--new-head-modes", default="finetune",
                    help="modes that also run the 'own backbone, new head' start (comma-separated, or none)")
    ap.add_argument("--probe-standardise", choices=("code", "overall"), default="code",
                    help="diagnostic: 'overall' patches core in-process so the head's input is standardised "
                         "with one overall scale, not per feature (see the report)")
    ap.add_argument("--heldout", type=int, default=30, help="held-out target pictures per class")
    ap.add_argument("--source-per-class", type=int, default=100, help="source pictures per class")
    ap.add_argument("--source-epochs", type=int, default=12)
    ap.add_argument("--picture", type=int, default=96, help="picture size drawn, px")
    ap.add_argument("--size", type=int, default=96, help="training / evaluation resolution, px")
    ap.add_argument("--epochs", type=int, default=12, help="target fine-tuning epochs (the finetune default)")
    ap.add_argument("--probe-epochs", type=int, default=60, help="target probe epochs (the probe default)")
    ap.add_argument("--batch", type=int, default=8, help="target batch size")
    ap.add_argument("--quick", action="store_true", help="smoke run: tiny source, 1 seed, 2 labels, 2 epochs")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.quick:
        args.labels, args.seeds, args.heldout = "2", 1, 5
        args.source_per_class, args.source_epochs, args.epochs, args.probe_epochs = 10, 2, 2, 5
    labels = [int(s) for s in args.labels.split(",")]
    modes = args.modes.split(",")
    new_head_modes = [] if args.new_head_modes == "none" else args.new_head_modes.split(",")
    name = "transfer" + ("-overall-scale" if args.probe_standardise == "overall" else "")
    name += "-quick" if args.quick else ""
    out = args.out or ROOT / "bench" / "results" / f"{name}.json"
    started = time.perf_counter()
    load_start = os.getloadavg()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp, probe_standardisation(args.probe_standardise):
        tmp = Path(tmp)
        write_set(tmp / "held" / "src", TARGET_DOMAIN, args.heldout, seed0=HELDOUT_SEED0, size=args.picture)
        heldout = Project.create(tmp / "held" / "p", "image", "held-out target")
        import_files(heldout, [tmp / "held" / "src"])
        samples = [s for s in heldout.samples(status="ok") if s.label is not None]
        assert len(samples) == args.heldout * len(CLASSES)

        source, src_end, src_s = source_run(tmp / "source", args)
        source_dir = src_end.run_dir  # named by its folder: a run of another project
        before = accuracy(source, src_end.run_id, heldout, samples)
        src_info = {"run_status": src_end.status, "epochs_done": src_end.epochs_done, "best_epoch": src_end.best_epoch,
                    "val_acc_on_source": round(src_end.metrics.get("val_acc", float("nan")), 4),
                    "train_seconds": round(src_s, 1), "before_acc_on_target_heldout": round(before, 4)}
        print(f"source run: {src_info}", flush=True)
        source.close()

        for seed in range(args.seeds):
            for k in labels:
                project = labelled_project(tmp / f"s{seed}-k{k}", TARGET_DOMAIN, k, seed, args.picture,
                                           f"target {k} labels seed {seed}")
                try:
                    for mode in modes:
                        for start in STARTS if mode in new_head_modes else STARTS[:2]:
                            end, secs, reason = train(project, mode, start, source_dir, args, seed)
                            acc = accuracy(project, end.run_id, heldout, samples)
                            rows.append({"seed": seed, "labels": k, "mode": mode, "start": start, "acc": round(acc, 4),
                                         "train_s": round(secs, 2), "status": end.status,
                                         "epochs_done": end.epochs_done, "best_epoch": end.best_epoch,
                                         "mode_reason": reason})
                            print(f"seed {seed} {k:>2} labels {mode:<8} {start:<17} {100 * acc:5.1f} %  "
                                  f"({secs:.1f} s, {end.epochs_done} epochs, best {end.best_epoch})", flush=True)
                finally:
                    project.close()
                    shutil.rmtree(tmp / f"s{seed}-k{k}", ignore_errors=True)
        heldout.close()
    summary = summarise(rows, modes, labels)
    result = {
        "benchmark": "transfer from an own related run vs from ImageNet, same target labels and settings",
        "machine": machine(), "threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d"),
        "load_average_at_start_and_end": [round(x, 2) for x in (*load_start[:1], os.getloadavg()[0])],
        "backbone": "efficientnet_lite0 (bundled ImageNet weights)",
        "data": {"classes": list(CLASSES), "source_domain": SOURCE_DOMAIN, "target_domain": TARGET_DOMAIN,
                 "generator": "bench/shape_domains.py render()", "picture_px": args.picture,
                 "source_per_class": args.source_per_class, "source_split": "80 % train / 20 % validation",
                 "target_labels_per_class": labels, "seeds": args.seeds,
                 "target_split": "all labelled target pictures in the training split (best epoch chosen on them)",
                 "heldout_per_class": args.heldout, "heldout_total": args.heldout * len(CLASSES)},
        "settings": {
            "image_size": args.size,
            "source": {"mode": "finetune", "epochs": args.source_epochs, "batch_size": 32, "seed": 0,
                       "other": "TrainConfig defaults"},
            "target": {"modes": modes, "new_head_modes": new_head_modes,
                       "finetune_epochs": args.epochs, "probe_epochs": args.probe_epochs,
                       "batch_size": args.batch, "seed": "the draw's seed",
                       "other": "TrainConfig defaults; the starts differ only in from_run (and, for "
                                "from_run_new_head, the class names)"},
            "probe_standardise": args.probe_standardise + (" (core as it is)" if args.probe_standardise == "code"
                                                           else " (diagnostic: core patched in-process)"),
            "quick": args.quick,
        },
        "source": src_info,
        "summary": summary,
        "per_seed": rows,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print()
    print(table(summary, before))
    print(f"\ntotal {result['total_seconds']} s; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
