"""Is choosing one column set by cross-validation the best use of the three (grid, levels, final)?

On the default probe's own features of the picture tasks (bench/std_pool_lab.py embeds them: the
default backbone, every level pooled on the 2x2 grid, two altered views of each labelled file; its
"A" columns are exactly the default's), for each labelled draw (the suite's labelled_subset):

- **default**: core.probe.solve.solve_head choosing one set by cross-validation, as a run does;
- **grid / levels / final**: each set alone, its strength chosen by cross-validation;
- **ensemble, always**: the mean of the three sets' logits (one linear head again);
- **auto with the ensemble**: the ensemble as a fourth candidate, judged on the same folds by the
  mean of the sets' held-out log-probabilities, used only where that beats every set alone.

All are scored on the task's held-out test files.

Run: .venv/bin/python bench/column_set_ensemble_lab.py TASKS SIZES  (after std_pool_lab.py embed)
     e.g. textures,digits 5  ->  bench/results/ensemble_lab.json (rows added) and one JSON line a draw
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench import std_pool_lab as lab  # noqa: E402
from bench.bench_transfer_suite import labelled_subset  # noqa: E402
from core.probe.solve import solve_head  # noqa: E402

OUT = ROOT / "bench" / "results" / "ensemble_lab.json"


def draw(data: dict, idx: np.ndarray) -> dict:
    take, _, _ = lab.variant_columns(data, "none", "id")  # the default's columns
    pool_y = data["pool_y"].astype(np.int64)
    classes = int(pool_y.max()) + 1
    where = {int(i): k for k, i in enumerate(data["view_of"])}
    feats = take(data["pool_x"][idx])
    views = [take(data["views"][v][[where[int(i)] for i in idx]]) for v in range(2)]
    mean, std = lab.standardise(feats.float())
    mean, std = mean.double(), std.double()
    x = (torch.cat([feats, *views]) - mean) / std
    y = np.concatenate([pool_y[idx]] * 3)
    scored = np.arange(len(x)) < len(idx)
    common = dict(holdout=np.zeros(len(y), bool), balance=True, seed=0,
                  groups=np.concatenate([np.arange(len(idx))] * 3), scored=scored)
    sets = data["groups"]
    tx = ((take(data["test_x"]) - mean) / std).float()
    chosen = solve_head(x, y, classes, column_sets=sets, unvalidated=("final", sets["final"]), **common)
    out, held = {"chosen": chosen.features}, []
    with torch.no_grad():
        logits = {"default": tx @ chosen.weight + chosen.bias}
        for name, cols in sets.items():
            head = solve_head(x[:, cols].contiguous(), y, classes, **common)
            logits[name] = tx[:, cols] @ head.weight + head.bias
            out[f"est_{name}"] = head.estimate
            held.append(head.held_out)
    out["est_ensemble"] = None
    if all(h is not None for h in held):
        ok = scored & ~np.isnan(held[0]).any(1)
        mean_log = sum(np.log(np.clip(h[ok], 1e-12, None)) for h in held) / len(held)
        out["est_ensemble"] = float((mean_log.argmax(1) == y[ok]).mean())
    ty = data["test_y"]

    def accuracy(z):
        return float((z.argmax(1).numpy() == ty).mean())

    out.update({k: accuracy(v) for k, v in logits.items()})
    out["ensemble_always"] = accuracy(sum(logits[k] for k in sets) / len(sets))
    best_single = max(out[f"est_{k}"] or 0.0 for k in sets)
    use = out["est_ensemble"] is not None and out["est_ensemble"] > best_single
    out["auto_with_ensemble"] = out["ensemble_always"] if use else out["default"]
    out["auto_pick"] = "ensemble" if use else out["chosen"]
    return out


def main() -> None:
    names, sizes = sys.argv[1].split(","), [int(v) for v in sys.argv[2].split(",")]
    rows = json.loads(OUT.read_text()) if OUT.exists() else []
    for name in names:
        data = lab.load(name)
        for size in sizes:
            for seed in (0, 1, 2):
                t0 = time.perf_counter()
                row = draw(data, labelled_subset(data["pool_y"], size, seed))
                row.update(task=name, size=size, seed=seed, seconds=round(time.perf_counter() - t0, 1))
                rows.append(row)
                print(json.dumps(row), flush=True)
                OUT.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
