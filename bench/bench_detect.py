"""Continuous detection speed: seconds of audio processed per second of wall time on this CPU
(the real-time factor; above 1 means faster than real time), for a model exported from the bundled
audio backbone, at the default window hop (a quarter window), reading the file, smoothing and
finding events included. The reference is real time itself (factor 1).

    .venv/bin/python bench/bench_detect.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.machine import machine  # noqa: E402


def main() -> None:
    import torch

    from core.export.exporter import export_run
    from core.predict import Predictor
    from core.predict.detect import DetectSettings, detect_file, window_probabilities
    from core.train import TrainConfig, Trainer
    from tests.helpers.training import make_tone_project
    from tests.helpers.media_factory import write_audio

    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = make_tone_project(tmp, per_class=6)
        Trainer(project, TrainConfig(mode="probe", epochs=10, clip_seconds=1.0)).fit()
        model = export_run(project, tmp / "m.onnx").path
        predictor = Predictor(model, threads=threads)
        seconds = 120.0
        rng = np.random.default_rng(0)
        wave = (rng.normal(0, 0.01, int(seconds * 16000))).astype(np.float32)
        path = write_audio(tmp / "long.wav", wave, 16000)
        detect_file(predictor, path, DetectSettings())  # warm-up
        best = min(_timed(lambda: detect_file(predictor, path, DetectSettings())) for _ in range(3))
        times, _, _ = window_probabilities(predictor, wave)
        windows = len(times)
        project.close()
    doc = {
        "benchmark": "continuous detection over 120 s of audio, window 1 s, hop 0.25 s",
        "backbone": "audio_efficientnet_lite0 (bundled ImageNet weights), exported to ONNX",
        "windows": windows,
        "onnxruntime_seconds": round(best, 3),
        "real_time_factor": round(seconds / best, 1),
        "threads": threads,
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    out = HERE / "results" / "detect.json"
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
