"""Decoding of media files: images to upright RGB, audio to float32 mono at a chosen rate.

Only Pillow, numpy, soundfile and soxr are used here so that prediction can run without torch.
"""

from __future__ import annotations

import io
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".mp3"})


def kind_of(path: str | os.PathLike) -> str | None:
    """'image', 'audio' or None, from the file extension (case-insensitive)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext in IMAGE_EXTENSIONS:
        return "image"
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    return None


class MediaError(Exception):
    """A file that cannot be decoded; the message says why in words."""


# ---------------------------------------------------------------- images


def to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB, upright according to EXIF orientation."""
    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # a broken EXIF block should not make a good picture unusable
        pass
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # Pillow's convert() clips 16-bit values at 255; scale to 8 bits instead.
        arr = np.asarray(im, dtype=np.uint32)
        top = 65535 if im.mode != "I" or arr.max(initial=0) > 255 else 255
        arr8 = (arr * 255 // max(top, 1)).clip(0, 255).astype(np.uint8)
        return Image.fromarray(arr8, mode="L").convert("RGB")
    if im.mode == "F":
        arr = np.asarray(im, dtype=np.float32)
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        arr8 = ((arr - lo) / (hi - lo if hi > lo else 1.0) * 255).astype(np.uint8)
        return Image.fromarray(arr8, mode="L").convert("RGB")
    if im.mode == "P" and "transparency" in im.info or im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")


@contextmanager
def _pillow_errors():
    """Pillow's many exception types -> one MediaError with the reason in words."""
    try:
        yield
    except Image.DecompressionBombError as exc:
        raise MediaError(f"image is too large to decode safely ({exc})") from None
    except Image.UnidentifiedImageError:
        raise MediaError("not a readable image (the content is not a known image format)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        msg = str(exc) or type(exc).__name__
        if "truncated" in msg:
            raise MediaError(f"image data is truncated ({msg})") from None
        raise MediaError(f"image data is corrupt ({msg})") from None


def open_image(source: str | os.PathLike | bytes) -> Image.Image:
    """Open and fully decode an image (first frame of an animation). Raises MediaError."""
    fp = io.BytesIO(source) if isinstance(source, (bytes, bytearray, memoryview)) else source
    with _pillow_errors(), Image.open(fp) as im:
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)
        im.load()
        return to_rgb(im)


_FORMAT_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "BMP": ".bmp", "WEBP": ".webp", "TIFF": ".tif", "MPO": ".jpg"}


@dataclass(frozen=True)
class ImageInfo:
    width: int  # after EXIF orientation
    height: int
    format: str
    suffix: str  # extension matching the actual content


def validate_image(data: bytes) -> ImageInfo:
    """Fully decode image bytes (first frame) without converting; raise MediaError when broken."""
    with _pillow_errors(), Image.open(io.BytesIO(data)) as im:
        fmt = im.format or ""
        width, height = im.size
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)
        if fmt == "JPEG":
            # Decoding at 1/8 scale still reads the whole entropy-coded stream, so truncation
            # and corruption are caught, at a fraction of the cost of a full-size decode.
            im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        im.load()
        orientation = im.getexif().get(0x0112, 1) if hasattr(im, "getexif") else 1
    if width <= 0 or height <= 0:
        raise MediaError("image has no pixels")
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(width, height, fmt, _FORMAT_SUFFIX.get(fmt, "." + fmt.lower() if fmt else ".img"))


def decode_image(path: str | os.PathLike) -> Image.Image:
    """An upright RGB image from a file. Raises MediaError with the reason."""
    return open_image(path)


# ---------------------------------------------------------------- audio


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def audio_info(path: str | os.PathLike) -> AudioInfo:
    import soundfile as sf

    try:
        info = sf.info(os.fspath(path))
    except Exception as exc:
        raise MediaError(f"not a readable audio file ({_sf_reason(exc)})") from None
    return AudioInfo(int(info.samplerate), int(info.channels), int(info.frames))


def validate_audio(path: str | os.PathLike, block_frames: int = 1 << 18) -> AudioInfo:
    """Decode the whole file block by block (constant memory); raise MediaError if it is broken."""
    import soundfile as sf

    try:
        with sf.SoundFile(os.fspath(path)) as f:
            sample_rate, channels, declared = int(f.samplerate), int(f.channels), int(f.frames)
            if sample_rate <= 0 or channels <= 0:
                raise MediaError("audio header is invalid (no sample rate or channels)")
            frames = 0
            for block in f.blocks(blocksize=block_frames, dtype="float32", always_2d=True):
                frames += block.shape[0]
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"not a readable audio file ({_sf_reason(exc)})") from None
    if frames == 0:
        raise MediaError("audio file holds no samples")
    if declared > 0 and frames < declared * 0.98:
        raise MediaError(f"audio data is truncated ({frames} of {declared} frames readable)")
    return AudioInfo(sample_rate, channels, frames)


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

    try:
        with sf.SoundFile(os.fspath(path)) as f:
            sr = int(f.samplerate)
            first = int(round((start or 0.0) * sr))
            last = int(round(end * sr)) if end is not None else -1
            if first:
                f.seek(min(first, f.frames))
            count = -1 if last < 0 else max(last - first, 0)
            data = f.read(frames=count, dtype="float32", always_2d=True)
    except Exception as exc:
        raise MediaError(f"not a readable audio file ({_sf_reason(exc)})") from None
    wave = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
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
    Raises MediaError when the file cannot be read."""
    import soundfile as sf

    try:
        f = sf.SoundFile(os.fspath(path))
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
    start = (n - wave.shape[0]) // 2
    out[start : start + wave.shape[0]] = wave
    return out
