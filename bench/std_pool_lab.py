"""Second-order statistics of the levels next to their means (issue 14): does the per-channel
spatial standard deviation of each level help the default probe on pictures?

Stage ``embed`` (per task, once; kept as ``std-lab-features.npz`` in the task's folder of the
transfer-quality suite, tasks.materialise(name)): every pool and test file, and the two altered views
(core.probe.views) of every pool file a draw of seeds 0-2 labels at 5 or 20 a class, through the
default picture backbone with its levels pooled on the 2x2 grid exactly as a probe run does
(bench/semi_lab.py's task_spec and _backbone, core.features.extract; PyTorch, no ONNX, so no
cached network is reused or written). In the same pass extra forward hooks on the same level
modules keep each level's per-channel spatial standard deviation (population, over H x W); those
blocks are appended after the default's columns, so the default's features (A) are the first
columns, bit for bit, and every std variant is a choice of the appended blocks. The plain probe's
features are bench/suite/embed.plain_features (the suite's own cache).

Stage ``run``: per task, labelled size (5, 20) and seed (bench_transfer_suite.labelled_subset),
the default probe's steps on the features (standardised on the labelled rows as
Classifier.standardise_features, the two views of every labelled picture in its fold, the column
set and strength chosen by core.probe.solve.solve_head as probe_fit.solve_probe does; every
labelled file learns: the project's 10% test split is not drawn), for:

- ``A``: today's features and column sets (grid, levels, final);
- each variant of VARIANTS: A's columns plus some std blocks (and a transform of them), the std
  columns either inside the grid and levels sets (``in``) or as one extra candidate set
  (``extra``: grid, levels, final, and grid + std);

each head scored on the task's test files, next to the plain probe
(bench_transfer_suite.plain_probe_accuracy) on the same labelled files.

Run: OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python bench/std_pool_lab.py embed [--tasks a,b]
     OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python bench/std_pool_lab.py run [--tasks a,b] [--variants ...]
     OMP_NUM_THREADS=1 .venv/bin/python bench/std_pool_lab.py table --variants A,B,B_extra,B_le320,B_sqrt,B_le320_sqrt
     -> bench/results/std_pool_lab.json (every draw's rows kept: a later run adds variants) and a
     markdown table on stdout. textures, shapes_shift and photo_regions need scikit-image.
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
os.environ.setdefault("TRANSFERLAB_ONNX_FEATURES", "0")  # the std hooks are not in the feature tag

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.bench_transfer_suite import labelled_subset, plain_probe_accuracy  # noqa: E402
from bench.semi_lab_run import standardise  # noqa: E402,F401 - as the probe standardises (column_set_ensemble_lab uses it too)
from bench.suite import embed, tasks  # noqa: E402

FEATURES = "std-lab-features.npz"
SEEDS = (0, 1, 2)
SIZES = (5, 20)
PICTURE_TASKS = ("textures", "scenes", "shapes_shift", "photo_regions", "digits", "glyphs", "faces_detail", "counting")
GRID_MAX_CHANNELS = 320


class StdHooks:
    """Per-channel spatial std of every pooled level of ``backbone``, appended after its output."""

    def __init__(self, backbone):
        self.seen = []
        self.handles = [backbone.get_submodule(p).register_forward_hook(self._keep) for p in backbone.levels]
        # registered after pool_levels' join hook: receives the joined output
        self.handles.append(backbone.register_forward_hook(self._join))

    def _keep(self, _m, _i, out):
        self.seen.append(out.float().std(dim=(2, 3), unbiased=False))

    def _join(self, _m, _i, out):
        seen, self.seen = self.seen, []
        return torch.cat([out, *seen], 1)


def embed_task(name: str) -> Path:
    from bench.semi_lab import _backbone, embed_files, task_spec

    task = tasks.TASKS[name]
    task_dir = tasks.materialise(name)
    out = task_dir / FEATURES
    if out.exists():
        return out
    pool_paths, pool_labels, classes = tasks.files(task_dir, "pool")
    test_paths, test_labels, _ = tasks.files(task_dir, "test")
    spec = task_spec(task.modality, pool_paths)
    backbone = _backbone(spec)
    hooks = StdHooks(backbone)
    labels = np.asarray(pool_labels)
    picked = sorted({int(i) for n in SIZES for s in SEEDS for i in labelled_subset(labels, n, s)})
    rows = embed_files(task.modality, spec, backbone, pool_paths, test_paths, picked)
    groups = backbone.feature_groups()
    width = int(sum(backbone.level_dims))
    channels = np.asarray(backbone.level_channels)
    columns = rows["pool_x"].shape[1]
    assert columns == width + int(channels.sum()), (columns, width, channels)
    np.savez(out, pool_x=rows["pool_x"], pool_y=labels, test_x=rows["test_x"], test_y=np.asarray(test_labels),
             view_of=np.asarray(picked), views=rows["views"], classes=np.asarray(classes), default_width=width,
             level_channels=channels, levels=np.asarray(backbone.levels),
             **{f"group_{k}": g.numpy() for k, g in groups.items()})
    for h in hooks.handles:
        h.remove()
    print(f"{name}: {rows['count']} embeddings in {rows['seconds']:.0f} s, {columns} columns "
          f"({width} default + {int(channels.sum())} std)", flush=True)
    return out


def load(name: str) -> dict:
    data = dict(np.load(tasks.default_root() / name / FEATURES))
    data["groups"] = {k[len("group_"):]: torch.from_numpy(v) for k, v in data.items() if k.startswith("group_")}
    return data


# ------------------------------------------------------------------ variants

# name -> (which levels' std: "all" | "le320" | "none", transform, placement "in" | "extra")
VARIANTS = {
    "A": ("none", "id", "in"),
    "B": ("all", "id", "in"),
    "B_extra": ("all", "id", "extra"),
    "B_le320": ("le320", "id", "in"),
    "B_le320_extra": ("le320", "id", "extra"),
    "B_sqrt": ("all", "sqrt", "in"),
    "B_le320_sqrt": ("le320", "sqrt", "in"),
}


def variant_columns(data: dict, which: str, transform: str):
    """(x transform of the raw rows [N, all columns] -> [N, width], column sets) of a variant."""
    width = int(data["default_width"])
    channels = data["level_channels"]
    starts = width + np.concatenate([[0], np.cumsum(channels)[:-1]])
    if which == "none":
        std_cols = np.zeros(0, np.int64)
    else:
        keep = [k for k, c in enumerate(channels) if which == "all" or c <= GRID_MAX_CHANNELS]
        std_cols = np.concatenate([np.arange(starts[k], starts[k] + channels[k]) for k in keep])
    cols = np.concatenate([np.arange(width), std_cols])

    def take(x: np.ndarray) -> torch.Tensor:
        x = x[..., cols].astype(np.float64)
        if transform == "sqrt":
            x[..., width:] = np.sqrt(np.maximum(x[..., width:], 0))
        elif transform == "log":
            x[..., width:] = np.log(x[..., width:] + 1e-3)
        return torch.from_numpy(x)

    return take, width, len(std_cols)


def sets_of(groups: dict, width: int, n_std: int, placement: str) -> dict:
    if not n_std:
        return groups
    std = torch.arange(width, width + n_std)
    if placement == "in":
        return {"grid": torch.cat([groups["grid"], std]), "levels": torch.cat([groups["levels"], std]),
                "final": groups["final"]}
    return {**groups, "grid+std": torch.cat([groups["grid"], std])}


def solve_default(feats: torch.Tensor, views: list, y: np.ndarray, classes: int, column_sets: dict, final,
                  spread=None):
    """The default probe's steps on labelled rows ``feats`` [n, D] (float64) and their views (two,
    or any number): standardised on the labelled rows as Classifier.standardise_features (or by
    ``spread(rows) -> (mean, std)``), the views in their sample's fold and never scored, column set
    and strength chosen by solve_head as probe_fit.solve_probe does (``final``: the columns where
    nothing can be validated). (head, mean, std)."""
    from core.probe.solve import solve_head

    mean, std = (spread or standardise)(feats.float())
    mean, std = mean.double(), std.double()
    x = (torch.cat([feats, *views]) - mean) / std
    n, r = len(feats), 1 + len(views)
    head = solve_head(x, np.concatenate([y] * r), classes, holdout=np.zeros(r * n, bool), balance=True, seed=0,
                      groups=np.concatenate([np.arange(n)] * r), scored=np.arange(r * n) < n,
                      column_sets=column_sets, unvalidated=("final", final))
    return head, mean, std


def probe_accuracy(data: dict, idx: np.ndarray, variant: str) -> dict:
    """The default probe's steps (probe_fit.solve_probe) on one variant's columns; its test accuracy."""
    which, transform, placement = VARIANTS[variant]
    take, width, n_std = variant_columns(data, which, transform)
    pool_y = data["pool_y"].astype(np.int64)
    classes = int(pool_y.max()) + 1
    where = {int(i): k for k, i in enumerate(data["view_of"])}
    feats = take(data["pool_x"][idx])
    views = [take(data["views"][v][[where[int(i)] for i in idx]]) for v in range(2)]
    column_sets = sets_of(data["groups"], width, n_std, placement)
    t0 = time.perf_counter()
    head, mean, std = solve_default(feats, views, pool_y[idx], classes, column_sets, column_sets["final"])
    tx = (take(data["test_x"]) - mean) / std
    with torch.no_grad():
        pred = (tx.float() @ head.weight + head.bias).argmax(1).numpy()
    return {"test": float((pred == data["test_y"]).mean()), "features": head.features, "strength": head.strength,
            "estimate": head.estimate, "feature_scores": head.feature_scores, "columns": int(feats.shape[1]),
            "seconds": time.perf_counter() - t0}


def run(names, variants, out_path: Path, seeds=SEEDS, sizes=SIZES) -> list[dict]:
    rows = json.loads(out_path.read_text())["rows"] if out_path.exists() else []
    done = {(r["task"], r["per_class"], r["seed"]) : r for r in rows}
    for name in names:
        data = load(name)
        plain = embed.plain_features(tasks.default_root() / name, "image")
        assert np.array_equal(plain["pool"][1], data["pool_y"]) and np.array_equal(plain["test"][1], data["test_y"])
        for n in sizes:
            for seed in seeds:
                idx = labelled_subset(data["pool_y"], n, seed)
                row = draw_row(rows, done, name, n, seed, plain, idx)
                for v in variants:
                    if v not in row["variants"]:
                        row["variants"][v] = probe_accuracy(data, idx, v)
                got = "  ".join(f"{v} {row['variants'][v]['test']:.3f}" for v in variants)
                print(f"{name:13s} n={n:2d} seed {seed}: plain {row['plain']:.3f}  {got}", flush=True)
                out_path.write_text(json.dumps({"rows": rows, "summary": summarise(rows)}, indent=1))
    return rows


def draw_row(rows: list, done: dict, name: str, n, seed: int, plain: dict, idx) -> dict:
    """The stored row of one draw (task, size, seed), or a new one with the plain probe's accuracy
    on its labelled files, kept in ``rows`` and ``done``; a lab's variants go in its "variants"."""
    row = done.get((name, n, seed))
    if row is None:
        row = {"task": name, "per_class": n, "seed": seed, "plain": plain_probe_accuracy(plain, idx), "variants": {}}
        rows.append(row)
        done[(name, n, seed)] = row
    return row


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    keys = sorted({(r["task"], r["per_class"]) for r in rows}, key=lambda k: (PICTURE_TASKS.index(k[0]), k[1]))
    for name, n in keys:
        sel = [r for r in rows if r["task"] == name and r["per_class"] == n]
        s = {"task": name, "per_class": n, "seeds": len(sel), "plain": float(np.mean([r["plain"] for r in sel]))}
        names = set.intersection(*(set(r["variants"]) for r in sel))
        for v in sorted(names):
            acc = np.array([r["variants"][v]["test"] for r in sel])
            s[v] = float(acc.mean())
            if v != "A" and "A" in names:
                d = 100 * (acc - np.array([r["variants"]["A"]["test"] for r in sel]))
                s[f"{v}-A"] = float(d.mean())
                s[f"{v}-A_worst"] = float(d.min())
            s[f"{v}_chosen"] = [r["variants"][v]["features"] for r in sel]
        out.append(s)
    return out


