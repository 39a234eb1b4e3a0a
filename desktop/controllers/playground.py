"""Trying a model on new files, off the GUI thread.

The Play page runs the same code a user of the exported model runs: core.predict.Predictor on an
ONNX file. A run without an export gets one made once into the project's cache/play/ (safe to
delete; remade when the run's best.pt is newer), so what Play shows is what an export will do.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

_predictors: dict[str, object] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class PlayResult:
    prediction: object  # core.predict.Prediction
    kind: str | None  # 'image' | 'audio' | None
    thumbnail: object = None  # QImage for images
    envelope: object = None  # (times, min, max) numpy arrays for audio
    duration: float = 0.0


def cached_model(project, run_id: str, spec=None) -> Path:
    """runs/<id> as an ONNX file in cache/play/ (exported now if missing or older than the run)."""
    from core.run_catalogue import find_run

    info = find_run(project, run_id)
    path = Path(project.cache_dir) / "play" / f"{info.id}.onnx"
    best = info.dir / "best.pt"
    if not path.exists() or path.stat().st_mtime < best.stat().st_mtime:
        from core.export.exporter import export_run

        export_run(project, path, info.id, spec=spec, parity_samples=2, overwrite=True, measure_fp32=False,
                   record=False)
    return path


def predictor_for(path: Path):
    from core.predict import Predictor

    key = f"{path}:{path.stat().st_mtime_ns}"
    with _lock:
        if key not in _predictors:
            _predictors.clear()
            _predictors[key] = Predictor(path)
        return _predictors[key]


def envelope(path: str, points: int = 1500):
    import numpy as np
    import soundfile as sf

    wave, rate = sf.read(path, dtype="float32", always_2d=True)
    wave = wave.mean(axis=1)
    n = max(1, len(wave) // points)
    usable = wave[: len(wave) // n * n].reshape(-1, n) if len(wave) >= n else wave.reshape(1, -1)
    times = np.arange(len(usable)) * n / rate
    return (times, usable.min(axis=1), usable.max(axis=1)), len(wave) / rate


def predict_files(progress, project, run_id: str, paths: list[str], top: int, spec=None) -> list[PlayResult]:
    from core.media import kind_of
    from core.predict.predictor import expand_paths
    from desktop.thumbnails.loader import to_qimage

    progress("Preparing the model (once per run)…")
    model = cached_model(project, run_id, spec)
    predictor = predictor_for(model)
    out = []
    files = expand_paths(paths, predictor.task)
    for i, path in enumerate(files):
        progress(f"Predicting {i + 1} of {len(files)}…")
        prediction = predictor.predict_file(path, top=top)
        kind = kind_of(path)
        thumb, env, duration = None, None, 0.0
        try:
            if kind == "image" and not prediction.error:
                from core.media import decode_image

                im = decode_image(path)
                im.thumbnail((160, 160))
                thumb = to_qimage(im)
            elif kind == "audio" and not prediction.error:
                env, duration = envelope(path)
        except Exception:  # noqa: BLE001 - a picture that cannot be made leaves the prediction standing
            pass
        out.append(PlayResult(prediction, kind, thumb, env, duration))
    return out
