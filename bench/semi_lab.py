"""A fast offline bench for learning from unlabelled samples (issue 19): the default probe's
features of every suite task computed once, then labelled-only against semi-supervised heads in
seconds instead of bench_semi's 35 minutes.

Stage ``embed``: every task of the suite is materialised as bench/bench_semi.py does (pools of 220
a class, digits 96, under ``~/.cache/transferlab-suite-semi``); every pool and test file is embedded
by the default backbone of its modality with its levels pooled on the 2x2 grid, exactly as a probe
run does (core.features.extract, the trainer's _pool_levels; sounds cut to the length 90% of the
pool's clips fit in, as probe_fit.probe_clip); the two altered views of every file some seed labels
are embedded too (core.probe.views). Kept as ``semi-lab-features.npz`` in the task's folder.

Stage ``run``: for every task, seed (bench_transfer_suite.labelled_subset draws) and 5 labelled a
class, the default probe's steps on those features (standardised on the labelled rows, the column
set and strength chosen by core.probe.solve.solve_head with the views, as probe_fit.solve_probe;
the project's 10%/10% validation/test split of the labelled files is not drawn: all of them learn),
then every candidate of core.probe.semi judged by its folds with every other pool file unlabelled,
its head scored on the task's held-out test files, and semi.verdict's choice: what
learn_with_unlabelled does, with what each candidate would have given used everywhere
(semi_lab_run.judge). The probe's rows of each draw are kept next to the tasks (_semi_lab_prep).

Stage ``variants``: the ways of learning from unlabelled rows tried on the way
(bench/semi_lab_methods.py), each used everywhere, against labelled-only.

Differences from a real run: the labelled files are not split 80/10/10 (a run leaves about a tenth
of them to the project's test split), and the unlabelled sample is the whole rest of the pool.

Run: nice -n 19 .venv/bin/python bench/semi_lab.py embed [--tasks a,b]
     nice -n 19 .venv/bin/python bench/semi_lab.py run [--tasks a,b] [--seeds 3] [--per-class 5]
     -> bench/results/semi_lab.json and a markdown table on stdout
     draws beyond seeds 0-2 (their labelled files' views are not in the features):
     nice -n 19 .venv/bin/python bench/semi_lab.py embed --view-seeds 3,4,5
     nice -n 19 .venv/bin/python bench/semi_lab.py run --seeds 3,4,5 --out bench/results/semi_lab_fresh.json
     nice -n 19 .venv/bin/python bench/semi_lab.py variants [--tasks a,b] [--methods em64_lr,self]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.bench_semi import POOL, POOL_OF, SEMI_ROOT  # noqa: E402
from bench.bench_transfer_suite import labelled_subset  # noqa: E402
from bench.suite import tasks  # noqa: E402

FEATURES = "semi-lab-features.npz"
VIEW_SEEDS = (0, 1, 2)
# views of the labelled files of further draws (``embed --view-seeds 3,4,5``), kept apart so that
# FEATURES (and every draw of VIEW_SEEDS prepared from it) is neither recomputed nor changed
MORE_VIEWS = "semi-lab-views.npz"
VIEW_SIZES = (5,)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def task_spec(modality: str, pool_paths):
    """The default backbone of the modality, with a probe's clip length for sounds."""
    import math

    from core import media
    from core.backbones import default_for

    spec = default_for(modality)
    pre = spec.preprocessing
    if hasattr(pre, "clip_seconds") and not pre.clip_seconds:
        lengths = sorted(d for d in (media.audio_info(p).duration for p in pool_paths[:2000]) if d > 0)
        p90 = lengths[min(len(lengths) - 1, int(0.9 * len(lengths)))] if lengths else 1.0
        spec = spec.with_preprocessing(clip_seconds=float(min(max(math.ceil(p90 * 10 - 1e-6) / 10, 0.5), 10.0)))
    return spec


def _backbone(spec):
    from core.weights import load_pretrained

    backbone = load_pretrained(spec)
    backbone.pool_levels(spec.preprocessing.example_batch(1), grid=2)
    backbone.eval()
    return backbone


def _view_maker(modality, spec, pool_paths, pool_h):
    """view(i, v) -> a loader of view ``v`` of pool file ``i``, as a probe makes it."""
    from core.media import decode_image, read_audio
    from core.probe.views import altered, shifted

    rate = getattr(spec.preprocessing, "sample_rate", None)

    def view(i, v):
        if modality == "audio":
            return lambda: shifted(read_audio(str(pool_paths[i]), rate), pool_h[i], v, rate)
        return lambda: altered(decode_image(str(pool_paths[i])), pool_h[i], v)

    return view


def embed_task(name: str) -> Path:
    task = tasks.TASKS[name]
    task_dir = tasks.materialise(name, root=SEMI_ROOT, pool=POOL_OF.get(name, POOL))
    out = task_dir / FEATURES
    if out.exists():
        return out
    pool_paths, pool_labels, classes = tasks.files(task_dir, "pool")
    test_paths, test_labels, _ = tasks.files(task_dir, "test")
    spec = task_spec(task.modality, pool_paths)
    backbone = _backbone(spec)
    labels = np.asarray(pool_labels)
    picked = sorted({int(i) for n in VIEW_SIZES for s in VIEW_SEEDS for i in labelled_subset(labels, n, s)})
    rows = embed_files(task.modality, spec, backbone, pool_paths, test_paths, picked)
    groups = backbone.feature_groups()
    np.savez(out, pool_x=rows["pool_x"], pool_y=labels, test_x=rows["test_x"], test_y=np.asarray(test_labels),
             view_of=np.asarray(picked), views=rows["views"], classes=np.asarray(classes),
             **{f"group_{k}": g.numpy() for k, g in (groups or {}).items()})
    print(f"{name}: {rows['count']} embeddings in {rows['seconds']:.0f} s, {rows['pool_x'].shape[1]} columns", flush=True)
    return out


