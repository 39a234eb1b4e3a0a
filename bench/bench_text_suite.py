"""The text suite: TransferLab's default text model against a plain probe and TF-IDF, same files, one run.

For every task of bench/suite/texts.py (topics, sentiment, spam-like vs normal messages, electronics
reviews judged on restaurant reviews), every labelled-set size (5, 20, 100 per class) and several
seeds (which pool texts are labelled):

- **default**: what a person gets. The labelled texts are written as .txt files in class folders,
  a text project is created and they are imported, ``Trainer(project, TrainConfig())`` trains as
  ``transferlab train DIR`` does, and the run's model classifies the held-out test texts.
- **plain probe**: scikit-learn's ``LogisticRegression()`` (C=1, lbfgs; max_iter 3000) on the same
  bundled all-MiniLM-L6-v2's mean-pooled, L2-normalised embeddings (what sentence-transformers'
  ``encode`` gives), fit on the same labelled texts.
- **TF-IDF**: scikit-learn's ``TfidfVectorizer()`` and ``LogisticRegression()``, both with their
  defaults, fit on the same labelled texts.

- **finetune** (``--finetune``): ``TrainConfig(mode="finetune")`` on the same project, as
  ``transferlab train DIR --mode finetune`` does (the top 3 of MiniLM's 6 layers and the head, after
  a head warm-up epoch); its best epoch's model classifies the test texts. At 100 a class every
  seed labels the whole pool, so it runs once there. Wall and CPU seconds of every run are kept.

The test texts are worded differently from the pool's (bench/suite/texts.py) and are never
imported into a training project. Once per task (seed 0, 20 per class) the default run is also
exported to ONNX and the test texts are classified through onnxruntime (core.predict).

Run: .venv/bin/python bench/bench_text_suite.py [--tasks a,b] [--sizes 5,20,100] [--seeds 3] [--finetune]
     -> bench/results/text_suite.json and a markdown table on stdout (needs scikit-learn)
     --backbone tfidf: the "default" column is a project trained with that backbone instead of the
     offline default (results in bench/results/text_suite_tfidf.json unless --out says otherwise)
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

from bench.suite import results, texts  # noqa: E402

POOL = 100  # texts per class a person could label; the test set has as many, worded differently


def labelled_subset(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + seed)
    picked = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        picked.extend(idx[:n])
    return np.array(sorted(picked))


def write_texts(folder: Path, items, classes) -> list[Path]:
    paths = []
    for k, (text, label) in enumerate(items):
        dst = folder / classes[label]
        dst.mkdir(parents=True, exist_ok=True)
        paths.append(dst / f"{k:04d}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    return paths


def plain_embeddings(all_texts: list[str]) -> np.ndarray:
    """Mean-pooled, L2-normalised last-layer embeddings of the bundled model (sentence-transformers'
    all-MiniLM-L6-v2 output; core's network matches it within 2e-7)."""
    import torch

    from core import backbones
    from core.weights import load_pretrained

    spec = backbones.get("minilm_l6")
    model, pre = load_pretrained(spec), spec.preprocessing
    out = []
    with torch.inference_mode():
        for i in range(0, len(all_texts), 32):
            out.append(model(*pre.collate([pre.to_tensor(t) for t in all_texts[i:i + 32]])).numpy())
    x = np.concatenate(out)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def plain_probe(px, py, tx, ty) -> float:
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float((LogisticRegression(max_iter=3000).fit(px, py).predict(tx) == ty).mean())


def tfidf(ptexts, py, ttexts, ty) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer().fit(ptexts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(max_iter=3000).fit(vec.transform(ptexts), py)
    return float((model.predict(vec.transform(ttexts)) == ty).mean())


class TestSet:
    """The held-out texts in a project of their own; their embeddings are cached across runs."""

    def __init__(self, work: Path, ttexts, ty, classes):
        from core.importer import import_files
        from core.project import Project

        src = work / "test-src"
        write_texts(src, list(zip(ttexts, ty)), classes)
        self.project = Project.create(work / "test-project", "text", "held-out test texts")
        import_files(self.project, [src])
        self.samples = list(self.project.samples(status="ok"))
        self.truth = [s.label for s in self.samples]

    def accuracy(self, loaded) -> float:
        """The run's model (its backbone, levels pooled as the run's, and its head) on every test text."""
        import torch

        from core import features
        from core.weights import resolve

        found = features.extract(loaded.spec, [(s.hash, str(self.project.path_of(s))) for s in self.samples],
                                 cache_dir=self.project.cache_dir, model=loaded.model.backbone,
                                 weights_identity=resolve(loaded.spec).identity)  # frozen: cached
        assert len(found.hashes) == len(self.samples), found.failed
        with torch.inference_mode():
            probs = loaded.model.forward_features(torch.from_numpy(found.vectors)).numpy()
        names = loaded.class_names
        return float(np.mean([names[int(p.argmax())] == t for p, t in zip(probs, self.truth)]))

    def forward_accuracy(self, loaded) -> float:
        """The run's whole model on every test text (a fine-tuned backbone: no cached embeddings)."""
        import torch

        pre = loaded.spec.preprocessing
        tokens = [pre.load(self.project.path_of(s)) for s in self.samples]
        with torch.inference_mode():
            got = torch.cat([loaded.model(*pre.collate(tokens[i:i + 64])).argmax(1) for i in range(0, len(tokens), 64)])
        names = loaded.class_names
        return float(np.mean([names[int(k)] == t for k, t in zip(got, self.truth)]))

    def onnx_accuracy(self, project, run_id: str, work: Path) -> dict:
        from core.export.exporter import export_run
        from core.predict import Predictor

        out = work / f"{run_id}.onnx"
        report = export_run(project, out, run_id)
        predictor = Predictor(out)
        labels = [predictor.predict_file(self.project.path_of(s)).label for s in self.samples]
        return {"onnx_accuracy": float(np.mean([a == t for a, t in zip(labels, self.truth)])),
                "onnx_parity": report.parity_max_diff}


def finetune_run(project) -> tuple[object, float, float]:
    """(the run's FitEnd, wall seconds, CPU seconds of this process) of ``--mode finetune``."""
    from core.train import Trainer, TrainConfig

    t0, c0 = time.perf_counter(), time.process_time()
    result = Trainer(project, TrainConfig(mode="finetune")).fit()
    return result, time.perf_counter() - t0, time.process_time() - c0


def default_pipeline(work: Path, pool_texts, py, classes, idx, seed, backbone: str | None = None):
    from core.importer import import_files
    from core.project import Project
    from core.train import Trainer, TrainConfig

    src = work / "labelled"
    shutil.rmtree(src, ignore_errors=True)
    write_texts(src, [(pool_texts[i], py[i]) for i in idx], classes)
    project = Project.create(work / f"project-{seed}-{len(idx)}", "text", "suite")
    shared = work / "embedding-cache"
    shared.mkdir(exist_ok=True)
    (Path(project.cache_dir) / "embeddings").symlink_to(shared, target_is_directory=True)  # one cache per task
    import_files(project, [src])
    config = TrainConfig(backbone=backbone) if backbone else TrainConfig()
    return project, Trainer(project, config).fit()


def run_task(name: str, sizes, seeds, work_root: Path, check_export: bool, finetune: bool = False,
             on_row=lambda row: None, backbone: str | None = None) -> list[dict]:
    from core.runs import load_run

    ptexts, py, classes = texts.make(name, "pool", POOL)
    ttexts, ty, _ = texts.make(name, "test", POOL)
    py, ty = np.asarray(py), np.asarray(ty)
    emb = plain_embeddings(ptexts + ttexts)
    pe, te = emb[:len(ptexts)], emb[len(ptexts):]
    work = work_root / name
    work.mkdir(parents=True, exist_ok=True)
    test = TestSet(work, ttexts, ty, classes)
    rows = []
    for n in sizes:
        for seed in range(seeds):
            idx = labelled_subset(py, n, seed)
            t0, c0 = time.perf_counter(), time.process_time()
            project, result = default_pipeline(work, ptexts, py, classes, idx, seed, backbone)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            loaded = load_run(project, result.run_id)
            row = {"task": name, "per_class": n, "seed": seed, "labelled": int(len(idx)), "backbone": loaded.spec.name,
                   "default": test.accuracy(loaded), "plain_probe": plain_probe(pe[idx], py[idx], te, ty),
                   "tfidf": tfidf([ptexts[i] for i in idx], py[idx], ttexts, ty),
                   "default_seconds": seconds, "default_cpu_seconds": cpu, "mode": loaded.meta.get("mode"),
                   "features": (result.metrics.get("probe_choice") or {}).get("features"),
                   "estimate": result.metrics.get("val_acc")}
            if check_export and seed == 0 and n == 20:
                row.update(test.onnx_accuracy(project, result.run_id, work))
            if finetune and (seed == 0 or n < POOL):  # at POOL a class every seed labels the same texts
                tuned, wall, cpu = finetune_run(project)
                row.update(finetune=test.forward_accuracy(load_run(project, tuned.run_id)),
                           finetune_seconds=wall, finetune_cpu_seconds=cpu, finetune_status=tuned.status,
                           finetune_best_epoch=tuned.best_epoch, finetune_epochs=tuned.epochs_done)
            project.close()
            shutil.rmtree(project.root, ignore_errors=True)
            rows.append(row)
            on_row(row)
            print(f"{name:16s} n={n:>4d} seed {seed}: default {row['default']:.3f}  plain {row['plain_probe']:.3f}  "
                  f"tfidf {row['tfidf']:.3f}  ({row['features']}, {seconds:.0f}s)"
                  + (f"  finetune {row['finetune']:.3f} ({row['finetune_seconds']:.0f}s, "
                     f"{row['finetune_cpu_seconds']:.0f} CPU-s)" if "finetune" in row else ""), flush=True)
    test.project.close()
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for name, n, sel in results.by_task_and_size(rows):
        d, p, t = (np.array([r[k] for r in sel]) for k in ("default", "plain_probe", "tfidf"))
        out.append({"task": name, "per_class": n, "seeds": len(sel), "default": float(d.mean()),
                    "plain_probe": float(p.mean()), "tfidf": float(t.mean()),
                    "gain_vs_plain": float(100 * (d - p).mean()), "gain_vs_plain_sd": float(100 * (d - p).std()),
                    "gain_vs_tfidf": float(100 * (d - t).mean())})
        tuned = [r for r in sel if "finetune" in r]
        if tuned:  # against the default on the same labelled texts (the runs it was made beside)
            out[-1].update(finetune=float(np.mean([r["finetune"] for r in tuned])), finetune_seeds=len(tuned),
                           finetune_vs_default=float(100 * np.mean([r["finetune"] - r["default"] for r in tuned])),
                           finetune_cpu_seconds=float(np.mean([r["finetune_cpu_seconds"] for r in tuned])),
                           default_cpu_seconds=float(np.mean([r["default_cpu_seconds"] for r in tuned])))
    for n in dict.fromkeys(s["per_class"] for s in list(out)):
        sel = [s for s in out if s["per_class"] == n and s["task"] != "mean"]
        out.append({"task": "mean", "per_class": n, "seeds": sel[0]["seeds"],
                    **{k: float(np.mean([s[k] for s in sel])) for k in
                       ("default", "plain_probe", "tfidf", "gain_vs_plain", "gain_vs_tfidf")}, "gain_vs_plain_sd": None})
        if all("finetune" in s for s in sel):
            out[-1].update({k: float(np.mean([s[k] for s in sel])) for k in
                            ("finetune", "finetune_vs_default", "finetune_cpu_seconds", "default_cpu_seconds")})
    return out


def table(summary: list[dict], label: str = "default") -> str:
    lines = [f"| task | per class | {label} | plain probe | TF-IDF + LR | {label} - plain (points) | {label} - TF-IDF |",
             "|---|---|---|---|---|---|---|"]
    for s in summary:
        sd = f" ± {s['gain_vs_plain_sd']:.1f}" if s["gain_vs_plain_sd"] is not None else ""
        lines.append(f"| {s['task']} | {s['per_class']} | {s['default']:.3f} | {s['plain_probe']:.3f} | {s['tfidf']:.3f} | "
                     f"{s['gain_vs_plain']:+.1f}{sd} | {s['gain_vs_tfidf']:+.1f} |")
    tuned = [s for s in summary if "finetune" in s]
    if tuned:
        lines += ["", "| task | per class | runs | finetune | default (same runs) | finetune - default (points) | "
                      "CPU s finetune | CPU s default |", "|---|---|---|---|---|---|---|---|"]
        for s in tuned:
            default = s["finetune"] - s["finetune_vs_default"] / 100
            lines.append(f"| {s['task']} | {s['per_class']} | {s.get('finetune_seeds', '')} | {s['finetune']:.3f} | "
                         f"{default:.3f} | {s['finetune_vs_default']:+.1f} | {s['finetune_cpu_seconds']:.0f} | "
                         f"{s['default_cpu_seconds']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", default=",".join(texts.TASKS))
    parser.add_argument("--sizes", default="5,20,100")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-export-check", action="store_true")
    parser.add_argument("--finetune", action="store_true", help="also fine-tune (--mode finetune) on every labelled set")
    parser.add_argument("--backbone", help="train the default column's projects with this backbone (e.g. tfidf)")
    parser.add_argument("--out")
    a = parser.parse_args()
    a.out = a.out or str(ROOT / "bench" / "results" / (f"text_suite_{a.backbone}.json" if a.backbone else "text_suite.json"))
    sizes = [int(s) for s in a.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="text-suite-"))
    started = time.perf_counter()
    rows: list[dict] = []

    def save():
        return results.save(a.out, started, rows, summarise, sizes=sizes, seeds=a.seeds, tasks=list(a.tasks.split(",")),
                            backbone=a.backbone)

    try:
        for name in a.tasks.split(","):
            # after every row: a long run interrupted keeps what it measured
            run_task(name, sizes, a.seeds, work, not a.no_export_check, a.finetune,
                     on_row=lambda row: (rows.append(row), save()), backbone=a.backbone)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(save()["summary"], f"{a.backbone} probe" if a.backbone else "default"))


if __name__ == "__main__":
    main()
