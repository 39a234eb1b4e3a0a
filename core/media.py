"""Decoding of media files: images to upright RGB, audio to float32 mono at a chosen rate.

Only Pillow, numpy, soundfile and soxr are used here so that prediction can run without torch. Pictures
are decoded in core.image_decode (re-exported here: large ones come back at reduced scale); files
are opened through core.safe_files, so only regular files within a size limit are ever read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import MediaError
from core.image_decode import (  # noqa: F401 - the image half of core.media lives there
    MAX_DECODED_PIXELS, MAX_PIXELS, ImageInfo, decode_image, open_image, to_rgb, validate_image,
)
from core.safe_files import FileRefused, open_regular

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".mp3"})
TEXT_EXTENSIONS = frozenset({".txt", ".text"})  # one sample per file (listings: core.text.listing)


def kind_of(path: str | os.PathLike) -> str | None:
    """'image', 'audio', 'text' or None, from the file extension (case-insensitive)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext in IMAGE_EXTENSIONS:
        return "image"
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    if ext in TEXT_EXTENSIONS:
        return "text"
    return None


# ---------------------------------------------------------------- audio


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def _checked(path: str | os.PathLike) -> str:
    """The path, once it is known to be a non-empty regular file within the recording size limit
    that this process may read (libsndfile would block on a named pipe, read /dev/zero forever and
    call a permission problem a 'System error')."""
    try:
        with open_regular(path, "audio") as fh:
            empty = os.fstat(fh.fileno()).st_size == 0
    except FileRefused as exc:
        raise MediaError(exc.reason) from None
    if empty:
        raise MediaError("empty file (0 bytes)")
    return os.fspath(path)


def audio_info(path: str | os.PathLike) -> AudioInfo:
    import soundfile as sf

    path = _checked(path)
    try:
        info = sf.info(path)
    except Exception as exc:
        raise MediaError(f"not a readable audio file ({_sf_reason(exc)})") from None
    return AudioInfo(int(info.samplerate), int(info.channels), int(info.frames))


NOT_FINITE = ("the recording holds samples that are not numbers (NaN or infinity), which no model can judge "
              "(a floating-point file written by a faulty program)")


def _check_finite(samples: np.ndarray) -> None:
    """A float WAV/FLAC can hold NaN or infinity; one such sample makes every feature and every
    probability NaN (predict answered 'high (nan%)', training learnt from garbage)."""
    if samples.size and not np.isfinite(samples).all():
        raise MediaError(NOT_FINITE)


def validate_audio(path: str | os.PathLike, block_frames: int = 1 << 18) -> AudioInfo:
    """Decode the whole file block by block (constant memory); raise MediaError if it is broken."""
    import soundfile as sf

    path = _checked(path)
    try:
        with sf.SoundFile(path) as f:
            sample_rate, channels, declared = int(f.samplerate), int(f.channels), int(f.frames)
            if sample_rate <= 0 or channels <= 0:
                raise MediaError("audio header is invalid (no sample rate or channels)")
            frames = 0
            for block in f.blocks(blocksize=block_frames, dtype="float32", always_2d=True):
                if block.shape[0] == 0:
                    break  # a header declaring more than the file holds: the rest is missing
                _check_finite(block)
                frames += block.shape[0]
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"not a readable audio file ({_sf_reason(exc)})") from None
    if frames == 0:
        raise MediaError("audio file holds no samples")
    if declared > 0 and frames < declared * 0.98:
        raise MediaError(f"audio data is truncated ({frames} of {declared} frames readable)")
    check_wav_length(path)
    return AudioInfo(sample_rate, channels, frames)


def check_wav_length(path: str) -> None:
    """libsndfile quietly shortens a WAV whose data chunk promises more bytes than the file holds
    (a copy cut short); the RIFF header says how long it should be. Reads the chunk headers only."""
    import struct

    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        for _ in range(64):  # a few chunks (fmt, fact, LIST) come before the data
            chunk = fh.read(8)
            if len(chunk) < 8:
                return
            size = struct.unpack("<I", chunk[4:])[0]
            if chunk[:4] == b"data":
                have = os.fstat(fh.fileno()).st_size - fh.tell()
                if 0 < size < 0xFFFFFFFF and have < size * 0.98:  # 0 and 0xFFFFFFFF: written while streaming
                    raise MediaError(f"audio data is truncated ({have:,} of {size:,} bytes of samples present)")
                return
            fh.seek(size + (size & 1), os.SEEK_CUR)


# A header's frame count is believed (one read into one array) while it is plausible for the file's
# size; beyond that, a damaged or hostile header could ask for gigabytes, so the file is read in blocks
# and only what is really there is kept.
_PLAUSIBLE_EXPANSION = 32  # decoded float32 bytes per file byte (FLAC of near silence reaches ~20)


