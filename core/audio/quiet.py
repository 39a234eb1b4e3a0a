"""The quiet parts of recordings: material for a background class, and silence on the Play page.

A sound model with only word classes must call every stretch of a recording one of its words,
silence and room noise included; a background class taught from the recordings' own quiet parts
gives it somewhere else to put them (Google's Speech Commands has one for the same reason).
Quiet is judged against each recording's own levels (core.audio.segment's activity threshold),
so a noisy room's hum counts as its background.
"""

from __future__ import annotations

import os

import numpy as np

from core.audio.segment import activity_threshold, frame_levels_db

BACKGROUND = "background"
QUIET_CLASSES = ("background", "_background_noise_", "noise", "silence", "unknown", "other")
SILENT_DBFS = -55.0  # always silence, whatever the recording around it
MIN_RANGE_DB = 15.0  # a recording with less spread than this has no quiet parts to tell apart


def has_quiet_class(class_names) -> bool:
    return any(name.lower() in QUIET_CLASSES for name in class_names)


def quiet_threshold(levels_db: np.ndarray) -> float:
    """The level (dBFS) below which a stretch counts as quiet in this recording."""
    if levels_db.size == 0:
        return SILENT_DBFS
    floor, peak = float(np.percentile(levels_db, 10)), float(np.percentile(levels_db, 99))
    if peak - floor < MIN_RANGE_DB:
        return SILENT_DBFS  # evenly loud (or evenly quiet): only true silence is quiet
    return max(SILENT_DBFS, activity_threshold(levels_db))


def quiet_spans(path: str | os.PathLike, length: float, avoid=(), limit: int | None = None,
                margin: float = 0.1) -> list[tuple[float, float]]:
    """Spans of ``length`` seconds where nothing is heard in the recording at ``path``, clear of
    the ``avoid`` spans (its segments) by ``margin`` seconds, spread over the whole recording."""
    levels, step, duration = frame_levels_db(path)
    if levels.size == 0 or duration < length:
        return []
    quiet = levels < quiet_threshold(levels)
    blocked = np.zeros_like(quiet)
    for start, end in avoid:
        blocked[max(0, int((start - margin) / step)):int(np.ceil((end + margin) / step))] = True
    usable = quiet & ~blocked
    frames = max(1, int(round(length / step)))
    spans, i = [], 0
    # windows made only of usable frames, taken greedily from the start
    runs = np.convolve(usable.astype(np.int32), np.ones(frames, np.int32), mode="valid")
    while i < len(runs):
        if runs[i] == frames:
            spans.append((round(i * step, 4), round(min(i * step + length, duration), 4)))
            i += frames
        else:
            i += 1
    if limit is not None and len(spans) > limit:
        pick = np.linspace(0, len(spans) - 1, limit).round().astype(int)  # spread, not the first few
        spans = [spans[k] for k in sorted(set(pick))]
    return spans


def add_background_class(project, length: float | None = None, limit: int | None = None,
                         name: str = BACKGROUND) -> list[int]:
    """Cut the quiet parts of the project's recordings into samples labelled ``name`` (the class
    is made if new): clips of ``length`` seconds (the labelled samples' median length when None),
    at most ``limit`` (the largest class's count when None, at least 10), spread over the recordings,
    never overlapping a segment already cut. Returns the new sample ids."""
    recordings = project.recordings()
    if not recordings:
        return []
    durations = [s.duration for s in project.samples(kind="audio") if s.label and s.duration]
    if length is None:
        length = float(np.clip(np.median(durations), 0.5, 2.0)) if durations else 1.0
    if limit is None:
        counts = [c.count for c in project.classes()]
        limit = max(10, max(counts, default=0))
    per_recording = max(1, int(np.ceil(limit / len(recordings))))
    added: list[int] = []
    for rec in recordings:
        if len(added) >= limit:
            break
        avoid = [(s.start, s.end) for s in project.segments_of(rec.hash)]
        spans = quiet_spans(project.root / rec.media_path, length, avoid, limit=min(per_recording, limit - len(added)))
        if spans:
            added += project.add_segments(rec.hash, spans, name)
    return added
