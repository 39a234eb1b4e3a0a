"""Training engine benchmarks, each against a reference measured in the same process:

1. throughput: Trainer (full mode, epochs 2.., decoded cache warm) against a bare hand-written loop
   on the same model, batch size, precision and already-decoded data. The two alternate epoch by
   epoch (the reference runs in the trainer's EpochEnd callback, so both see the same load on a
   shared machine); best epoch of each (ratio, target >= 0.9). Threads: torch's setting, the same
   for both (one process).
2. decoded-sample cache on photo-like 640x480 JPEG files: trainer epoch 1 (decodes) against
   epoch 2 (reads the cache), and the data path alone (every batch fetched, no model), target >= 2x.
3. probe retrain after a label edit with cached embeddings, 1,000 samples, target < 2 s.

    .venv/bin/python -m bench.bench_train [--images 256] [--size 64] [--cache-size 128]
    .venv/bin/python -m bench.bench_train --device cuda   # GPU: EfficientNet-Lite0, batch 128,
        bf16, channels_last; the bare loop on device-resident data against the trainer (augment
        light, on the GPU) from epoch 2, in the same run. Writes train-gpu-<device>.json.
Writes bench/results/train-<machine>.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_train_parts import data_path_epochs, interleaved, make_photo_project  # noqa: E402
from bench.machine import machine, write_named_result  # noqa: E402
from core import backbones  # noqa: E402
from core.train import TrainConfig, Trainer, events  # noqa: E402


def spec_at(size: int):
    spec = backbones.get("efficientnet_lite0")
    pre = spec.preprocessing
    return spec.with_preprocessing(crop_size=size, resize_size=round(size * pre.resize_size / pre.crop_size))


def bench_cache(project, size: int, batch: int) -> dict:
    """Trainer epochs 1 and 2 (train loop only, from BatchEnd; and whole epochs with evaluation)."""
    rates: dict[int, float] = {}
    rec = events.Recorder()

    def on_batch_end(e):
        if e.batch == e.batches:
            rates[e.epoch] = e.items_per_s

    cb = type("Rates", (), {"on_batch_end": staticmethod(on_batch_end)})()
    config = TrainConfig(mode="full", epochs=2, batch_size=batch, image_size=size, augment="light",
                         patience=0, device="cpu", precision="fp32")
    Trainer(project, config, callbacks=[rec, cb]).fit()
    n = rec.of(events.FitStart)[0].train_size
    train_s = [n / rates[1], n / rates[2]]
    whole = [e.seconds for e in rec.of(events.EpochEnd)]
    return {"train_loop_seconds": [round(s, 3) for s in train_s],
            "train_loop_epoch1_over_epoch2": round(train_s[0] / train_s[1], 2),
            "epoch_seconds_with_eval": [round(s, 3) for s in whole],
            "epoch1_over_epoch2_with_eval": round(whole[0] / whole[1], 2)}


def bench_probe(root: Path, n: int, size: int | None, repeats: int, classes: int = 3) -> dict:
    """``size`` None: the backbone and picture size a person gets (the default picture probe)."""
    project = make_photo_project(root, n, classes=classes, size=(160, 120))
    config = TrainConfig(mode="probe", image_size=size, device="cpu")
    first = Trainer(project, config).fit()
    walls, epochs = [], []
    samples = project.samples(split="train")
    for r in range(repeats):  # each repeat: one label edit, then the retrain a person waits for
        sample = samples[r]
        other = next(c for c in project.class_names() if c != sample.label)
        project.set_label([sample.id], other)
        start = time.perf_counter()
        result = Trainer(project, config).fit()
        walls.append(time.perf_counter() - start)
        epochs.append(result.epochs_done)
    project.close()
    backbone = json.loads((Path(first.run_dir) / "config.json").read_text(encoding="utf-8"))["config"]["backbone"]
    return {"samples": n, "classes": classes, "backbone": backbone, "first_run_s": round(first.seconds, 2),
            "retrain_after_edit_s": round(min(walls), 3),
            "first_run_choice": first.metrics.get("probe_choice"), "first_run_estimate": first.metrics.get("val_acc"),
            "retrain_after_edit_all_s": [round(w, 3) for w in walls], "retrain_epochs": epochs}


def run_cpu(args, tmp: Path) -> dict:
    project = make_photo_project(tmp / "a", args.images)
    thr = interleaved(project, spec_at(args.size), epochs=args.epochs, batch=args.batch,
                      device=torch.device("cpu"), precision="fp32", augment="none")
    data_path = data_path_epochs(project, spec_at(args.cache_size), args.batch)
    cache = bench_cache(project, args.cache_size, args.batch)
    project.close()
    probe = bench_probe(tmp / "b", args.probe_samples, args.size, args.repeats)
    return {
        "machine": machine(), "threads": torch.get_num_threads(),
        "model": "efficientnet_lite0 (pretrained), full mode, fp32",
        "files": "photo-like JPEG 640x480, quality 90",
        "throughput": {**thr, "image_size": args.size, "batch_size": args.batch, "augment": "none",
                       "how": "best trainer epoch (2..) vs best bare-loop epoch, alternating in one process",
                       "target": ">= 0.9"},
        "decoded_cache": {"image_size": args.cache_size, "batch_size": args.batch, "augment": "light",
                          "trainer": cache, "data_path_only": data_path, "target": ">= 2"},
        "probe_retrain": {**probe, "image_size": args.size, "target_s": "< 2"},
    }


def run_cuda(args, tmp: Path) -> dict:
    device = torch.device("cuda", 0)
    project = make_photo_project(tmp / "a", args.images)
    thr = interleaved(project, spec_at(args.size), epochs=args.epochs, batch=args.batch, device=device,
                      precision="bf16", augment=args.augment)
    project.close()
    return {"machine": machine(), "device": torch.cuda.get_device_name(device),
            "model": "efficientnet_lite0 (pretrained), full mode, bf16 autocast, channels_last",
            "files": "photo-like JPEG 640x480, quality 90",
            "throughput": {**thr, "image_size": args.size, "batch_size": args.batch,
                           "trainer_augment": args.augment, "bare_loop": "data on the GPU, no augmentation",
                           "how": "best trainer epoch (2..) vs best bare-loop epoch, alternating in one process",
                           "target": ">= 0.9"}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--images", type=int, default=None, help="photos in the project (cpu 256, cuda 4096)")
    ap.add_argument("--probe-samples", type=int, default=1000)
    ap.add_argument("--size", type=int, default=None, help="throughput resolution (cpu 64, cuda 224)")
    ap.add_argument("--cache-size", type=int, default=128, help="decoded-cache resolution")
    ap.add_argument("--batch", type=int, default=None, help="batch size (cpu 32, cuda 128)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3, help="probe retrains (best of)")
    ap.add_argument("--augment", default="light", help="trainer augmentation in --device cuda")
    ap.add_argument("--only-probe", action="store_true",
                    help="measure only the probe retrain and update it in the CPU result file")
    ap.add_argument("--probe-classes", type=int, default=3, help="classes of the probe's photos (3)")
    ap.add_argument("--probe-default", action="store_true",
                    help="with --only-probe: the default backbone at its own picture size (the pair), kept as "
                         "probe_retrain_default")
    args = ap.parse_args()
    gpu = args.device == "cuda"
    args.images = args.images or (4096 if gpu else 256)
    args.size = args.size or (224 if gpu else 64)
    args.batch = args.batch or (128 if gpu else 32)
    if args.only_probe:
        size = None if args.probe_default else args.size
        with tempfile.TemporaryDirectory() as tmp:
            probe = bench_probe(Path(tmp), args.probe_samples, size, args.repeats, args.probe_classes)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", machine()["cpu"]).strip("-")[:40]
        out = ROOT / "bench" / "results" / f"train-{slug}.json"
        result = json.loads(out.read_text()) if out.exists() else {"machine": machine()}
        key = ("probe_retrain_default" if args.probe_default else "probe_retrain") + (
            f"_{args.probe_classes}_classes" if args.probe_classes != 3 else "")
        result[key] = {**probe, "image_size": size or "the backbone's own", "target_s": "< 2", "machine": machine()}
        out.write_text(json.dumps(result, indent=1))
        print(json.dumps(result[key], indent=1))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        result = (run_cuda if gpu else run_cpu)(args, Path(tmp))
    write_named_result("train-gpu" if gpu else "train", result.get("device") or result["machine"]["cpu"], result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
