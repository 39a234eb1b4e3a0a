"""Cut long recordings into samples: fixed windows, or the stretches where something is heard.

Activity detection is energy based: the recording is read block by block (constant memory, hours
of audio are fine), the loudness of every 10 ms frame is measured, and a threshold is set between
the recording's own noise floor and its loud parts, so it works for quiet rooms and noisy ones.
Frames above it, with short gaps bridged, become segments, padded on both sides.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass

import numpy as np

from core.errors import UsageError

METHODS = ("fixed", "activity")
MIN_LENGTH = 0.1  # seconds: a fixed segment's shortest length (as in the app's cut dialog)
MIN_HOP = 0.05  # seconds: the smallest step between fixed segments


@dataclass(frozen=True)
class SegmentSettings:
    method: str = "activity"
    length: float = 1.0  # fixed: window length (s)
    hop: float | None = None  # fixed: step between windows (s); None: the window length (no overlap)
    padding: float = 0.1  # activity: silence kept before and after each segment (s)
    min_silence: float = 0.15  # activity: gaps shorter than this do not split a segment (s)
    min_length: float = 0.08  # activity: shorter blips are dropped (s)
    max_length: float = 10.0  # activity: longer stretches are cut into pieces of this length (s)
    threshold_db: float | None = None  # activity: fixed threshold in dBFS; None: from the recording
    longer_than: float | None = None  # cut only recordings longer than this (s); shorter files stay whole

    def __post_init__(self):
        if self.method not in METHODS:
            raise UsageError(f"Segmenting method must be one of {', '.join(METHODS)}, not '{self.method}'.")
        if self.length <= 0 or (self.hop is not None and self.hop <= 0):
            raise UsageError("Segment length and hop must be positive numbers of seconds.")
        # the app's cut dialog stops at these; fixed:0.001 made 1,300 samples of a 1.3 s recording
        # (3.6 million of an hour), each too short for any model to judge
        if self.method == "fixed" and (self.length < MIN_LENGTH or (self.hop is not None and self.hop < MIN_HOP)):
            raise UsageError(f"Segments are at least {MIN_LENGTH:g} s long and at least {MIN_HOP:g} s apart "
                             f"(not {self.length:g} s{'' if self.hop is None else f' every {self.hop:g} s'}).")
        if self.padding < 0:
            raise UsageError(f"The padding around a segment cannot be negative (not {self.padding:g} s).")

    def cuts(self, duration: float) -> bool:
        """Whether a recording of ``duration`` seconds is cut (or kept as one whole sample)."""
        return self.longer_than is None or duration > self.longer_than

    @classmethod
    def parse(cls, text: str) -> "SegmentSettings":
        """``fixed:LEN[:HOP]`` or ``activity[:PADDING]`` (seconds), as typed on the command line."""
        parts = text.split(":")
        try:
            if parts[0] == "fixed":
                length = float(parts[1]) if len(parts) > 1 else 1.0
                hop = float(parts[2]) if len(parts) > 2 else None
                return cls(method="fixed", length=length, hop=hop)
            if parts[0] == "activity":
                return cls(method="activity", padding=float(parts[1]) if len(parts) > 1 else 0.1)
        except ValueError:
            pass
        raise UsageError(f"--segment takes fixed:LENGTH[:HOP] or activity[:PADDING] (seconds), not '{text}'.")

    def to_json(self) -> dict:
        return dict(vars(self))


def fixed_windows(duration: float, length: float, hop: float | None = None) -> list[tuple[float, float]]:
    """Windows of ``length`` every ``hop`` seconds; a last partial window is kept when it is at least
    half a window long (ending at the end of the recording). A short recording is one segment."""
    hop = hop or length
    if duration <= length:
        return [(0.0, round(duration, 6))] if duration > 0 else []
    out = []
    start = 0.0
    while start + length <= duration + 1e-9:
        out.append((round(start, 6), round(start + length, 6)))
        start += hop
    tail = duration - (out[-1][0] + hop) if out else duration
    if tail >= length / 2 and out[-1][1] < duration - 1e-9:
        out.append((round(max(0.0, duration - length), 6), round(duration, 6)))
    return out


def frame_levels_db(path: str | os.PathLike, frame_seconds: float = 0.01) -> tuple[np.ndarray, float, float]:
    """Loudness (dBFS) of consecutive frames, read in blocks. Returns (levels, frame_seconds, duration)."""
    import soundfile as sf

    with sf.SoundFile(os.fspath(path)) as f:
        rate = int(f.samplerate)
        frame = max(1, int(round(frame_seconds * rate)))
        levels = []
        carry = np.zeros(0, dtype=np.float32)
        for block in f.blocks(blocksize=frame * 1000, dtype="float32", always_2d=True):
            mono = np.concatenate([carry, block.mean(axis=1)])
            whole = (len(mono) // frame) * frame
            if whole:
                frames = mono[:whole].reshape(-1, frame)
                levels.append(np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)))
            carry = mono[whole:]
        if len(carry):
            levels.append(np.array([np.sqrt(np.mean(carry.astype(np.float64) ** 2))]))
        duration = f.frames / rate
    rms = np.concatenate(levels) if levels else np.zeros(0)
    return 20 * np.log10(np.maximum(rms, 1e-10)), frame / rate, duration


def activity_threshold(levels_db: np.ndarray) -> float:
    """Between the noise floor (10th percentile) and the loud parts (99th percentile), nearer the
    floor; at least 6 dB above it so steady noise never counts as activity."""
    floor = float(np.percentile(levels_db, 10))
    peak = float(np.percentile(levels_db, 99))
    return floor + max(6.0, 0.3 * (peak - floor))


def detect_activity(path: str | os.PathLike, settings: SegmentSettings = SegmentSettings()) -> list[tuple[float, float]]:
    levels, step, duration = frame_levels_db(path)
    if levels.size == 0:
        return []
    threshold = settings.threshold_db if settings.threshold_db is not None else activity_threshold(levels)
    active = levels > threshold
    # runs of active frames -> (start, end) in seconds
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs: list[list[float]] = []
    for s, e in zip(starts * step, ends * step):
        if runs and s - runs[-1][1] < settings.min_silence:
            runs[-1][1] = e  # a short pause inside a word or phrase
        else:
            runs.append([s, e])
    segments: list[tuple[float, float]] = []
    for s, e in runs:
        if e - s < settings.min_length:
            continue
        s, e = max(0.0, s - settings.padding), min(duration, e + settings.padding)
        while e - s > settings.max_length:
            segments.append((s, s + settings.max_length))
            s += settings.max_length
        segments.append((s, e))
    # padding can make neighbours overlap: keep them apart at the midpoint of the overlap
    for i in range(1, len(segments)):
        (ps, pe), (s, e) = segments[i - 1], segments[i]
        if s < pe:
            mid = (s + pe) / 2
            segments[i - 1], segments[i] = (ps, mid), (mid, e)
    return [(round(float(s), 4), round(float(e), 4)) for s, e in segments]


def segment_recording(path: str | os.PathLike, settings: SegmentSettings, duration: float) -> list[tuple[float, float]]:
    if settings.method == "fixed":
        return fixed_windows(duration, settings.length, settings.hop)
    return detect_activity(path, settings)


def segment_hash(recording_hash: str, start: float, end: float) -> str:
    """A segment's identity in project.db: its recording's content hash and its span."""
    return hashlib.sha256(f"{recording_hash}@{start:.4f}-{end:.4f}".encode()).hexdigest()


LONG_RECORDING = 5.0  # seconds: longer files are offered cutting when imported in the app


def find_long_recordings(paths, longer_than: float = LONG_RECORDING, budget_seconds: float = 1.5,
                         max_files: int = 20000) -> list[tuple[str, float]]:
    """(path, seconds) of the audio files among ``paths`` (files, or folders walked) longer than
    ``longer_than``, reading only headers. Stops after ``budget_seconds``: an import is not held up
    by looking; a recording not looked at is imported whole, as before."""
    import soundfile as sf

    from core.media import kind_of

    deadline = time.perf_counter() + budget_seconds
    found, seen = [], 0

    def files():
        for raw in paths:
            p = os.fspath(raw)
            if os.path.isdir(p):
                for dirpath, dirnames, filenames in os.walk(p):
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    for name in sorted(filenames):
                        yield os.path.join(dirpath, name)
            else:
                yield p

    for path in files():
        seen += 1
        if seen > max_files or time.perf_counter() > deadline:
            break
        if kind_of(path) != "audio":
            continue
        try:
            info = sf.info(path)
            seconds = info.frames / info.samplerate if info.samplerate else 0.0
        except Exception:  # noqa: BLE001 - the import itself names broken files with their reason
            continue
        if seconds > longer_than:
            found.append((path, round(seconds, 3)))
    return found
