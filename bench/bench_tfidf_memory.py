"""What the tfidf backbone's 30,522 dense columns cost on 1,000 texts: a project of 1,000 suite texts
trained as ``transferlab train --backbone tfidf`` does (probe), with the wall time, the process's peak
resident memory before and after training, and the size of the embedding cache on disk.

Run: .venv/bin/python bench/bench_tfidf_memory.py [--texts 1000] [--task topics] -> bench/results/tfidf_memory.json
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from bench.suite import texts  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--task", default="topics", help="a suite task; topics: 6 classes, so 1,000 texts are under "
                        "core.probe.solve.LARGE a class and the probe cross-validates in float64 (the costlier path)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "tfidf_memory.json"))
    a = parser.parse_args()
    from core.importer import import_files
    from core.project import Project
    from core.train import TrainConfig, Trainer

    classes = texts.TASKS[a.task][0]
    ptexts, py, classes = texts.make(a.task, "pool", a.texts // len(classes))
    work = Path(tempfile.mkdtemp(prefix="tfidf-memory-"))
    try:
        src = work / "src"
        for k, (text, label) in enumerate(zip(ptexts, py)):
            (src / classes[label]).mkdir(parents=True, exist_ok=True)
            (src / classes[label] / f"{k:05d}.txt").write_text(text, encoding="utf-8")
        project = Project.create(work / "p", "text", "memory")
        import_files(project, [src])
        before = peak_mb()
        t0 = time.perf_counter()
        result = Trainer(project, TrainConfig(backbone="tfidf")).fit()
        seconds = time.perf_counter() - t0
        cache = sum(f.stat().st_size for f in (Path(project.cache_dir) / "embeddings").glob("*"))
        t0 = time.perf_counter()
        Trainer(project, TrainConfig(backbone="tfidf")).fit()  # the embeddings read back from the cache
        again = time.perf_counter() - t0
        out = {"machine": machine(), "task": a.task, "texts": len(ptexts), "classes": len(classes), "train_seconds": seconds, "retrain_seconds_cached": again,
               "peak_rss_mb_before_training": before, "peak_rss_mb_after": peak_mb(),
               "embedding_cache_mb": cache / 1e6, "val_acc": result.metrics.get("val_acc")}
        project.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(a.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
