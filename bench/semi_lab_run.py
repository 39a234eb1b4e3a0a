"""semi_lab's ``run`` stage: the default probe's steps on cached features (see bench/semi_lab.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from bench.bench_transfer_suite import labelled_subset
from bench.semi_lab import SEMI_ROOT, load
from bench.suite import tasks

PREP = Path("/tmp/semi19/prep")


def standardise(labelled: torch.Tensor):
    """(mean, std) as Classifier.standardise_features(per_feature=True) measures them."""
    from core.train.model import PRIOR_SAMPLES

    n = labelled.shape[0]
    var = labelled.var(dim=0, unbiased=False)
    overall = float(var.mean())
    shrunk = (n * var + PRIOR_SAMPLES * overall) / (n + PRIOR_SAMPLES)
    return labelled.mean(dim=0), shrunk.sqrt().clamp(min=1e-4)


def prepare(name: str, seed: int, per_class: int, data: dict | None = None) -> dict:
    """Everything the probe has at the point it calls learn_with_unlabelled, for one labelled draw."""
    path = PREP / f"{name}-{per_class}-{seed}.pt"
    if path.exists():
        return torch.load(path, weights_only=False)
    from core.backbones import default_for
    from core.probe.solve import balanced_weights, solve_head

    data = data or load(name)
    modality = tasks.TASKS[name].modality
    pool_x, pool_y = torch.from_numpy(data["pool_x"]), data["pool_y"].astype(np.int64)
    classes = int(pool_y.max()) + 1
    idx = labelled_subset(pool_y, per_class, seed)
    where = {int(i): k for k, i in enumerate(data["view_of"])}
    view_rows = [torch.from_numpy(data["views"][v][[where[int(i)] for i in idx]]) for v in range(2)]
    feats = pool_x[idx]
    mean, std = standardise(feats)
    x = torch.cat([feats, *view_rows])
    y = np.concatenate([pool_y[idx]] * 3)
    groups = np.concatenate([np.arange(len(idx))] * 3)
    scored = np.arange(len(x)) < len(idx)
    x = ((x - mean) / std).double()
    kinds = data["groups"] or None
    column_sets = unvalidated = None
    if kinds:
        widest = next(iter(kinds))
        choice = default_for(modality).preprocessing.probe_feature_choice
        column_sets = kinds if choice == "crossvalidate" else {widest: kinds[widest]}
        unvalidated = ("final", kinds["final"])
    t0 = time.perf_counter()
    main = solve_head(x, y, classes, holdout=np.zeros(len(y), bool), balance=True, seed=0, groups=groups,
                      scored=scored, column_sets=column_sets, unvalidated=unvalidated)
    solve_s = time.perf_counter() - t0
    rest = np.setdiff1d(np.arange(len(pool_y)), idx)
    ux = ((pool_x[rest] - mean) / std).double()
    tx = ((torch.from_numpy(data["test_x"]) - mean) / std).double()
    cols = None if not main.features or not column_sets else torch.as_tensor(column_sets[main.features], dtype=torch.long)
    sel = (lambda t: t) if cols is None else (lambda t: t[:, cols])
    with torch.no_grad():
        base_test = torch.softmax(tx.float() @ main.weight + main.bias, -1).numpy()
    out = {"task": name, "seed": seed, "per_class": per_class, "classes": classes, "x": sel(x), "y": y,
           "groups": groups, "scored": scored, "u": sel(ux), "u_y": pool_y[rest], "t": sel(tx),
           "t_y": data["test_y"].astype(np.int64), "strength": main.strength, "features": main.features,
           "weight": balanced_weights(y, classes), "base_test": base_test, "solve_seconds": solve_s,
           "estimate": main.estimate}
    PREP.mkdir(parents=True, exist_ok=True)
    torch.save(out, path)
    return out


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    return float((p.argmax(1) == y).mean())


def current(P: dict) -> dict:
    """core.probe.semi as it is in this checkout: (test accuracy, used, method, seconds)."""
    from core.probe import semi

    t0 = time.perf_counter()
    r = semi.learn_with_unlabelled(P["x"], P["y"], P["classes"], P["u"], P["strength"], sample_weight=P["weight"],
                                   groups=P["groups"], scored=P["scored"], seed=0)
    s = time.perf_counter() - t0
    if not r.used:
        return {"acc": accuracy(P["base_test"], P["t_y"]), "used": False, "method": r.method, "seconds": s,
                "reason": r.reason}
    with torch.no_grad():
        p = torch.softmax(P["t"].float() @ r.weight + r.bias, -1).numpy()
    return {"acc": accuracy(p, P["t_y"]), "used": True, "method": r.method, "seconds": s, "reason": r.reason}


def run(names, seeds: int, per_class: int, out: str) -> None:
    rows = []
    for name in names:
        data = load(name)
        for seed in range(seeds):
            P = prepare(name, seed, per_class, data)
            base = accuracy(P["base_test"], P["t_y"])
            cur = current(P)
            row = {"task": name, "seed": seed, "per_class": per_class, "labelled_only": base, "with_unlabelled": cur["acc"],
                   "used": cur["used"], "method": cur["method"], "semi_seconds": cur["seconds"],
                   "features": P["features"], "strength": P["strength"], "reason": cur["reason"]}
            rows.append(row)
            print(f"{name:13s} seed {seed}: labelled only {100 * base:.1f}  with unlabelled {100 * cur['acc']:.1f} "
                  f"({cur['method']}, {cur['seconds']:.1f} s)", flush=True)
    summary = []
    for name in names:
        sel = [r for r in rows if r["task"] == name]
        a = np.array([r["labelled_only"] for r in sel])
        b = np.array([r["with_unlabelled"] for r in sel])
        summary.append({"task": name, "seeds": len(sel), "labelled_only": float(a.mean()),
                        "with_unlabelled": float(b.mean()), "gain_points": float(100 * (b - a).mean()),
                        "worst_points": float(100 * (b - a).min()), "used": sum(r["used"] for r in sel)})
    Path(out).write_text(json.dumps({"per_class": per_class, "seeds": seeds, "rows": rows, "summary": summary},
                                    indent=1))
    print("| task | labelled only | with unlabelled | gain (points) | worst seed | used (runs) |")
    print("|---|---|---|---|---|---|")
    for s in summary:
        print(f"| {s['task']} | {100 * s['labelled_only']:.1f} | {100 * s['with_unlabelled']:.1f} | "
              f"{s['gain_points']:+.1f} | {s['worst_points']:+.1f} | {s['used']} of {s['seeds']} |")
    print(f"| mean | | | {np.mean([s['gain_points'] for s in summary]):+.1f} | | |")
