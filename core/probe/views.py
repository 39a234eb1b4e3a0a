"""Extra views of the labelled pictures and sounds a probe learns from.

A handful of labelled pictures a class leaves a linear probe guessing which differences matter. A
few mildly altered copies of each (a crop of 75-100% of the picture, a turn of up to 10 degrees,
a little more or less light and contrast; never a mirror image, which turns a b into a d) teach it
what does not: measured in the transfer-quality suite, two such views per picture gained 2-13
points over the same probe without them (bench/bench_transfer_suite.py, README). Each view is
fixed by the picture's content hash and its number, so its embedding is cached like the picture's.
"""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image, ImageEnhance


VIEWS_BELOW = 50  # samples in the smallest class from which a probe learns from the samples alone
PICTURE_VIEWS = 2  # altered views a labelled picture, unless asked otherwise
# Sounds: 8 shifted views a clip against 2 gained +1.3 points on average over the suite's four sound
# tasks at 5 and 20 a class (24 draws, 21 better or the same, worst -1.0; words in noise at 5 a class
# +3.7); 16 gained no more (+1.0) in twice the time, and 4 views a picture lost (textures -1.1 and -0.3).
SOUND_VIEWS = 8
VIEW_ROWS = 2000  # sounds: fewer views where samples and views would exceed this many rows to solve on
# Learning from unlabelled samples (core.probe.semi) takes each sample's first two views at most: its
# methods and rule were chosen and measured with two, and against a labelled head of eight views the
# rule forwent a gain (words in noise, suite seed 9: one more of 25 right in the folds, 37.5% on the
# test files against 57.0% with class clusters as chosen with two views).
UNLABELLED_VIEWS = 2


def view_numbers(view_of: np.ndarray) -> np.ndarray:
    """Each view row's place (1, 2, ...) among its sample's view rows, from the sample each row is a
    view of, the rows in view order (all first views, then the second ones: make_sources' order); a
    view missing from the cache moves the later ones up."""
    seen: dict[int, int] = {}
    out = np.empty(len(view_of), dtype=np.int64)
    for i, k in enumerate(np.asarray(view_of).tolist()):
        seen[k] = out[i] = seen.get(k, 0) + 1
    return out


def views_for(modality: str, asked: int | None, samples: int) -> int:
    """How many altered views of each of ``samples`` labelled samples a probe learns from: ``asked``
    where given (TrainConfig.probe_views), else 2 a picture and for sounds 8, or as many as keep the
    rows within VIEW_ROWS (at least 2)."""
    if modality not in ("image", "audio"):
        return 0
    if asked is not None:
        return asked
    if modality == "image":
        return PICTURE_VIEWS
    return max(PICTURE_VIEWS, min(SOUND_VIEWS, VIEW_ROWS // max(samples, 1) - 1))


def view_key(content_hash: str, view: int) -> str:
    """The embedding-cache key of a view (the picture itself is view 0, keyed by its hash)."""
    return content_hash if view == 0 else f"{content_hash}#view{view}"


def _rng(content_hash: str, view: int) -> np.random.Generator:
    seed = int.from_bytes(hashlib.blake2b(f"{content_hash}:{view}".encode(), digest_size=8).digest(), "little")
    return np.random.default_rng(seed)


SHIFT_SECONDS = 0.15


def shifted(wave: np.ndarray, content_hash: str, view: int, sample_rate: int) -> np.ndarray:
    """View ``view`` of a sound: the same length, moved by up to SHIFT_SECONDS (at most a fifth of
    the clip) either way, silence coming in at the edge it leaves. Where a word starts in its clip is not what it is: measured,
    two such views a clip gained 1-10 points on spoken words with unseen voices, and on words in
    noise (bench/bench_transfer_suite.py, README)."""
    wave = np.asarray(wave, dtype=np.float32)
    most = min(int(SHIFT_SECONDS * sample_rate), len(wave) // 5)
    shift = int(_rng(content_hash, view).integers(-most, most + 1))
    out = np.zeros_like(wave)
    if shift >= 0:
        out[shift:] = wave[:len(wave) - shift]
    else:
        out[:shift] = wave[-shift:]
    return out


def altered(image: Image.Image, content_hash: str, view: int, smallest_crop: float = 0.75) -> Image.Image:
    """View ``view`` (1, 2, ...) of a picture: always the same for the same picture and number.
    ``smallest_crop``: the least share of each side a crop keeps (a milder 0.9 lost on average,
    bench/small_data_lab.py)."""
    rng = _rng(content_hash, view)
    w, h = image.size
    s = float(rng.uniform(smallest_crop, 1.0))
    cw, ch = max(8, int(round(w * s))), max(8, int(round(h * s)))
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    image = image.crop((x0, y0, x0 + cw, y0 + ch)).resize((w, h), Image.BILINEAR)
    image = image.rotate(float(rng.uniform(-10, 10)), resample=Image.BILINEAR, fillcolor=image.getpixel((0, 0)))
    image = ImageEnhance.Brightness(image).enhance(float(rng.uniform(0.8, 1.2)))
    return ImageEnhance.Contrast(image).enhance(float(rng.uniform(0.8, 1.2)))
