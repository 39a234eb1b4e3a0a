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

PREP = SEMI_ROOT / "_semi_lab_prep"  # the probe's rows of each draw, made once


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


# the rules compared on the same folds and heads: the share of the chosen head's logits in the head
# used (the rest the labelled-only head's), the folds judging that mixed head; "unblended" is
# core.probe.semi's rule (a mix of two linear heads is one linear head: weight and bias mix alike)
SHARES = {"unblended": 1.0, "3:1": 3 / 4, "2:1": 2 / 3, "1:1": 1 / 2}
CORE = "unblended"


def blend(chosen, labelled_only, share: float):
    return share * chosen + (1 - share) * labelled_only


def judge(P: dict) -> dict:
    """Every candidate of core.probe.semi on one labelled draw: its held-out samples right in the
    folds, its head's test accuracy (each fit as learn_with_unlabelled fits the chosen one), and
    then semi.verdict's choice among them: exactly what learn_with_unlabelled with every candidate
    would do (each candidate's folds do not depend on the others), with every candidate's figures.
    The same for each share of SHARES from the heads' own logits (in the folds and on the test
    files); ``with_unlabelled`` is core's (CORE), ``rules`` every share's."""
    from unittest import mock

    from core.probe import semi

    row = {"labelled_only": accuracy(P["base_test"], P["t_y"]), "scored": int(P["scored"].sum()), "candidates": {}}
    held, test = {}, {}
    t = P["t"].float()
    for name, spec in semi.CANDIDATES.items():
        t0 = time.perf_counter()
        with mock.patch.object(semi, "GAIN_AT_LEAST", -10**9), mock.patch.object(semi, "CHANCE", 1.0), \
                mock.patch.object(semi, "ERRORS_REMOVED_AT_LEAST", -10**9):  # fit it anyway
            r = semi.learn_with_unlabelled(P["x"], P["y"], P["classes"], P["u"], P["strength"],
                                           sample_weight=P["weight"], groups=P["groups"], scored=P["scored"],
                                           seed=0, candidates={name: spec})
        with torch.no_grad():
            used = (t @ r.weight + r.bias).double().numpy()
            for c in (name, semi.LABELLED_ONLY):
                test[c] = (t @ r.heads[c][0] + r.heads[c][1]).double().numpy()
        held[name], held[semi.LABELLED_ONLY] = r.held_out_logits[name], r.held_out_logits[semi.LABELLED_ONLY]
        spread = [float(np.mean(test[c].std(1))) for c in (name, semi.LABELLED_ONLY)]
        row["candidates"][name] = {"test": accuracy(test[name], P["t_y"]), "test_used": accuracy(used, P["t_y"]),
                                   "cross_validated": r.scores[name], "logit_spread_ratio": spread[0] / spread[1],
                                   "seconds": time.perf_counter() - t0}
    row["labelled_only_refit"] = accuracy(test[semi.LABELLED_ONLY], P["t_y"])
    scored, y = P["scored"], P["y"]
    row["rules"] = {}
    for rule, share in SHARES.items():
        hits = {c: int((blend(held[c], held[semi.LABELLED_ONLY], share)[scored].argmax(1) == y[scored]).sum())
                for c in semi.CANDIDATES}
        hits[semi.LABELLED_ONLY] = int((held[semi.LABELLED_ONLY][scored].argmax(1) == y[scored]).sum())
        best, why = semi.verdict(hits, row["scored"], P["classes"], r.folds, semi.CANDIDATES)
        acc = row["labelled_only"] if why else accuracy(blend(test[best], test[semi.LABELLED_ONLY], share), P["t_y"])
        row["rules"][rule] = {"share": share, "method": semi.LABELLED_ONLY if why else best, "reason": why or "used",
                              "with_unlabelled": acc, "hits": hits}
    row["cross_validated_labelled_only"] = hits[semi.LABELLED_ONLY] / row["scored"]
    core = CORE
    best = row["rules"][core]["method"]
    if best != semi.LABELLED_ONLY:  # core's own head gives what the rule's figures say
        assert abs(row["candidates"][best]["test_used"] - row["rules"][core]["with_unlabelled"]) < 0.01, row
    row["method"], row["with_unlabelled"] = best, row["rules"][core]["with_unlabelled"]
    row["reason"] = row["rules"][core]["reason"]
    return row


def draws(name: str, seeds, per_class: int):
    """(seed, prepared draw) for each seed (``seeds``: how many from 0, or which): the probe's rows
    kept from an earlier run, or made from the task's features (loaded once)."""
    data = None
    for seed in (range(seeds) if isinstance(seeds, int) else seeds):
        try:
            yield seed, prepare(name, seed, per_class)
        except FileNotFoundError:
            data = data or load(name)
            yield seed, prepare(name, seed, per_class, data)