def table(summary: list[dict], variants) -> str:
    others = [v for v in variants if v != "A"]
    head = "| task | n | plain | A | " + " | ".join(others) + " | " + " | ".join(f"{v}-A (worst)" for v in others) + " |"
    lines = [head, "|" + "---|" * (4 + 2 * len(others))]
    for s in summary:
        cells = [s["task"], str(s["per_class"]), f"{s['plain']:.3f}", f"{s.get('A', float('nan')):.3f}"]
        cells += [f"{s[v]:.3f}" if v in s else "-" for v in others]
        cells += [f"{s[f'{v}-A']:+.1f} ({s[f'{v}-A_worst']:+.1f})" if f"{v}-A" in s else "-" for v in others]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=("embed", "plain", "run", "table"))
    parser.add_argument("--tasks", default=",".join(PICTURE_TASKS))
    parser.add_argument("--variants", default="A,B,B_extra,B_le320")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "std_pool_lab.json"))
    a = parser.parse_args()
    torch.set_num_threads(1)
    names = a.tasks.split(",")
    variants = a.variants.split(",")
    out = Path(a.out)
    if a.stage == "embed":
        for name in names:
            embed_task(name)
    elif a.stage == "plain":
        for name in names:
            t0 = time.perf_counter()
            embed.plain_features(tasks.materialise(name), "image")
            print(f"{name}: plain features in {time.perf_counter() - t0:.0f} s", flush=True)
    elif a.stage == "run":
        rows = run(names, variants, out)
        print(table(summarise(rows), variants))
    else:
        print(table(json.loads(out.read_text())["summary"], variants))


if __name__ == "__main__":
    main()
