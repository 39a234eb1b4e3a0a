"""Extra views of the labelled pictures a probe learns from.

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


def view_key(content_hash: str, view: int) -> str:
    """The embedding-cache key of a view (the picture itself is view 0, keyed by its hash)."""
    return content_hash if view == 0 else f"{content_hash}#view{view}"


def altered(image: Image.Image, content_hash: str, view: int) -> Image.Image:
    """View ``view`` (1, 2, ...) of a picture: always the same for the same picture and number."""
    seed = int.from_bytes(hashlib.blake2b(f"{content_hash}:{view}".encode(), digest_size=8).digest(), "little")
    rng = np.random.default_rng(seed)
    w, h = image.size
    s = float(rng.uniform(0.75, 1.0))
    cw, ch = max(8, int(round(w * s))), max(8, int(round(h * s)))
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    image = image.crop((x0, y0, x0 + cw, y0 + ch)).resize((w, h), Image.BILINEAR)
    image = image.rotate(float(rng.uniform(-10, 10)), resample=Image.BILINEAR, fillcolor=image.getpixel((0, 0)))
    image = ImageEnhance.Brightness(image).enhance(float(rng.uniform(0.8, 1.2)))
    return ImageEnhance.Contrast(image).enhance(float(rng.uniform(0.8, 1.2)))
