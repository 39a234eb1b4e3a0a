"""The transfer-quality suite: TransferLab's default pipeline against a plain probe, same files, one run.

For every task of bench/suite/tasks.py, every labelled-set size (1, 5, 20 and all of the pool per
class) and several seeds (which pool samples are labelled):

- **default**: what a person gets. A project is created, the labelled files are imported with their
  class folders, ``Trainer(project, TrainConfig())`` trains exactly as ``transferlab train DIR`` does
  (auto mode, the default backbone), and the run's model classifies the held-out test files.
- **plain probe**: scikit-learn's ``LogisticRegression()`` (defaults: C=1, lbfgs; max_iter 3000) on
  global-average-pooled EfficientNet-Lite0 features at 224 px (bilinear resize, ImageNet mean/std),
  fit on every labelled file. For audio: the first second as a 64-band log-mel (n_fft 400, hop
  160), log, standardised per clip, scaled to [0, 1], on 3 channels, resized to 224x224.

Both see the same labelled files and are scored on the same test files. The test files are never
imported into the training project. Once per task (seed 0, 20 per class) the default run is also
exported to ONNX and its test predictions through onnxruntime are compared with the engine's.

Run: .venv/bin/python bench/bench_transfer_suite.py [--tasks a,b] [--sizes 1,5,20,all] [--seeds 3 | --seed-list 0,1] [--backbone NAME] [--views N] [--test-share X] [--maxed image,audio]
     -> bench/results/transfer_suite.json and a markdown table on stdout
Needs scikit-learn and scikit-image (pip install -e ".[bench]") and espeak-ng.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.suite import embed, results, tasks  # noqa: E402


def labelled_subset(labels: np.ndarray, n, seed: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + seed)
    picked = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        picked.extend(idx[: len(idx) if n == "all" else int(n)])
    return np.array(sorted(picked))


def plain_probe_accuracy(feats: dict, idx: np.ndarray) -> float:
    from sklearn.linear_model import LogisticRegression

    (px, py), (tx, ty) = feats["pool"], feats["test"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(max_iter=3000).fit(px[idx], py[idx])
    return float((model.predict(tx) == ty).mean())


class TestSet:
    """A task's held-out files in a project of their own (never the training project), so a run's
    model can classify them through the engine; embeddings are cached across runs."""

    def __init__(self, work: Path, task_dir: Path, modality: str):
        from core.importer import import_files
        from core.project import Project

        self.project = Project.create(work / "test-project", modality, "held-out test files")
        import_files(self.project, [task_dir / "test"])
        self.samples = [s for s in self.project.samples(status="ok")]
        self.truth = [s.label for s in self.samples]

    def accuracy(self, loaded) -> float:
        from core.evaluate.run_eval import predict_samples

        if loaded.meta.get("mode") == "probe" and not loaded.meta.get("from_run"):
            probs = self._probe_probabilities(loaded)
        else:
            probs, kept, skipped = predict_samples(loaded, self.project, self.samples)
            assert not skipped and len(kept) == len(self.samples), skipped
        names = loaded.class_names
        return float(np.mean([names[int(p.argmax())] == t for p, t in zip(probs, self.truth)]))

    def _probe_probabilities(self, loaded):
        """A probe's model is the pretrained backbone (whose features are cached) plus its head:
        the same computation as the whole model, without embedding every test file again per run."""
        import torch

        from core import features
        from core.weights import resolve

        found = features.extract(loaded.spec, [(s.hash, features.sample_source(self.project, loaded.spec, s))
                                               for s in self.samples], cache_dir=self.project.cache_dir,
                                  model=loaded.model.backbone,  # with its levels pooled, as the run
                                  weights_identity=resolve(loaded.spec).identity)  # frozen: cached
        assert len(found.hashes) == len(self.samples), found.failed
        with torch.inference_mode():
            logits = loaded.model.forward_features(torch.from_numpy(found.vectors))
        return torch.softmax(logits[:, :len(loaded.class_names)], -1).numpy()

    def exported_agreement(self, project, run_id: str, work: Path) -> dict:
        """Export the run and classify the test files with onnxruntime alone (core.predict)."""
        from core.export.exporter import export_run
        from core.predict import Predictor

        out = work / f"{run_id}.onnx"
        export_run(project, out, run_id)
        predictor = Predictor(out)
        labels = [predictor.predict_file(self.project.path_of(s)).label for s in self.samples]
        return {"onnx_accuracy": float(np.mean([a == t for a, t in zip(labels, self.truth)]))}


def default_pipeline(work: Path, task_dir: Path, modality: str, pool_paths, pool_labels, classes, idx, seed,
                     backbone: str | None = None, settings: dict | None = None, test_share: float | None = None):
    """Create a project with the labelled files, train with the defaults (``backbone``: another
    backbone; ``settings``: other TrainConfig fields; ``test_share``: the project's test split share
    instead of the default; every other setting the default's); (project, fit result)."""
    from core.importer import import_files
    from core.project import Project
    from core.train import Trainer, TrainConfig

    src = work / "labelled"
    shutil.rmtree(src, ignore_errors=True)
    for i in idx:
        dst = src / classes[pool_labels[i]]
        dst.mkdir(parents=True, exist_ok=True)
        (dst / pool_paths[i].name).symlink_to(pool_paths[i])
    project = Project.create(work / f"project-{seed}-{len(idx)}", modality, "suite")
    shared = work / "embedding-cache"
    shared.mkdir(exist_ok=True)
    (Path(project.cache_dir) / "embeddings").symlink_to(shared, target_is_directory=True)  # one cache per task
    if test_share is not None:
        project.reset_splits(test=test_share)
    import_files(project, [src])
    result = Trainer(project, TrainConfig(**({"backbone": backbone} if backbone else {}), **(settings or {}))).fit()
    return project, result


def run_task(name: str, sizes, seeds, work_root: Path, check_export: bool, backbone: str | None = None,
             seed_list=None, settings: dict | None = None, test_share: float | None = None) -> list[dict]:
    from core.runs import load_run

    task = tasks.TASKS[name]
    task_dir = tasks.materialise(name)
    plain = embed.plain_features(task_dir, task.modality)
    pool_paths, pool_labels, classes = tasks.files(task_dir, "pool")
    pool_labels = np.asarray(pool_labels)
    work = work_root / name
    work.mkdir(parents=True, exist_ok=True)
    test = TestSet(work, task_dir, task.modality)
    rows = []
    for n in sizes:
        for seed in (seed_list if seed_list is not None else range(seeds)):
            idx = labelled_subset(pool_labels, n, seed)
            t0 = time.perf_counter()
            project, result = default_pipeline(work, task_dir, task.modality, pool_paths, pool_labels, classes, idx, seed,
                                               backbone, settings, test_share)
            seconds = time.perf_counter() - t0
            loaded = load_run(project, result.run_id)
            row = {"task": name, "per_class": n, "seed": seed, "labelled": int(len(idx)), "backbone": loaded.spec.name,
                   "default": test.accuracy(loaded), "plain_probe": plain_probe_accuracy(plain, idx),
                   "default_seconds": seconds, "mode": loaded.meta.get("mode"),
                   "mode_reason": loaded.meta.get("mode_reason"), "estimate": result.metrics.get("val_acc")}
            if check_export and seed == 0 and n == 20:
                row.update(test.exported_agreement(project, result.run_id, work))
            project.close()
            shutil.rmtree(project.root, ignore_errors=True)
            rows.append(row)
            print(f"{name:13s} n={str(n):>4s} seed {seed}: default {row['default']:.3f}  plain {row['plain_probe']:.3f}"
                  f"  ({row['mode']}, {seconds:.0f}s)", flush=True)
    test.project.close()
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for name, n, sel in results.by_task_and_size(rows):
        d = np.array([r["default"] for r in sel])
        p = np.array([r["plain_probe"] for r in sel])
        out.append({"task": name, "per_class": n, "seeds": len(sel), "default": float(d.mean()),
                    "plain_probe": float(p.mean()), "gain_points": float(100 * (d - p).mean()),
                    "gain_sd": float(100 * (d - p).std())})
    return out


def table(summary: list[dict]) -> str:
    lines = ["| task | per class | default | plain probe | gain (points) |", "|---|---|---|---|---|"]
    for s in summary:
        lines.append(f"| {s['task']} | {s['per_class']} | {s['default']:.3f} | {s['plain_probe']:.3f} | "
                     f"{s['gain_points']:+.1f} ± {s['gain_sd']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default=",".join(tasks.TASKS))
    parser.add_argument("--sizes", default="1,5,20,all")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-export-check", action="store_true")
    parser.add_argument("--seed-list", help="these draws (e.g. 0,1) instead of the first --seeds")
    parser.add_argument("--backbone", help="train on this backbone instead of the default (e.g. efficientnet_lite0_lite1)")
    parser.add_argument("--views", type=int, help="a probe learns from this many altered views a sample (default 2)")
    parser.add_argument("--test-share", type=float, help="the projects' test split share (default: a new project's, 0.1)")
    parser.add_argument("--maxed", help="the modalities whose levels' maxima a probe reads beside their means "
                        "(core.train.trainer.MAXED_MODALITIES; default: as the trainer has it, pictures and sounds); 'none' for none")
    parser.add_argument("--unvalidated-strength", type=float,
                        help="the probe's strength where nothing can be validated, one example a class "
                        "(core.probe.solve.DEFAULT_STRENGTH, scikit-learn's C; default 1.0)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "transfer_suite.json"))
    a = parser.parse_args()
    if a.unvalidated_strength:
        from core.probe import solve

        solve.DEFAULT_STRENGTH = a.unvalidated_strength
    if a.maxed:
        from core.train import trainer

        trainer.MAXED_MODALITIES = () if a.maxed == "none" else tuple(a.maxed.split(","))
    seed_list = [int(x) for x in a.seed_list.split(",")] if a.seed_list else None
    sizes = [s if s == "all" else int(s) for s in a.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="suite-"))
    started = time.perf_counter()
    rows = []
    def save():
        return results.save(a.out, started, rows, summarise, sizes=sizes, seeds=a.seeds, views=a.views, test_share=a.test_share,
                            maxed=a.maxed, unvalidated_strength=a.unvalidated_strength,
                            tasks={n: tasks.TASKS[n].about for n in names})

    names = a.tasks.split(",")
    if a.backbone:  # its modality's tasks only (a picture backbone cannot read the sounds)
        from core import backbones

        modality = backbones.get(a.backbone).modality
        skipped = [n for n in names if tasks.TASKS[n].modality != modality]
        names = [n for n in names if n not in skipped]
        if skipped:
            print(f"{a.backbone} reads {modality}: left out {', '.join(skipped)}", flush=True)
    try:
        for name in names:
            rows += run_task(name, sizes, a.seeds, work, not a.no_export_check, a.backbone, seed_list,
                             None if a.views is None else {"probe_views": a.views}, a.test_share)
            save()  # after every task: a long run interrupted keeps what it measured
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(save()["summary"]))


if __name__ == "__main__":
    main()
