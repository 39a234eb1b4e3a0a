"""Making one thumbnail (no Qt): a small upright image, or a waveform picture for audio.

Files live in ``<project>/cache/thumbnails/`` named by content hash and size, so a thumbnail is
made once per file and size, survives restarts, and is always safe to delete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from core.media import read_audio, to_rgb

WAVE_COLOR = (91, 140, 255, 255)  # the accent blue: readable on the light and the dark card
AUDIO_SECONDS = 30.0  # a thumbnail shows the start of long recordings


def cache_path(cache_dir: Path, sample_hash: str, kind: str, size: int) -> Path:
    # Waveforms have a transparent background and thin lines: lossless WebP keeps them crisp.
    suffix = "jpg" if kind == "image" else "webp"
    return cache_dir / sample_hash[:2] / f"{sample_hash}_{size}.{suffix}"


def image_thumbnail(path: str | os.PathLike, size: int) -> Image.Image:
    with Image.open(path) as im:
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)
        im.draft("RGB", (size, size))  # JPEG decodes at 1/2..1/8 scale: most of the speed
        im.load()
        rgb = to_rgb(im)
    rgb.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return rgb


def waveform_thumbnail(path: str | os.PathLike, size: int) -> Image.Image:
    wave = read_audio(path, end=AUDIO_SECONDS)
    width, height = size, max(size * 5 // 8, 8)
    lows, highs = envelope(wave, width)
    peak = max(float(np.abs(wave).max(initial=0.0)), 1e-6)
    im = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    mid = (height - 1) / 2
    scale = (height / 2 - 2) / peak
    draw.line([(0, mid), (width, mid)], fill=WAVE_COLOR[:3] + (90,))
    for x, (lo, hi) in enumerate(zip(lows, highs)):
        draw.line([(x, mid - hi * scale), (x, mid - lo * scale)], fill=WAVE_COLOR)
    return im


def envelope(wave: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of the waveform per column (what a waveform view draws)."""
    columns = max(int(columns), 1)
    if wave.size == 0:
        return np.zeros(columns, np.float32), np.zeros(columns, np.float32)
    edges = np.linspace(0, wave.size, columns + 1).astype(np.int64)
    edges[1:] = np.maximum(edges[1:], edges[:-1] + 1)
    edges = np.minimum(edges, wave.size)
    starts = np.minimum(edges[:-1], wave.size - 1)
    lows = np.minimum.reduceat(wave, starts)
    highs = np.maximum.reduceat(wave, starts)
    return lows.astype(np.float32), highs.astype(np.float32)


TEXT_INK = (60, 64, 72, 255)
TEXT_CARD = (246, 247, 249, 255)


def text_thumbnail(path: str | os.PathLike, size: int) -> Image.Image:
    """The first lines of a text on a light card, the width of a thumbnail (the gallery's cells
    show pictures; a text's opening words are what tells one from another at a glance)."""
    from PIL import ImageFont

    from core.text.decode import read_text_file

    words = " ".join(read_text_file(path)[:2000].split())
    width, height = size, max(size * 5 // 8, 8)
    im = Image.new("RGBA", (width, height), TEXT_CARD)
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=max(9, size // 11))
    line_height = int(font.size * 1.25) if hasattr(font, "size") else 12
    y, rest = 4, words
    while rest and y + line_height <= height - 2:
        cut = len(rest)
        while cut > 1 and draw.textlength(rest[:cut], font=font) > width - 8:
            cut = rest.rfind(" ", 0, cut - 1) if " " in rest[: cut - 1] else cut - 1
        draw.text((4, y), rest[:cut], fill=TEXT_INK, font=font)
        rest, y = rest[cut:].lstrip(), y + line_height
    return im


def make_thumbnail(media: str | os.PathLike, kind: str, size: int, target: Path) -> Image.Image:
    """Render and store atomically (a killed process never leaves half a file); return the image."""
    render = {"image": image_thumbnail, "text": text_thumbnail}.get(kind, waveform_thumbnail)
    im = render(media, size)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            if kind == "image":
                im.save(fh, format="JPEG", quality=85)
            else:
                im.save(fh, format="WEBP", lossless=True)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return im
