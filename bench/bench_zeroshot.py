"""Zero-shot by attributes: how often is a class never seen in training recognised from its
description alone, with detectors on every level of the backbone vs on its final features only?

Data: Pillow pictures of 3 colours x 3 shapes (9 classes, each described by its colour and shape),
on grey backgrounds of varied brightness, with varied size and position. For each of several
splits, 3 classes are held out (one per colour and one per shape, so every attribute is still seen
in training), the detectors learn from the other 6, and the held-out pictures are classified among
all 9 classes (generalised zero-shot: seen classes compete). Chance: 1 in 9.

    .venv/bin/python -m bench.bench_zeroshot [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from bench.machine import machine

COLOURS = {"red": (210, 40, 40), "blue": (40, 70, 210), "green": (40, 170, 60)}
SHAPES = ("circle", "square", "triangle")
# held-out triples: each a "Latin square" row, so every colour and every shape keeps examples
HOLDOUTS = [
    [("red", "circle"), ("blue", "square"), ("green", "triangle")],
    [("red", "square"), ("blue", "triangle"), ("green", "circle")],
    [("red", "triangle"), ("blue", "circle"), ("green", "square")],
]


def picture(colour: str, shape: str, seed: int, size: int = 96) -> Image.Image:
    rng = random.Random(seed)
    grey = rng.randint(120, 240)
    im = Image.new("RGB", (size, size), (grey, grey, grey))
    d = ImageDraw.Draw(im)
    r = rng.randint(size // 7, size // 3)
    cx, cy = rng.randint(r, size - r), rng.randint(r, size - r)
    fill = tuple(max(0, min(255, c + rng.randint(-30, 30))) for c in COLOURS[colour])
    box = [cx - r, cy - r, cx + r, cy + r]
    if shape == "circle":
        d.ellipse(box, fill=fill)
    elif shape == "square":
        d.rectangle(box, fill=fill)
    else:
        d.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=fill)
    return im


def one_split(root: Path, held: list[tuple[str, str]], per_class: int, seed: int) -> dict:
    from core.evaluate.run_eval import predict_samples
    from core.importer import import_files
    from core.project import Project
    from core.runs import load_run
    from core.zeroshot import zeroshot_run

    for k, colour in enumerate(COLOURS):
        for j, shape in enumerate(SHAPES):
            part = "held" if (colour, shape) in held else "train"
            for i in range(per_class):
                path = root / part / f"{colour} {shape}" / f"{i}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                picture(colour, shape, seed=seed * 100_000 + 1000 * (3 * k + j) + i).save(path)
    project = Project.create(root / "p", "image")
    held_project = Project.create(root / "h", "image")
    try:
        import_files(project, [root / "train"])
        project.reset_splits(val=0.0, test=0.0)
        for colour in COLOURS:
            for shape in SHAPES:
                project.set_class_attributes(f"{colour} {shape}", [colour, shape])
        import_files(held_project, [root / "held"])
        samples = held_project.samples()
        out = {}
        for name, all_levels in (("all_levels", True), ("final_features", False)):
            started = time.perf_counter()
            run = zeroshot_run(project, all_levels=all_levels)
            seconds = time.perf_counter() - started
            loaded = load_run(project, run.run_id)
            probs, kept, _ = predict_samples(loaded, held_project, samples)
            predicted = [loaded.class_names[int(p.argmax())] for p in probs]
            truth = [samples[i].label for i in kept]
            per_class = {c: float(np.mean([p == t for p, t in zip(predicted, truth) if t == c]))
                         for c in sorted(set(truth))}
            out[name] = {"accuracy": float(np.mean([p == t for p, t in zip(predicted, truth)])),
                         "per_class": per_class, "seconds": round(seconds, 2),
                         "train_acc": run.metrics["train_acc"]}
        return out
    finally:
        project.close()
        held_project.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one split, fewer pictures")
    ap.add_argument("--per-class", type=int, default=20)
    ap.add_argument("--out", default="bench/results/zeroshot.json")
    args = ap.parse_args()
    per_class = 8 if args.quick else args.per_class
    splits = HOLDOUTS[:1] if args.quick else HOLDOUTS
    work = Path("bench/work/zeroshot")
    results = []
    started = time.perf_counter()
    for seed, held in enumerate(splits):
        shutil.rmtree(work, ignore_errors=True)
        r = one_split(work / str(seed), held, per_class, seed)
        r["held_out"] = [f"{c} {s}" for c, s in held]
        results.append(r)
        print(f"held out {', '.join(r['held_out'])}: all levels {r['all_levels']['accuracy']:.0%}, "
              f"final features only {r['final_features']['accuracy']:.0%}")
    shutil.rmtree(work, ignore_errors=True)
    summary = {name: float(np.mean([r[name]["accuracy"] for r in results])) for name in ("all_levels", "final_features")}
    print(f"mean over {len(results)} splits: all levels {summary['all_levels']:.1%}, final features only "
          f"{summary['final_features']:.1%} (chance {1 / 9:.1%})")
    data = {"benchmark": "zeroshot", "machine": machine(), "quick": args.quick, "per_class": per_class,
            "classes": 9, "chance": 1 / 9, "summary": summary, "splits": results,
            "seconds": round(time.perf_counter() - started, 1)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
