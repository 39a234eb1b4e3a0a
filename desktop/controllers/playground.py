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


@dataclass
class LongAudio:
    """A recording longer than the model's window: every window's view, silence, and events."""
    scan: object  # core.predict.detect.WindowScan
    labels: list
    quiet: object  # bool [W]: windows where nothing is heard

    def events(self, threshold: float):
        """Merged events (what `transferlab detect` reports) at or above ``threshold``, none in silence."""
        from core.predict.detect import DetectSettings, events_from

        probs = self.scan.probs.copy()
        probs[self.quiet] = 0.0  # silence is not a quiet word
        return events_from(self.scan.times, probs, self.labels, DetectSettings(threshold=threshold),
                           self.scan.window_seconds)

    def silent_seconds(self) -> float:
        from desktop.widgets.window_chart import _runs

        return sum(e - s for s, e in _runs(self.quiet, self.scan.times, self.scan.window_seconds / 2))


def summarise(events, duration: float, silent: float) -> str:
    """'3 events: yes ×2, stop ×1 · 8.4 s of 20.1 s silent'."""
    from collections import Counter

    counts = Counter(e.label for e in events)
    what = (f"{len(events)} event{'s' * (len(events) != 1)}: " + ", ".join(f"{k} ×{n}" for k, n in counts.most_common())
            if events else "No events at this threshold")
    return what + (f" · {silent:.1f} s of {duration:.1f} s silent" if silent >= 0.05 else "")


@dataclass(frozen=True)
class PlayResult:
    prediction: object  # core.predict.Prediction
    kind: str | None  # 'image' | 'audio' | 'text' | None
    thumbnail: object = None  # QImage for images
    envelope: object = None  # (times, min, max) numpy arrays for audio
    duration: float = 0.0
    long: LongAudio | None = None  # audio longer than the model's window


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
    """(times, min, max) of about ``points`` stretches of a recording, read block by block (an hour
    of audio is never held whole), and its duration in seconds."""
    import numpy as np
    import soundfile as sf

    with sf.SoundFile(path) as f:
        rate, frames = int(f.samplerate), int(f.frames)
        n = max(1, frames // points)
        lows, highs = [], []
        carry = np.zeros(0, np.float32)
        for block in f.blocks(blocksize=n * 256, dtype="float32", always_2d=True):
            mono = np.concatenate([carry, block.mean(axis=1, dtype=np.float32)])
            whole = len(mono) // n * n
            if whole:
                groups = mono[:whole].reshape(-1, n)
                lows.append(groups.min(axis=1))
                highs.append(groups.max(axis=1))
            carry = mono[whole:]
        if carry.size:
            lows.append(carry.min(keepdims=True))
            highs.append(carry.max(keepdims=True))
    low = np.concatenate(lows) if lows else np.zeros(0, np.float32)
    high = np.concatenate(highs) if highs else np.zeros(0, np.float32)
    return (np.arange(len(low)) * n / rate, low, high), frames / rate


def _long_audio(predictor, path, progress) -> LongAudio | None:
    """A recording longer than one and a half of the model's windows, scanned block by block."""
    from core.audio.quiet import quiet_threshold
    from core.media import MediaError, audio_info
    from core.predict.detect import scan_file

    if predictor.task != "audio":
        return None
    try:
        if audio_info(path).duration <= predictor.window_seconds * 1.5:
            return None
        scan = scan_file(predictor, path, progress=progress)
    except MediaError:
        return None  # predict_file says why in a sentence
    return LongAudio(scan, list(predictor.labels), scan.levels_db < quiet_threshold(scan.levels_db))


def predict_files(ctx, project, run_id: str, paths: list[str], top: int, spec=None) -> list[PlayResult]:
    from core.media import kind_of
    from core.predict.predictor import expand_paths
    from desktop.thumbnails.loader import to_qimage

    ctx.progress("Preparing the model (once per run)…")
    model = cached_model(project, run_id, spec)
    predictor = predictor_for(model)
    out = []
    files = expand_paths(paths, predictor.task)
    for i, path in enumerate(files):
        ctx.progress(f"Predicting {i + 1} of {len(files)}…")
        kind = kind_of(path)
        long = _long_audio(predictor, path, lambda done: ctx.progress(f"Predicting {i + 1} of {len(files)}: "
                                                                      f"{done:.0f} s heard…")) if kind == "audio" else None
        if long is not None:
            from core.predict import Prediction

            env, duration = envelope(path)
            out.append(PlayResult(Prediction(path), kind, None, env, duration, long))
            continue
        prediction = predictor.predict_file(path, top=top)
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


def predict_texts(ctx, project, run_id: str, texts: list[str], top: int, spec=None) -> list[PlayResult]:
    """Typed or pasted texts, through the exported model as `transferlab predict --text` runs it."""
    ctx.progress("Preparing the model (once per run)…")
    predictor = predictor_for(cached_model(project, run_id, spec))
    out = []
    for text in texts:
        shown = " ".join(text.split())
        name = shown if len(shown) <= 80 else shown[:79] + "…"
        out.append(PlayResult(predictor.predict_text(text, top=top, name=name or "(empty text)"), "text"))
    return out