def embed_files(modality: str, spec, backbone, pool_paths, test_paths, picked) -> dict:
    """Every pool and test file, and the two altered views (core.probe.views) of the pool files
    ``picked``, through ``backbone`` as a probe run embeds them (core.features.extract): pool_x,
    test_x, views [2, picked, D], count and seconds. The labs' embed stages share it."""
    from core import features
    from core.probe.views import view_key

    pool_h = [file_hash(p) for p in pool_paths]
    test_h = [file_hash(p) for p in test_paths]
    view = _view_maker(modality, spec, pool_paths, pool_h)
    items = [(h, str(p)) for h, p in zip(pool_h, pool_paths)] + [(h, str(p)) for h, p in zip(test_h, test_paths)]
    items += [(view_key(pool_h[i], v), view(i, v)) for v in (1, 2) for i in picked]
    t0 = time.perf_counter()
    found = features.extract(spec, items, model=backbone, batch_size=32, load_workers=0)
    assert not found.failed, found.failed
    row = {h: k for k, h in enumerate(found.hashes)}
    vec = found.vectors
    return {"pool_x": vec[[row[h] for h in pool_h]], "test_x": vec[[row[h] for h in test_h]],
            "views": np.stack([vec[[row[view_key(pool_h[i], v)] for i in picked]] for v in (1, 2)]),
            "count": len(items), "seconds": time.perf_counter() - t0}


def embed_more_views(name: str, seeds) -> Path | None:
    """The two views of every pool file the draws ``seeds`` label that FEATURES (and MORE_VIEWS
    already) lack, added to MORE_VIEWS: only those files are embedded."""
    from core import features
    from core.probe.views import view_key

    task = tasks.TASKS[name]
    task_dir = SEMI_ROOT / name
    if not (task_dir / FEATURES).exists():
        raise SystemExit(f"{task_dir / FEATURES} is missing: run the embed stage without --view-seeds first")
    with np.load(task_dir / FEATURES) as f:
        have = {int(i) for i in f["view_of"]}
        labels = f["pool_y"]
    out = task_dir / MORE_VIEWS
    old_of, old_views = np.zeros(0, np.int64), None
    if out.exists():
        with np.load(out) as f:
            old_of, old_views = f["view_of"], f["views"]
    have |= {int(i) for i in old_of}
    need = sorted({int(i) for n in VIEW_SIZES for s in seeds for i in labelled_subset(labels, n, s)} - have)
    if not need:
        return out if out.exists() else None
    pool_paths, pool_labels, _ = tasks.files(task_dir, "pool")
    if not np.array_equal(np.asarray(pool_labels), labels):
        raise SystemExit(f"{task_dir}: the pool's files no longer match {FEATURES}'s labels")
    spec = task_spec(task.modality, pool_paths)
    pool_h = {i: file_hash(pool_paths[i]) for i in need}
    view = _view_maker(task.modality, spec, pool_paths, [pool_h.get(i) for i in range(len(pool_paths))])
    items = [(view_key(pool_h[i], v), view(i, v)) for v in (1, 2) for i in need]
    t0 = time.perf_counter()
    found = features.extract(spec, items, model=_backbone(spec), batch_size=32, load_workers=0)
    assert not found.failed, found.failed
    row = {h: k for k, h in enumerate(found.hashes)}
    views = np.stack([found.vectors[[row[view_key(pool_h[i], v)] for i in need]] for v in (1, 2)])
    of = np.concatenate([old_of, need]).astype(np.int64)
    views = views if old_views is None else np.concatenate([old_views, views], axis=1)
    np.savez(out, view_of=of, views=views)
    print(f"{name}: {len(items)} view embeddings in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def load(name: str) -> dict:
    task_dir = SEMI_ROOT / name
    data = dict(np.load(task_dir / FEATURES))
    if (task_dir / MORE_VIEWS).exists():  # views of further draws' labelled files (embed --view-seeds)
        with np.load(task_dir / MORE_VIEWS) as more:
            data["view_of"] = np.concatenate([data["view_of"], more["view_of"]])
            data["views"] = np.concatenate([data["views"], more["views"]], axis=1)
    data["groups"] = {k[len("group_"):]: torch.from_numpy(v) for k, v in data.items() if k.startswith("group_")}
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=("embed", "run", "variants"))
    parser.add_argument("--methods", default="", help="variants: names in semi_lab_methods.VARIANTS (all)")
    parser.add_argument("--tasks", default=",".join(tasks.TASKS))
    parser.add_argument("--seeds", default="3", help="run: how many draws (seeds 0..N-1), or a list: 3,4,5")
    parser.add_argument("--view-seeds", default="",
                        help="embed: only the views of these draws' labelled files (e.g. 3,4,5), kept in " + MORE_VIEWS)
    parser.add_argument("--per-class", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "semi_lab.json"))
    a = parser.parse_args()
    names = a.tasks.split(",")
    seeds = [int(s) for s in a.seeds.split(",") if s] if "," in a.seeds else list(range(int(a.seeds)))
    if a.stage == "embed":
        for name in names:
            if a.view_seeds:
                embed_more_views(name, [int(s) for s in a.view_seeds.split(",")])
            else:
                embed_task(name)
        return
    if a.stage == "variants":
        from bench.semi_lab_methods import compare

        compare(names, a.methods.split(",") if a.methods else None, len(seeds), a.per_class)
        return
    from bench.semi_lab_run import run

    run(names, seeds, a.per_class, a.out)


if __name__ == "__main__":
    main()
