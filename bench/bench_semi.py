"""Learning from unlabelled samples, measured: the default probe with and without the project's
unlabelled samples (TrainConfig.unlabelled "use" against "ignore"), same files, one run.

For every task of the transfer-quality suite, its pool is made larger (220 a class; digits has
96 distinct scans a class, all of them) under ``~/.cache/transferlab-suite-semi``, and the whole
pool is imported into one project, unlabelled. For every size (labelled files a class) and seed,
that many files a class are labelled (the suite's choice: bench_transfer_suite.labelled_subset),
the project draws its splits as it does for a person (10% validation, 10% test), and
``Trainer(project, TrainConfig(unlabelled=...))`` trains exactly as ``transferlab train`` does;
every other pool file is an unlabelled sample of the project. Both runs' models classify the
task's held-out test files (never imported into the training project). Then the labels are
cleared and the splits reset for the next labelled set.

Each labelled set stands for a project of its own, so the reuse of the last run's strength and
features (probe_fit.earlier_choice, for a retrain after a few label edits) is switched off here.

Run: .venv/bin/python bench/bench_semi.py [--tasks a,b] [--sizes 5,20] [--seeds 1] [--seed-from 0] [--backbone NAME]
     -> bench/results/semi_suite.json and a markdown table on stdout
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.bench_transfer_suite import TestSet, labelled_subset  # noqa: E402
from bench.suite import results, tasks  # noqa: E402

POOL = 220  # a class: at 20 labelled, 200 unlabelled
POOL_OF = {"digits": 96}  # the scans a class there are (scikit-learn's 1,797 split in halves)
SEMI_ROOT = tasks.default_root().parent / "transferlab-suite-semi"


def pool_project(work: Path, task_dir: Path, modality: str):
    """One project holding the whole pool, unlabelled; {pool file: sample id}."""
    from core.importer import import_files
    from core.project import Project

    project = Project.create(work / "project", modality, "semi-supervised suite")
    shared = work / "embedding-cache"
    shared.mkdir(exist_ok=True)
    (Path(project.cache_dir) / "embeddings").symlink_to(shared, target_is_directory=True)
    import_files(project, [task_dir / "pool"], labels="none")
    ids = {Path(s.original_path).resolve(): s.id for s in project.samples()}
    return project, ids


def train(project, unlabelled: str, backbone: str | None = None):
    from core.train import Trainer, TrainConfig

    return Trainer(project, TrainConfig(unlabelled=unlabelled, **({"backbone": backbone} if backbone else {}))).fit()


def run_task(name: str, sizes, seeds, work_root: Path, seed_from: int = 0, backbone: str | None = None) -> list[dict]:
    from core.runs import load_run
    from core.train import probe_fit

    probe_fit.earlier_choice = lambda *a, **k: None  # each labelled set is a project of its own
    task = tasks.TASKS[name]
    task_dir = tasks.materialise(name, root=SEMI_ROOT, pool=POOL_OF.get(name, POOL))
    pool_paths, pool_labels, classes = tasks.files(task_dir, "pool")
    pool_labels = np.asarray(pool_labels)
    work = work_root / name
    work.mkdir(parents=True, exist_ok=True)
    test = TestSet(work, task_dir, task.modality)
    project, ids = pool_project(work, task_dir, task.modality)
    rows = []
    for n in sizes:
        for seed in range(seed_from, seed_from + seeds):
            idx = labelled_subset(pool_labels, n, seed)
            project.set_labels([(ids[pool_paths[i].resolve()], classes[pool_labels[i]]) for i in idx])
            row = {"task": name, "per_class": n, "seed": seed, "backbone": backbone or "default",
                   "labelled": int(len(idx)), "classes": len(classes),
                   "pool": int(len(pool_labels)), "unlabelled_in_project": int(len(pool_labels) - len(idx))}
            for variant in ("ignore", "use"):
                t0 = time.perf_counter()
                result = train(project, variant, backbone)
                row[f"{variant}_seconds"] = time.perf_counter() - t0
                row[variant] = test.accuracy(load_run(project, result.run_id))
                row[f"{variant}_estimate"] = result.metrics.get("val_acc")
                if variant == "use":
                    row["semi"] = result.metrics.get("unlabelled")
            project.set_labels([(ids[pool_paths[i].resolve()], None) for i in idx])
            project.reset_splits()
            rows.append(row)
            semi = row["semi"] or {}
            print(f"{name:13s} n={n:>3d} seed {seed}: labelled only {row['ignore']:.3f}  with unlabelled {row['use']:.3f}"
                  f"  ({semi.get('method')}, {semi.get('pseudo_labelled')} of {semi.get('unlabelled')}; "
                  f"{row['use_seconds']:.0f}s against {row['ignore_seconds']:.0f}s)", flush=True)
    project.close()
    test.project.close()
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for name, n, sel in results.by_task_and_size(rows):
        a, b = np.array([r["ignore"] for r in sel]), np.array([r["use"] for r in sel])
        out.append({"task": name, "per_class": n, "seeds": len(sel), "labelled_only": float(a.mean()),
                    "with_unlabelled": float(b.mean()), "gain_points": float(100 * (b - a).mean()),
                    "used": sum(bool((r.get("semi") or {}).get("used")) for r in sel),
                    "unlabelled_a_class": min(r["unlabelled_in_project"] // r["classes"] for r in sel)})
    return out


def table(summary: list[dict]) -> str:
    lines = ["| task | per class | labelled only | with unlabelled | gain (points) | used (runs) |",
             "|---|---|---|---|---|---|"]
    for s in summary:
        lines.append(f"| {s['task']} | {s['per_class']} | {100 * s['labelled_only']:.1f} | "
                     f"{100 * s['with_unlabelled']:.1f} | {s['gain_points']:+.1f} | {s['used']} of {s['seeds']} |")
    for n in dict.fromkeys(s["per_class"] for s in summary):
        gains = [s["gain_points"] for s in summary if s["per_class"] == n]
        lines.append(f"| mean | {n} | | | {np.mean(gains):+.1f} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default=",".join(tasks.TASKS))
    parser.add_argument("--sizes", default="5,20")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--seed-from", type=int, default=0, help="the first seed (more seeds in another run)")
    parser.add_argument("--backbone", help="train on this backbone instead of the default (e.g. efficientnet_lite0_lite1)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "semi_suite.json"))
    a = parser.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="semi-"))
    started = time.perf_counter()
    rows = []

    def save():
        return results.save(a.out, started, rows, summarise, sizes=sizes, seeds=a.seeds,
                            tasks={n: tasks.TASKS[n].about for n in a.tasks.split(",")})

    try:
        for name in a.tasks.split(","):
            rows += run_task(name, sizes, a.seeds, work, a.seed_from, a.backbone)
            save()  # after every task: a long run interrupted keeps what it measured
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(save()["summary"]))


if __name__ == "__main__":
    main()
