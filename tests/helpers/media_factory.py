"""Real media files made on the fly: Pillow-drawn images and numpy audio in many flavours."""

from __future__ import annotations

import io
import math
import random
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle")


def shape_image(shape: str, size: int = 64, seed: int = 0, color=None, bg=None) -> Image.Image:
    """A shape of random colour, size and position on a random background (for learnable data)."""
    rng = random.Random(seed)
    bg = bg or tuple(rng.randint(0, 255) for _ in range(3))
    im = Image.new("RGB", (size, size), bg)
    draw = ImageDraw.Draw(im)
    color = color or tuple((c + 128 + rng.randint(-40, 40)) % 256 for c in bg)
    r = rng.randint(size // 6, size // 3)
    cx, cy = rng.randint(r, size - r), rng.randint(r, size - r)
    if shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color)
    elif shape == "square":
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=color)
    else:
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=color)
    return im


def write_image(path: Path, im: Image.Image | None = None, fmt: str | None = None, **save) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (im or shape_image("circle", seed=hash(path.name) & 0xFFFF)).save(path, format=fmt, **save)
    return path


def tone(freq: float = 440.0, seconds: float = 0.5, sr: int = 16000, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * math.pi * freq * t)).astype(np.float32)


def write_audio(path: Path, wave: np.ndarray, sr: int, subtype: str | None = None, fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, wave, sr, subtype=subtype, format=fmt)
    return path


def exif_rotated_jpeg(path: Path) -> Path:
    """A 40x20 landscape raster stored with EXIF orientation 6 (display rotated 90° clockwise):
    decoded upright it must be 20 wide and 40 tall, with the red half at the top."""
    im = Image.new("RGB", (40, 20), (0, 0, 255))
    ImageDraw.Draw(im).rectangle([0, 0, 19, 19], fill=(255, 0, 0))  # left half red in storage
    exif = Image.Exif()
    exif[0x0112] = 6
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, format="JPEG", exif=exif.tobytes(), quality=95)
    return path


def make_messy_folder(root: Path) -> dict:
    """The folder a real person has: returns {'good': {relpath: label}, 'bad': {relpath: reason-substring},
    'duplicates': [relpath]} for an image project, and an 'audio' part for an audio project."""
    good: dict[str, str | None] = {}
    bad: dict[str, str] = {}
    dups: list[str] = []

    def add_good(rel: str, label, **kw):
        im = kw.pop("im", None) or shape_image("square", seed=len(good) + 1)
        write_image(root / rel, im, **kw)
        good[rel] = label

    add_good("cats/tabby 01.JPG", "cats", fmt="JPEG")
    add_good("cats/nested deeper/kitten.jpeg", "nested deeper", fmt="JPEG")
    add_good("dogs/Ünïcödé hund.png", "dogs", fmt="PNG")
    add_good("dogs/photo.BMP", "dogs", fmt="BMP")
    add_good("dogs/anim.gif", "dogs", im=shape_image("circle", seed=77).convert("P"), fmt="GIF")
    add_good("birds/bird.webp", "birds", fmt="WEBP")
    add_good("birds/scan.TIFF", "birds", fmt="TIFF")
    add_good("birds/cmyk.jpg", "birds", im=shape_image("triangle", seed=5).convert("CMYK"), fmt="JPEG")
    sixteen = Image.fromarray((np.linspace(0, 65535, 32 * 32).reshape(32, 32)).astype(np.uint16))
    add_good("birds/sixteen-bit.png", "birds", im=sixteen, fmt="PNG")
    pal = shape_image("circle", seed=9).convert("P", palette=Image.ADAPTIVE, colors=8)
    add_good("birds/palette-transparent.png", "birds", im=pal, fmt="PNG", transparency=0)
    exif_rotated_jpeg(root / "cats/rotated.jpg")
    good["cats/rotated.jpg"] = "cats"
    add_good("loose at top.png", None, fmt="PNG")

    # the same bytes as an earlier file, under another name
    (root / "dogs/copy of photo.bmp").write_bytes((root / "dogs/photo.BMP").read_bytes())
    dups.append("dogs/copy of photo.bmp")

    full = io.BytesIO()
    shape_image("circle", size=128, seed=3).save(full, format="JPEG", quality=90)
    (root / "cats/truncated.jpg").write_bytes(full.getvalue()[: len(full.getvalue()) // 2])
    bad["cats/truncated.jpg"] = "truncated"
    (root / "cats/empty.png").write_bytes(b"")
    bad["cats/empty.png"] = "empty file"
    (root / "dogs/notes.png").write_text("this is not a picture\n")
    bad["dogs/notes.png"] = "not a readable image"
    (root / "dogs/readme.txt").write_text("hello")
    bad["dogs/readme.txt"] = "unsupported file type"
    write_audio(root / "dogs/bark.wav", tone(300, 0.2), 16000)
    bad["dogs/bark.wav"] = "audio file"
    return {"good": good, "bad": bad, "duplicates": dups}


def make_messy_audio_folder(root: Path) -> dict:
    good: dict[str, str | None] = {}
    bad: dict[str, str] = {}
    write_audio(root / "yes/one.wav", tone(440, 0.5), 16000)
    good["yes/one.wav"] = "yes"
    stereo = np.stack([tone(500, 0.6, 44100), tone(700, 0.6, 44100)], axis=1)
    write_audio(root / "yes/stereo 44k.FLAC", stereo, 44100)
    good["yes/stereo 44k.FLAC"] = "yes"
    write_audio(root / "no/eight-bit.wav", tone(200, 0.4, 8000), 8000, subtype="PCM_U8")
    good["no/eight-bit.wav"] = "no"
    write_audio(root / "no/vorbis.ogg", tone(250, 0.5, 16000), 16000, fmt="OGG", subtype="VORBIS")
    good["no/vorbis.ogg"] = "no"
    write_audio(root / "no/mpeg.mp3", tone(350, 0.5, 16000), 16000, fmt="MP3", subtype="MPEG_LAYER_III")
    good["no/mpeg.mp3"] = "no"
    # a corrupt WAV: a valid RIFF header followed by garbage that is not audio
    (root / "no/corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(7)) * 3)
    bad["no/corrupt.wav"] = "not a readable audio file"
    (root / "no/empty.flac").write_bytes(b"")
    bad["no/empty.flac"] = "empty file"
    write_image(root / "no/picture.png", shape_image("circle"), fmt="PNG")
    bad["no/picture.png"] = "image file"
    return {"good": good, "bad": bad, "duplicates": []}
