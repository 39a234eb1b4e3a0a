"""The probe on a CUDA GPU: the pair (the default picture probe there at any size) against Lite0
alone, on the same files, in one run.

For each size (2,000 and 5,000 96x96 JPEGs of 10 classes, drawn by bench/bench_embed.py's maker),
each backbone: a first probe with the project's embedding cache emptied (decode, embed on the GPU,
choose and solve the head on the CPU), then a retrain reading the cache, as after a label edit. The
figures: wall seconds of each, the embedding rate the trainer reports, the estimate it reports.

Run: python -m bench.bench_gpu_probe [--images 2000,5000]  ->  bench/results/gpu_probe-<device>.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_embed import make_images  # noqa: E402
from bench.machine import machine, write_named_result  # noqa: E402
from core.importer import import_files  # noqa: E402
from core.project import Project  # noqa: E402
from core.train import TrainConfig, Trainer, events  # noqa: E402

BACKBONES = ("efficientnet_lite0_lite1", "efficientnet_lite0")


def probe(project: Project, backbone: str, device: str) -> dict:
    rec = events.Recorder()
    start = time.perf_counter()
    result = Trainer(project, TrainConfig(mode="probe", backbone=backbone, device=device), callbacks=[rec]).fit()
    wall = time.perf_counter() - start
    embeds = rec.of(events.EmbedProgress)
    return {"status": result.status, "wall_s": round(wall, 2),
            "embed_per_s": round(embeds[-1].per_second, 1) if embeds and embeds[-1].per_second else None,
            "val_acc": result.metrics.get("val_acc"), "val_estimate": result.metrics.get("val_estimate")}


def run(root: Path, n: int, device: str) -> dict:
    src = root / f"src{n}"
    make_images(src, n)
    project = Project.create(root / f"proj{n}", "image", f"{n} pictures")
    import_files(project, [src], labels="folder")
    out = {}
    for backbone in BACKBONES:
        shutil.rmtree(Path(project.root) / "cache", ignore_errors=True)  # a cold first probe for each
        first = probe(project, backbone, device)
        again = probe(project, backbone, device)
        out[backbone] = {"first": first, "retrain_cached": again}
        print(n, backbone, json.dumps(out[backbone]), flush=True)
    project.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", default="2000,5000")
    ap.add_argument("--device", default="cuda", help="cuda (the measurement); cpu: a dry run of the script")
    args = ap.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("No CUDA GPU here: this benchmark measures the probe on one.", file=sys.stderr)
        return 2
    result = {"machine": machine(), "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu", "torch": torch.__version__,
              "cpu_threads": torch.get_num_threads(), "files": "96x96 JPEG, 10 classes (bench_embed.make_images)",
              "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(v) for v in args.images.split(",")):
            result["sizes"][str(n)] = run(Path(tmp), n, args.device)
    if args.device != "cuda":
        return 0
    write_named_result("gpu_probe", result["device"], result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
