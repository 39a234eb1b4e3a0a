"""What else might lift the default probe at 5 and 20 pictures a class (issue 14, stop 35)? Four
families tried on the eight picture tasks of the transfer-quality suite, each against today's
default on the same draws:

- ``B`` today's default on EfficientNet-Lite0's features (every level's mean, 2x2 cells and
  maximum; grid, levels and final column sets chosen by cross-validation; two altered views of each
  labelled picture): bench/max_pool_lab.py's variant B, its cached features;
- a power transform of every column before standardising (``ssqrt``: sign(x) sqrt|x|; ``p75``:
  sign(x) |x|^0.75), as few-shot work does with ReLU features;
- each column's spread shrunk towards the mean spread of its own block (a level's means, its
  cells, its maxima, the final features: ``block``) instead of all columns', and blocks weighed
  equally (``blockeq``: each block's summed variance the same; ``blockeq_half``: half way);
- other altered views of the labelled pictures: ``mild`` (a crop of 90-100% instead of 75-100%),
  ``zoomout`` (the whole picture scaled to 80-100% on its own edge colour: nothing cut off, where a
  crop can cut a scene's target object or one of the objects counted), ``mixed`` (today's first
  view and a zoomed-out second) and ``four`` (today's two and two zoomed out).

Everything else is std_pool_lab's: the default probe's steps on the cached features, seeds 0-2,
every labelled file learning, the plain probe on the same files.

Run (after ``bench/max_pool_lab.py embed``):
     OMP_NUM_THREADS=1 .venv/bin/python bench/small_data_lab.py views [--tasks a,b]
     OMP_NUM_THREADS=1 .venv/bin/python bench/small_data_lab.py run --variants B,ssqrt,... [--tasks a,b]
     -> bench/results/small_data_lab.json (every draw's rows) and a table (gain over B, worst seed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageEnhance  # noqa: E402

from bench import max_pool_lab  # noqa: E402
from bench import std_pool_lab as lab  # noqa: E402
from core.probe.views import _rng, altered  # noqa: E402
from core.train.model import PRIOR_SAMPLES  # noqa: E402

POWER = {"ssqrt": 0.5, "p75": 0.75}
SPREAD = ("block", "blockeq", "blockeq_half")
VIEWS = ("mild", "zoomout", "mixed", "four")
VARIANTS = ("B", *POWER, *SPREAD, *VIEWS)


# ------------------------------------------------------------------ views

def _edge_colour(image: Image.Image) -> tuple:
    a = np.asarray(image.convert("RGB"))
    return tuple(int(v) for v in np.median(np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]]), axis=0))


def _light(image, rng):
    image = ImageEnhance.Brightness(image).enhance(float(rng.uniform(0.8, 1.2)))
    return ImageEnhance.Contrast(image).enhance(float(rng.uniform(0.8, 1.2)))


def mild(image: Image.Image, content_hash: str, view: int) -> Image.Image:
    """core.probe.views.altered with a crop of 90-100% instead of 75-100%."""
    return altered(image, content_hash, view, smallest_crop=0.9)


def zoomout(image: Image.Image, content_hash: str, view: int) -> Image.Image:
    """The whole picture scaled to 80-100%, anywhere on its own edge colour, turned by up to 10
    degrees, light and contrast as altered's: nothing is cut off."""
    rng = _rng(content_hash, view)
    image = image.convert("RGB")
    w, h = image.size
    s = float(rng.uniform(0.8, 1.0))
    cw, ch = max(8, round(w * s)), max(8, round(h * s))
    fill = _edge_colour(image)
    canvas = Image.new("RGB", (w, h), fill)
    canvas.paste(image.resize((cw, ch), Image.BILINEAR), (int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))))
    canvas = canvas.rotate(float(rng.uniform(-10, 10)), resample=Image.BILINEAR, fillcolor=fill)
    return _light(canvas, rng)


VIEW_MAKERS = {"default": altered, "mild": mild, "zoomout": zoomout}