def _read_frames(f, count: int, size_bytes: int) -> np.ndarray:
    """Up to ``count`` frames (-1: to the end) from an open SoundFile, mixed to mono."""
    wanted = f.frames - f.tell() if count < 0 else count
    if wanted * f.channels * 4 <= max(64 * 1024 * 1024, _PLAUSIBLE_EXPANSION * size_bytes):
        data = f.read(frames=count, dtype="float32", always_2d=True)
        return data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    parts, remaining = [], count
    while remaining != 0:
        block = f.read(frames=1 << 16 if remaining < 0 else min(1 << 16, remaining), dtype="float32", always_2d=True)
        if block.shape[0] == 0:
            break
        parts.append(block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0].copy())
        remaining = remaining - block.shape[0] if remaining > 0 else remaining
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def read_audio(
    path: str | os.PathLike,
    sample_rate: int | None = None,
    *,
    start: float | None = None,
    end: float | None = None,
) -> np.ndarray:
    """float32 mono waveform in [-1, 1], resampled to ``sample_rate`` when given.

    ``start``/``end`` (seconds) read only part of the file, for segments of long recordings.
    """
    import soundfile as sf

    path = _checked(path)
    try:
        size_bytes = os.path.getsize(path)
        with sf.SoundFile(path) as f:
            sr = int(f.samplerate)
            first = int(round((start or 0.0) * sr))
            last = int(round(end * sr)) if end is not None else -1
            if first:
                f.seek(min(first, f.frames))
            count = -1 if last < 0 else max(last - first, 0)
            wave = _read_frames(f, count, size_bytes)
    except Exception as exc:
        raise MediaError(f"not a readable audio file ({_sf_reason(exc)})") from None
    _check_finite(wave)
    if sample_rate and sample_rate != sr:
        wave = resample(wave, sr, sample_rate)
    return np.ascontiguousarray(wave, dtype=np.float32)


def resample(wave: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited resampling with libsoxr (the soxr package, "HQ" quality).

    It replaced a hand-written FFT resampler that transformed the whole recording at once: on a
    10-minute 44.1 kHz file to 16 kHz soxr is about 10x faster and needs a fraction of the memory
    (bench/bench_resample.py), and it has no wrap-around ringing at the ends of a clip."""
    if src_rate == dst_rate or wave.size == 0:
        return wave.astype(np.float32, copy=False)
    import soxr

    out = soxr.resample(np.ascontiguousarray(wave, dtype=np.float32), int(src_rate), int(dst_rate), quality="HQ")
    n_out = max(1, int(round(wave.shape[0] * dst_rate / src_rate)))
    if out.shape[0] != n_out:  # soxr rounds the last partial sample its own way: keep lengths exact
        out = out[:n_out] if out.shape[0] > n_out else np.pad(out, (0, n_out - out.shape[0]))
    return np.ascontiguousarray(out, dtype=np.float32)


def iter_audio(path: str | os.PathLike, sample_rate: int | None = None, block_seconds: float = 10.0):
    """A recording as consecutive float32 mono blocks at ``sample_rate`` (its own rate when None),
    read and resampled a block at a time: an hour of audio costs the memory of one block.
    Raises MediaError when the file cannot be read (or is not a regular file, core.safe_files)."""
    import soundfile as sf

    path = _checked(path)
    try:
        f = sf.SoundFile(path)
    except Exception as exc:
        raise MediaError(f"not a readable audio file ({_sf_reason(exc)})") from None
    with f:
        rate = int(f.samplerate)
        stream = None
        if sample_rate and sample_rate != rate:
            import soxr

            stream = soxr.ResampleStream(rate, int(sample_rate), 1, dtype="float32", quality="HQ")
        block = max(1, int(block_seconds * rate))
        try:
            while True:
                data = f.read(frames=block, dtype="float32", always_2d=True)
                last = data.shape[0] < block
                _check_finite(data)
                mono = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
                out = stream.resample_chunk(np.ascontiguousarray(mono), last=last) if stream is not None else mono
                if out.size:
                    yield np.ascontiguousarray(out, dtype=np.float32)
                if last:
                    return
        except MediaError:
            raise
        except Exception as exc:
            raise MediaError(f"not a readable audio file ({_sf_reason(exc)})") from None


def _sf_reason(exc: Exception) -> str:
    msg = str(exc).strip() or type(exc).__name__
    # libsndfile prefixes messages with the path; the caller already names the file.
    if "Error opening" in msg and ":" in msg:
        msg = msg.rsplit(":", 1)[-1].strip()
    return msg


def media_suffix(path: str | os.PathLike) -> str:
    """Normalised extension used for the content-addressed copy in media/."""
    ext = Path(path).suffix.lower()
    return {".jpeg": ".jpg", ".jpe": ".jpg", ".tiff": ".tif", ".oga": ".ogg"}.get(ext, ext)


def fit_length(wave: np.ndarray, n: int) -> np.ndarray:
    """The centre ``n`` samples of a clip, zero-padded on both sides when it is shorter.

    Training cuts every clip to one length this way, and prediction does the same, so a model sees
    the same kind of input in both."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.shape[0] >= n:
        start = (wave.shape[0] - n) // 2
        return np.ascontiguousarray(wave[start : start + n])
    out = np.zeros(n, dtype=np.float32)
    start = -((wave.shape[0] - n) // 2)  # the same centre as the log-mel front end's in-graph cut
    out[start : start + wave.shape[0]] = wave
    return out
