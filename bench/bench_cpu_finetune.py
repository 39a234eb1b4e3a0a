"""Fine-tuning on the CPU: memory layout and threads, measured on the training step itself.

The step TransferLab runs in finetune mode (EfficientNet-Lite0, the top third of its blocks
unfrozen, batch 32, AdamW, pretrained batch-norm statistics) on random pictures, with the tensors
and model contiguous (NCHW, today's CPU loop) or channels_last (NHWC), at 1 thread and at every
core. The settings take turns, best of REPEATS rounds each, so a busy machine slows them alike.

Run: .venv/bin/python bench/bench_cpu_finetune.py [--size 224] -> bench/results/cpu_finetune.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.machine import machine  # noqa: E402
from core import backbones  # noqa: E402
from core.train.model import Classifier, default_unfreeze_blocks, set_train_mode  # noqa: E402
from core.weights import load_pretrained  # noqa: E402

REPEATS = 5
STEPS = 4


def make(size: int, channels_last: bool):
    spec = backbones.get("efficientnet_lite0").with_preprocessing(crop_size=size, resize_size=size)
    model = Classifier(load_pretrained(spec), spec.feature_dim, 10, 0.2)
    stages = model.backbone.stages()
    for p in model.backbone.parameters():
        p.requires_grad_(False)
    for stage in stages[len(stages) - default_unfreeze_blocks(model):]:
        for p in model.backbone.stage_parameters(stage):
            p.requires_grad_(True)
    set_train_mode(model, "finetune")
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    x = torch.randn(32, 3, size, size)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (32,))
    return model, optimizer, x, y


def steps_per_s(setup, threads: int) -> float:
    model, optimizer, x, y = setup
    torch.set_num_threads(threads)
    start = time.perf_counter()
    for _ in range(STEPS):
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return STEPS * len(x) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=224)
    a = parser.parse_args()
    cores = os.cpu_count() or 1
    settings = {(layout, threads): make(a.size, layout == "channels_last")
                for layout in ("contiguous", "channels_last") for threads in sorted({1, cores})}
    for setup in settings.values():
        steps_per_s(setup, 1)  # warm-up
    best = {k: 0.0 for k in settings}
    for _ in range(REPEATS):
        for (layout, threads), setup in settings.items():
            best[(layout, threads)] = max(best[(layout, threads)], steps_per_s(setup, threads))
    base = best[("contiguous", cores)]
    result = {"machine": machine(), "image_size": a.size, "batch": 32,
              "images_per_s": {f"{layout}, {threads} thread(s)": round(v, 2) for (layout, threads), v in best.items()},
              "channels_last_vs_contiguous_all_cores": round(best[("channels_last", cores)] / base, 3)}
    print(json.dumps(result, indent=1))
    (ROOT / "bench" / "results" / "cpu_finetune.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