def embed_views(name: str, kind: str) -> Path:
    """Views 1 and 2 of ``kind`` of every pool file max-lab-features.npz has views of, through the
    same backbone and hooks (so the columns are those of the cached features)."""
    from bench.semi_lab import _backbone, file_hash, task_spec
    from bench.suite import tasks
    from core import features
    from core.media import decode_image

    task_dir = tasks.materialise(name)
    out = task_dir / f"views-{kind}.npz"
    if out.exists():
        return out
    pool_paths, _, _ = tasks.files(task_dir, "pool")
    with np.load(task_dir / lab.FEATURES) as f:
        picked = [int(i) for i in f["view_of"]]
    spec = task_spec("image", pool_paths)
    backbone = _backbone(spec)
    hooks = lab.StdHooks(backbone)  # the maxima, appended as max-lab-features.npz has them
    make = VIEW_MAKERS[kind]
    hashes = {i: file_hash(pool_paths[i]) for i in picked}
    items = [(f"{hashes[i]}#{kind}{v}", (lambda i=i, v=v: make(decode_image(str(pool_paths[i])), hashes[i], v)))
             for v in (1, 2) for i in picked]
    t0 = time.perf_counter()
    found = features.extract(spec, items, model=backbone, batch_size=32, load_workers=0)
    assert not found.failed, found.failed
    row = {h: k for k, h in enumerate(found.hashes)}
    views = np.stack([found.vectors[[row[f"{hashes[i]}#{kind}{v}"] for i in picked]] for v in (1, 2)])
    np.savez(out, view_of=np.asarray(picked), views=views)
    for h in hooks.handles:
        h.remove()
    print(f"{name}: {len(items)} {kind} views in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


# ------------------------------------------------------------------ the probe's steps, varied

def blocks_of(data: dict) -> list[tuple[int, int]]:
    """Column ranges of B's blocks: each level's means (and 2x2 cells where it has them), the final
    features, then each level's maxima (appended after the default's columns in the cache)."""
    width = int(data["default_width"])
    out, s = [], 0
    for c in (int(c) for c in data["level_channels"]):
        out.append((s, s + c))
        s += c
        if c <= lab.GRID_MAX_CHANNELS:
            out.append((s, s + 4 * c))
            s += 4 * c
    out.append((s, width))
    s = width
    for c in (int(c) for c in data["level_channels"]):
        out.append((s, s + c))
        s += c
    return out


def standardise(x: torch.Tensor, mode: str, blocks) -> tuple[torch.Tensor, torch.Tensor]:
    """Classifier.standardise_features, or a spread variant of SPREAD."""
    n, var = x.shape[0], x.var(dim=0, unbiased=False)
    if mode not in SPREAD:
        overall = float(var.mean())
        return x.mean(0), ((n * var + PRIOR_SAMPLES * overall) / (n + PRIOR_SAMPLES)).sqrt().clamp(min=1e-4)
    assert blocks[-1][1] == var.numel()
    shrunk = torch.empty_like(var)
    for a, b in blocks:
        shrunk[a:b] = (n * var[a:b] + PRIOR_SAMPLES * float(var[a:b].mean())) / (n + PRIOR_SAMPLES)
    std = shrunk.sqrt().clamp(min=1e-4)
    power = {"blockeq": 0.5, "blockeq_half": 0.25}.get(mode)
    if power:
        avg = np.mean([b - a for a, b in blocks])
        for a, b in blocks:
            std[a:b] *= ((b - a) / avg) ** power
    return x.mean(0), std


def probe_accuracy(data: dict, idx: np.ndarray, variant: str) -> dict:
    """The default probe's steps (std_pool_lab.solve_default) on variant ``variant``; its test accuracy."""
    from bench.suite import tasks

    take0, width, n_max = lab.variant_columns(data, "all", "id")
    power = POWER.get(variant)

    def take(x):
        x = take0(x)
        return x.sign() * x.abs().pow(power) if power else x

    views = data["views"]
    if variant in VIEWS:
        def load(kind):
            with np.load(tasks.default_root() / data["name"] / f"views-{kind}.npz") as f:
                assert np.array_equal(f["view_of"], data["view_of"])
                return f["views"]
        if variant == "four":
            views = np.concatenate([views, load("zoomout")])
        elif variant == "mixed":
            views = np.stack([views[0], load("zoomout")[1]])
        else:
            views = load(variant)
    pool_y = data["pool_y"].astype(np.int64)
    classes = int(pool_y.max()) + 1
    where = {int(i): k for k, i in enumerate(data["view_of"])}
    feats = take(data["pool_x"][idx])
    rows = [take(views[v][[where[int(i)] for i in idx]]) for v in range(len(views))]
    sets = lab.sets_of(data["groups"], width, n_max, "in")
    t0 = time.perf_counter()
    head, mean, std = lab.solve_default(feats, rows, pool_y[idx], classes, sets, sets["final"],
                                        spread=lambda x: standardise(x, variant, blocks_of(data)))
    tx = (take(data["test_x"]) - mean) / std
    with torch.no_grad():
        pred = (tx.float() @ head.weight + head.bias).argmax(1).numpy()
    return {"test": float((pred == data["test_y"]).mean()), "features": head.features, "strength": head.strength,
            "estimate": head.estimate, "seconds": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=("views", "run", "table"))
    parser.add_argument("--tasks", default=",".join(lab.PICTURE_TASKS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "small_data_lab.json"))
    a = parser.parse_args()
    torch.set_num_threads(1)
    max_pool_lab.use_pool("max")  # max-lab-features.npz: B's columns
    names, variants = a.tasks.split(","), a.variants.split(",")
    if a.stage == "views":
        for name in names:
            for kind in ("mild", "zoomout"):
                embed_views(name, kind)
        return
    load = lab.load
    lab.load = lambda name: {**load(name), "name": name}
    lab.probe_accuracy = probe_accuracy
    for v in variants:
        lab.VARIANTS[v] = ("all", "id", "in")
    out = Path(a.out)
    rows = lab.run(names, variants, out) if a.stage == "run" else json.loads(out.read_text())["rows"]
    for r in rows:  # std_pool_lab's summary compares with "A": today's default is B here
        r["variants"]["A"] = r["variants"]["B"]
    out.write_text(json.dumps({"rows": rows, "summary": lab.summarise(rows)}, indent=1))
    print(lab.table(lab.summarise(rows), ["A", *[v for v in variants if v != "B"]]))


if __name__ == "__main__":
    main()
