"""Continuous detection: a trained model slid over a long recording, smoothed, turned into events.

Windows of the training clip length slide by ``hop``; their class probabilities are averaged over a
few neighbouring windows (moving average); a class fires where its smoothed probability is the
highest and at least ``threshold``; one event is reported at its peak, and the same class cannot
fire again within ``refractory`` seconds. Given the truth (label, start, end), hits and false
triggers per hour are counted, and a threshold sweep shows the trade-off. onnxruntime only.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from core.audio.quiet import QUIET_CLASSES
from core.errors import MediaError, TransferLabError, UsageError
from core.media import audio_info, iter_audio
from core.safe_files import FileRefused, open_regular


@dataclass(frozen=True)
class DetectSettings:
    threshold: float = 0.6
    smooth_windows: int = 3
    refractory: float = 1.0  # seconds
    hop: float | None = None  # seconds; None: a quarter of the model's window
    ignore: tuple[str, ...] = ()  # classes never reported; default: background-like names

    MIN_HOP = 0.01  # seconds: --hop -1 became a step of one sample, a window per sample of the recording

    def __post_init__(self):
        problems = []
        if not 0 < self.threshold <= 1:
            problems.append(f"the threshold is a confidence between 0 and 1 (not {self.threshold:g})")
        if self.smooth_windows < 1:
            problems.append(f"smoothing takes at least 1 window (not {self.smooth_windows})")
        if self.refractory < 0:
            problems.append(f"the refractory time cannot be negative (not {self.refractory:g} s)")
        if self.hop is not None and self.hop < self.MIN_HOP:
            problems.append(f"the hop is at least {self.MIN_HOP:g} s (not {self.hop:g} s)")
        if problems:
            raise UsageError("Detection settings: " + "; ".join(problems) + ".")


@dataclass(frozen=True)
class Detection:
    label: str
    time: float  # the peak, seconds from the start
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class TruthEvent:
    label: str
    start: float
    end: float


@dataclass
class Score:
    events: int
    hits: int
    false_triggers: int
    hours: float
    missed: list[TruthEvent] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return self.hits / self.events if self.events else 0.0

    @property
    def false_triggers_per_hour(self) -> float:
        return self.false_triggers / self.hours if self.hours else 0.0

    def to_json(self) -> dict:
        return {
            "events": self.events, "hits": self.hits, "hit_rate": self.hit_rate,
            "false_triggers": self.false_triggers, "false_triggers_per_hour": self.false_triggers_per_hour,
            "missed": [vars(m).copy() for m in self.missed],
        }


def window_probabilities(predictor, wave: np.ndarray, hop_seconds: float | None = None,
                         progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """(window centre times [W], probabilities [W, C], window seconds); ``progress(windows done,
    windows)`` after each batch."""
    sr = predictor.sample_rate
    window = max(1, int(round(predictor.window_seconds * sr)))
    hop = max(1, int(round((hop_seconds or predictor.window_seconds / 4) * sr)))
    if wave.shape[0] < window:
        wave = np.pad(wave, (0, window - wave.shape[0]))
    starts = np.arange(0, wave.shape[0] - window + 1, hop)
    probs = []
    for i in range(0, len(starts), 64):
        batch = np.stack([wave[s : s + window] for s in starts[i : i + 64]]).astype(np.float32)
        probs.append(predictor.probabilities(batch))
        if progress is not None:
            progress(min(i + 64, len(starts)), len(starts))
    return (starts + window / 2) / sr, np.concatenate(probs), window / sr


@dataclass
class WindowScan:
    """Every window of a recording: centre times [W], class probabilities [W, C], loudness [W] (dBFS)."""
    times: np.ndarray
    probs: np.ndarray
    levels_db: np.ndarray
    window_seconds: float
    duration: float


def scan_file(predictor, path, hop_seconds: float | None = None, progress=None, cancelled=None) -> WindowScan:
    """window_probabilities over a file read and resampled a block at a time, so a recording of
    hours costs the memory of a block and its probabilities, never the whole waveform.
    ``progress(seconds done)``; ``cancelled()`` stops early (the windows so far are returned)."""
    sr = predictor.sample_rate
    window = max(1, int(round(predictor.window_seconds * sr)))
    hop = max(1, int(round((hop_seconds or predictor.window_seconds / 4) * sr)))
    buf = np.zeros(0, np.float32)
    offset = 0  # sample index of buf[0] in the recording
    next_start, total = 0, 0
    starts, frames, probs, levels = [], [], [], []

    def run_batch():
        if frames:
            batch = np.stack(frames).astype(np.float32)
            probs.append(predictor.probabilities(batch))
            levels.append(20 * np.log10(np.maximum(np.sqrt(np.mean(batch.astype(np.float64) ** 2, axis=1)), 1e-10)))
            frames.clear()

    for block in iter_audio(path, sr):
        total += block.shape[0]
        buf = np.concatenate([buf, block])
        while next_start + window <= offset + buf.shape[0]:
            frames.append(buf[next_start - offset: next_start - offset + window])
            starts.append(next_start)
            next_start += hop
            if len(frames) == 64:
                run_batch()
        drop = min(next_start - offset, buf.shape[0])
        buf, offset = buf[drop:], offset + drop
        if progress is not None:
            progress(total / sr)
        if cancelled is not None and cancelled():
            break
    centres = None
    if not starts:  # shorter than one window: padded, as window_probabilities does, when long enough to judge
        from core.predict.predictor import judge_clip

        if judge_clip(buf, sr, predictor.window_seconds, int(predictor.input_spec.get("min_samples", 0))) is None:
            frames.append(np.pad(buf, (0, max(0, window - buf.shape[0])))[:window])
            starts.append(0)
            centres = np.array([buf.shape[0] / 2])  # its middle, not the padded window's (past its end)
    run_batch()
    n_classes = len(predictor.labels)
    return WindowScan((centres if centres is not None else np.asarray(starts) + window / 2) / sr,
                      np.concatenate(probs) if probs else np.zeros((0, n_classes), np.float32),
                      np.concatenate(levels) if levels else np.zeros(0), window / sr, total / sr)


def smooth(probs: np.ndarray, k: int) -> np.ndarray:
    """Centred moving average over ``k`` windows (edges use the windows that exist)."""
    if k <= 1 or len(probs) == 0:
        return probs
    kernel = np.ones(k) / k
    start = (k - 1) // 2  # numpy's "same" is as long as the longer input: fewer windows than k broke it

    def centred(x: np.ndarray) -> np.ndarray:
        return np.convolve(x, kernel, mode="full")[start:start + len(x)]

    out = np.empty_like(probs)
    norm = centred(np.ones(len(probs)))
    for c in range(probs.shape[1]):
        out[:, c] = centred(probs[:, c]) / norm
    return out


def events_from(times, probs, labels, settings: DetectSettings, window_seconds: float) -> list[Detection]:
    ignore = {n.lower() for n in (settings.ignore or QUIET_CLASSES)}
    smoothed = smooth(probs, settings.smooth_windows)
    winner = smoothed.argmax(axis=1)
    best = smoothed.max(axis=1)
    detections: list[Detection] = []
    last_time: dict[str, float] = {}
    i = 0
    while i < len(times):
        c = int(winner[i])
        if best[i] < settings.threshold or labels[c].lower() in ignore:
            i += 1
            continue
        j = i
        while j + 1 < len(times) and winner[j + 1] == c and best[j + 1] >= settings.threshold:
            j += 1
        peak = i + int(np.argmax(best[i : j + 1]))
        t = float(times[peak])
        label = labels[c]
        if t - last_time.get(label, -np.inf) >= settings.refractory:
            half = window_seconds / 2
            detections.append(Detection(label, round(t, 3), round(float(times[i]) - half, 3),
                                        round(float(times[j]) + half, 3), float(best[peak])))
            last_time[label] = t
        i = j + 1
    return detections


def score(detections: list[Detection], truth: list[TruthEvent], duration: float, tolerance: float = 0.5) -> Score:
    """A hit: a detection of the right label within the event (± tolerance); each event counts
    once. Every other detection is a false trigger."""
    matched = [False] * len(truth)
    false = 0
    for d in detections:
        for k, ev in enumerate(truth):
            if not matched[k] and ev.label == d.label and ev.start - tolerance <= d.time <= ev.end + tolerance:
                matched[k] = True
                break
        else:
            false += 1
    missed = [ev for ev, m in zip(truth, matched) if not m]
    return Score(len(truth), sum(matched), false, duration / 3600.0, missed)


def read_truth(path: str | os.PathLike) -> list[TruthEvent]:
    """CSV rows label,start,end (seconds); a header row is optional."""
    out = []
    try:
        # a regular file of sensible size: /dev/zero or a FIFO here read (or waited) forever
        with open_regular(path, "listing") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
            for n, row in enumerate(csv.reader(fh), start=1):
                if not row or not "".join(row).strip():
                    continue
                try:
                    start, end = float(row[1]), float(row[2])
                    if not (math.isfinite(start) and math.isfinite(end) and 0 <= start <= end):
                        raise ValueError  # nan, or an event that ends before it starts
                    out.append(TruthEvent(row[0].strip(), start, end))
                except (ValueError, IndexError):
                    if n == 1:
                        continue  # header
                    raise TransferLabError(f"{path} line {n}: expected label,start,end in seconds "
                                           "(start no later than end).") from None
    except FileRefused as exc:
        raise TransferLabError(f"Cannot read the truth file {path}: {exc.reason}.") from None
    except OSError as exc:
        raise TransferLabError(f"Cannot read the truth file {path}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, csv.Error) as exc:  # not a text CSV: a sentence, not "unexpected error"
        reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise TransferLabError(f"Cannot read the truth file {path}: {reason}.") from None
    return out


@dataclass
class DetectionResult:
    path: str
    duration: float
    detections: list[Detection]
    score: Score | None = None
    sweep: list[dict] | None = None

    def to_json(self) -> dict:
        out = {"path": self.path, "duration": self.duration, "detections": [vars(d).copy() for d in self.detections]}
        if self.score is not None:
            out["score"] = self.score.to_json()
        if self.sweep is not None:
            out["sweep"] = self.sweep
        return out


def detect_file(predictor, path, settings: DetectSettings = DetectSettings(), truth: list[TruthEvent] | None = None,
                sweep_thresholds=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
                progress: Callable[[float, float], None] | None = None) -> DetectionResult:
    """Events in the recording at ``path``; ``progress(seconds done, seconds)`` as it is read."""
    if predictor.task != "audio":
        raise TransferLabError(f"Detection runs audio models over recordings; this model takes {predictor.task}s "
                               "(predict it with transferlab predict).")
    # progress in seconds of the recording (scan_file streams it, so the total comes from its header)
    try:
        total = audio_info(path).duration if progress is not None else None
        scan = scan_file(predictor, path, settings.hop,
                         progress=None if progress is None else lambda s: progress(s, total))
    except MediaError as exc:  # a broken recording is a sentence naming it, not "unexpected error"
        raise TransferLabError(f"{os.fspath(path)} cannot be read: {exc}.") from None
    duration, times, probs, window = scan.duration, scan.times, scan.probs, scan.window_seconds
    detections = events_from(times, probs, predictor.labels, settings, window)
    result = DetectionResult(os.fspath(path), round(duration, 3), detections)
    if truth is not None:
        result.score = score(detections, truth, duration)
        result.sweep = []
        for th in sweep_thresholds:
            s = score(events_from(times, probs, predictor.labels, _with(settings, threshold=th), window), truth, duration)
            result.sweep.append({"threshold": th, "hit_rate": s.hit_rate, "false_triggers": s.false_triggers,
                                 "false_triggers_per_hour": s.false_triggers_per_hour})
    return result


def _with(settings: DetectSettings, **changes) -> DetectSettings:
    return replace(settings, **changes)