def run(names, seeds: int, per_class: int, out: str) -> None:
    rows = []
    for name in names:
        for seed, P in draws(name, seeds, per_class):
            row = {"task": name, "seed": seed, "per_class": per_class, "features": P["features"],
                   "strength": P["strength"], **judge(P)}
            rows.append(row)
            print(f"{name:13s} seed {seed}: labelled only {100 * row['labelled_only']:.1f}  with unlabelled "
                  + ", ".join(f"{k} {100 * v['with_unlabelled']:.1f} ({v['method']})" for k, v in row["rules"].items())
                  + "; always: " + ", ".join(
                      f"{c} {100 * (v['test'] - row['labelled_only']):+.1f}" for c, v in row["candidates"].items()),
                  flush=True)
        save(rows, seeds, per_class, out, table=False)  # what is done so far, task by task
    save(rows, seeds, per_class, out)


def rule_summary(rows) -> dict:
    """Each rule of SHARES over ``rows``: mean gain over tasks, the worst task's mean, the worst draw."""
    names = list(dict.fromkeys(r["task"] for r in rows))
    out = {}
    for rule in rows[0]["rules"]:
        gain = {n: [100 * (r["rules"][rule]["with_unlabelled"] - r["labelled_only"]) for r in rows if r["task"] == n]
                for n in names}
        task = {n: float(np.mean(g)) for n, g in gain.items()}
        worst_task = min(task, key=task.get)
        draw = min(((n, r["seed"], 100 * (r["rules"][rule]["with_unlabelled"] - r["labelled_only"]))
                    for n in names for r in rows if r["task"] == n), key=lambda d: d[2])
        out[rule] = {"share": rows[0]["rules"][rule]["share"], "mean_gain_points": float(np.mean(list(task.values()))),
                     "worst_task": worst_task, "worst_task_points": task[worst_task],
                     "worst_draw": f"{draw[0]} seed {draw[1]}", "worst_draw_points": float(draw[2]),
                     "used": sum(r["rules"][rule]["method"] != "labelled only" for r in rows), "draws": len(rows),
                     "per_task_points": task}
    return out


def save(rows, seeds, per_class, out, table=True) -> list[dict]:
    names = list(dict.fromkeys(r["task"] for r in rows))
    summary = []
    for name in names:
        sel = [r for r in rows if r["task"] == name]
        a = np.array([r["labelled_only"] for r in sel])
        b = np.array([r["with_unlabelled"] for r in sel])
        always = {c: float(100 * np.mean([r["candidates"][c]["test"] - r["labelled_only"] for r in sel]))
                  for c in sel[0]["candidates"]}
        summary.append({"task": name, "seeds": len(sel), "labelled_only": float(a.mean()),
                        "with_unlabelled": float(b.mean()), "gain_points": float(100 * (b - a).mean()),
                        "worst_points": float(100 * (b - a).min()),
                        "used": sum(r["method"] != "labelled only" for r in sel), "always_gain_points": always})
    rules = rule_summary(rows)
    seeds = seeds if isinstance(seeds, int) else list(seeds)
    Path(out).write_text(json.dumps({"per_class": per_class, "seeds": seeds, "rows": rows, "summary": summary,
                                     "rules": rules}, indent=1))
    if not table:
        return summary
    print("| rule (chosen:labelled-only logits) | mean gain | worst task | worst draw | used |\n|---|---|---|---|---|")
    for rule, v in rules.items():
        print(f"| {rule} | {v['mean_gain_points']:+.2f} | {v['worst_task']} {v['worst_task_points']:+.2f} | "
              f"{v['worst_draw']} {v['worst_draw_points']:+.2f} | {v['used']} of {v['draws']} |")
    cands = list(summary[0]["always_gain_points"])
    print("| task | labelled only | with unlabelled | gain | worst seed | used | " + " | ".join(f"always {c}" for c in cands) + " |")
    print("|---" * (6 + len(cands)) + "|")
    for s in summary:
        print(f"| {s['task']} | {100 * s['labelled_only']:.1f} | {100 * s['with_unlabelled']:.1f} | "
              f"{s['gain_points']:+.1f} | {s['worst_points']:+.1f} | {s['used']} of {s['seeds']} | "
              + " | ".join(f"{s['always_gain_points'][c]:+.1f}" for c in cands) + " |")
    print(f"| mean | | | {np.mean([s['gain_points'] for s in summary]):+.1f} | | | "
          + " | ".join(f"{np.mean([s['always_gain_points'][c] for s in summary]):+.1f}" for c in cands) + " |")
    return summary
