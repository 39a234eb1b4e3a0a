"""Exported model vs PyTorch: CPU latency per item (batch 1) through onnxruntime and through PyTorch
eager on the same model (the bundled EfficientNet-Lite0 with a trained head, preprocessing included
in both) and the same number of threads; and the file sizes of the fp32, fp16 and int8 exports.

    .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.machine import machine  # noqa: E402


def _latency(fn, repeats: int = 30) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000.0


def main() -> None:
    import torch

    from core.export.exporter import export_run
    from core.export.graph import ExportedClassifier
    from core.predict import Predictor
    from core.runs import load_run
    from core.train import TrainConfig, Trainer
    from tests.helpers.training import make_colour_project

    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = make_colour_project(tmp, per_class=8)
        Trainer(project, TrainConfig(mode="probe", epochs=20)).fit()
        report = export_run(project, tmp / "m.onnx", fp16=True, int8=True)
        loaded = load_run(project)
        wrapper = ExportedClassifier(loaded.spec.preprocessing, loaded.model).eval()
        image = np.random.default_rng(0).integers(0, 256, (1, 480, 640, 3), dtype=np.uint8)
        x = torch.from_numpy(image)
        rows = {}
        for kind, path in (("fp32", report.path), ("fp16", report.variants["fp16"]["path"]),
                           ("int8", report.variants["int8"]["path"])):
            p = Predictor(path, threads=threads)
            rows[kind] = {"ms_per_item": round(_latency(lambda: p.probabilities(image)), 2),
                          "size_mib": round(Path(path).stat().st_size / 2**20, 2)}
        with torch.inference_mode():
            eager = _latency(lambda: wrapper(x))
        project.close()
    doc = {
        "benchmark": "latency per item, batch 1, a 640x480 photo in, preprocessing inside the model",
        "model": "efficientnet_lite0 (bundled weights) + linear head",
        "threads": threads,
        "pytorch_eager_ms_per_item": round(eager, 2),
        "onnxruntime": rows,
        "onnxruntime_fp32_speedup_vs_eager": round(eager / rows["fp32"]["ms_per_item"], 2),
        "int8_quantised": report.variants["int8"]["quantised"],
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    (HERE / "results" / "export.json").write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
