"""Training engine benchmarks, each against a reference measured in the same process:

1. throughput: Trainer (full mode, epoch 3, decoded cache warm) against a bare hand-written PyTorch
   loop on the same model, batch size, precision and already-decoded data (ratio, target >= 0.9);
2. decoded-sample cache: epoch 1 (decodes JPEG files) against epoch 2 (reads the cache), target >= 2x;
3. probe retrain after a label edit with cached embeddings, 1,000 samples, target < 2 s.

    .venv/bin/python -m bench.bench_train [--images 256] [--probe-samples 1000] [--size 64]
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

from bench.machine import machine  # noqa: E402
from core import backbones  # noqa: E402
from core.importer import import_files  # noqa: E402
from core.project import Project  # noqa: E402
from core.train import TrainConfig, Trainer, events  # noqa: E402
from core.train.model import Classifier  # noqa: E402
from core.weights import load_pretrained  # noqa: E402
from tests.helpers.media_factory import SHAPES, shape_image  # noqa: E402


def make_project(root: Path, n: int, size: int = 160) -> Project:
    for i in range(n):
        shape = SHAPES[i % len(SHAPES)]
        folder = root / "src" / shape
        folder.mkdir(parents=True, exist_ok=True)
        shape_image(shape, size=size, seed=i).save(folder / f"{i}.jpg", quality=90)
    project = Project.create(root / "proj", "image")
    import_files(project, [root / "src"], labels="folder")
    project.reset_splits(val=0.1, test=0.0)
    return project


def bench_trainer(project: Project, size: int, batch: int) -> dict:
    rec = events.Recorder()
    config = TrainConfig(mode="full", epochs=3, batch_size=batch, image_size=size, augment="none",
                         patience=0, device="cpu", precision="fp32")
    Trainer(project, config, callbacks=[rec], batch_event_interval=0.0).fit()
    epochs = rec.of(events.EpochEnd)
    last_epoch = [b for b in rec.of(events.BatchEnd) if b.epoch == 3]
    # Steady state: items/s over epoch 3 without its first batch (warm-up) and without evaluation.
    return {"epoch_seconds": [round(e.seconds, 3) for e in epochs],
            "trainer_items_per_s": last_epoch[-1].items_per_s,
            "train_items": rec.of(events.FitStart)[0].train_size}


def bare_loop(n_items: int, size: int, batch: int) -> float:
    """The reference: a hand-written loop over tensors already in memory, same model and optimizer."""
    spec = backbones.get("efficientnet_lite0")
    model = Classifier(load_pretrained(spec), spec.feature_dim, len(SHAPES), 0.2)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    x = torch.randn(n_items, 3, size, size)
    y = torch.randint(0, len(SHAPES), (n_items,))
    for epoch in range(2):  # the first pass warms up the allocator, as the trainer's epochs 1-2 do
        start = time.perf_counter()
        order = torch.randperm(n_items)
        for i in range(0, n_items, batch):
            idx = order[i:i + batch]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
    return n_items / seconds


def bench_probe(root: Path, n: int, size: int) -> dict:
    project = make_project(root, n, size=96)
    config = TrainConfig(mode="probe", image_size=size, device="cpu")
    first = Trainer(project, config).fit()
    sample = project.samples(split="train")[0]
    other = next(c for c in project.class_names() if c != sample.label)
    project.set_label([sample.id], other)  # the edit a person makes in the labelling view
    start = time.perf_counter()
    second = Trainer(project, config).fit()
    wall = time.perf_counter() - start
    project.close()
    return {"samples": n, "first_run_s": round(first.seconds, 2), "retrain_after_edit_s": round(wall, 3),
            "retrain_epochs": second.epochs_done}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=256)
    ap.add_argument("--probe-samples", type=int, default=1000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = make_project(tmp / "a", args.images)
        trainer = bench_trainer(project, args.size, args.batch)
        project.close()
        bare = bare_loop(trainer["train_items"], args.size, args.batch)
        probe = bench_probe(tmp / "b", args.probe_samples, args.size)
    e1, e2 = trainer["epoch_seconds"][:2]
    result = {
        "machine": machine(),
        "threads": torch.get_num_threads(),
        "model": "efficientnet_lite0 (pretrained), full mode, fp32, augment none",
        "image_size": args.size, "batch_size": args.batch, "train_items": trainer["train_items"],
        "throughput": {"trainer_items_per_s": round(trainer["trainer_items_per_s"], 1),
                       "bare_loop_items_per_s": round(bare, 1),
                       "ratio": round(trainer["trainer_items_per_s"] / bare, 3), "target": ">= 0.9"},
        "decoded_cache": {"epoch_seconds": trainer["epoch_seconds"], "epoch1_over_epoch2": round(e1 / e2, 2),
                          "files": "JPEG 160x160", "target": ">= 2"},
        "probe_retrain": {**probe, "target_s": "< 2"},
    }
    cpu = re.sub(r"[^A-Za-z0-9]+", "-", result["machine"]["cpu"]).strip("-")[:40]
    out = ROOT / "bench" / "results" / f"train-{cpu}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
