"""Short WAV files of one time span of a recording, for listening to a segment.

A media player that seeks into the whole recording and stops "at the end" overshoots by a
position-report interval (about 60 ms in QtMultimedia), so the next segment's first syllable is
heard; a clip of exactly the span is heard exactly. Clips are made once into the project's cache/
(always safe to delete) and named by content, so a re-cut recording never plays a stale clip.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from core.atomic import atomic_write_bytes
from core.media import read_audio


def write_clip(source: str | os.PathLike, start: float, end: float, dest: str | os.PathLike) -> Path:
    """``source`` from ``start`` to ``end`` seconds as a 16-bit mono WAV at its own rate (atomic).
    Raises core.media.MediaError when the recording cannot be read."""
    import soundfile as sf

    from core.media import audio_info

    rate = audio_info(source).sample_rate
    wave = read_audio(source, start=start, end=end)
    buffer = io.BytesIO()
    sf.write(buffer, wave, rate, format="WAV", subtype="PCM_16")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(dest, buffer.getvalue(), fsync=False)  # a cache file: remade if lost
    return dest


def clip_name(source_key: str, start: float, end: float) -> str:
    return hashlib.sha256(f"{source_key}@{start:.4f}-{end:.4f}".encode()).hexdigest()[:32] + ".wav"


def playable_path(project, sample) -> tuple[Path, float]:
    """(the file to play, the time in the recording where it starts): the media file itself for a
    whole file, a clip of the span in cache/clips/ for a segment of a long recording."""
    path = project.path_of(sample)
    if not sample.is_segment:
        return path, 0.0
    start, end = float(sample.start or 0.0), float(sample.end or 0.0)
    clip = Path(project.cache_dir) / "clips" / clip_name(sample.source_hash or sample.hash, start, end)
    if not clip.exists():
        write_clip(path, start, end, clip)
    return clip, start
