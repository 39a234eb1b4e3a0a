"""Image tasks of the transfer-quality suite.

Each ``draw_*`` returns ``(classes, draw)`` where ``draw(k, rng, split)`` makes one picture of class
``k`` (``split``: "pool" or "test", for tasks whose test set comes from elsewhere: other regions of a
photo, other samples of a real data set, another domain). Real data comes from packages that ship
it (scikit-learn's handwritten digits, scikit-image's photos and textures); the rest is drawn.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# ------------------------------------------------------------------ helpers


def _background(rng, size, kind=None):
    """A flat colour, a gradient or smooth noise."""
    kind = kind or rng.choice(["flat", "gradient", "noise"])
    c1 = rng.integers(0, 256, 3)
    if kind == "flat":
        return Image.new("RGB", (size, size), tuple(int(v) for v in c1))
    if kind == "gradient":
        c2 = rng.integers(0, 256, 3)
        t = np.linspace(0, 1, size)[:, None, None]
        arr = (c1 * (1 - t) + c2 * t) * np.ones((1, size, 1))
        if rng.random() < 0.5:
            arr = arr.transpose(1, 0, 2)
        return Image.fromarray(arr.astype(np.uint8))
    small = (0.5 * c1 + 0.5 * rng.integers(0, 256, (4, 4, 3))).astype(np.uint8)  # blotches around one colour
    return Image.fromarray(small).resize((size, size), Image.BICUBIC)


def _contrast_colour(rng, bg_mean, margin=180):
    """A colour that differs from the background's mean enough to be seen."""
    for _ in range(40):
        c = rng.integers(0, 256, 3)
        if np.abs(c - bg_mean).sum() > margin:
            return tuple(int(v) for v in c)
    return tuple(int(255 - v) for v in bg_mean)


def _noise(img, rng, sigma):
    arr = np.asarray(img, dtype=np.float32)
    arr = arr + rng.normal(0, sigma, arr.shape)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def _polygon(cx, cy, r, n, rot, star=False):
    pts = []
    for i in range(n * (2 if star else 1)):
        a = rot + i * math.pi / (n if star else n / 2)
        rr = r * (0.45 if star and i % 2 else 1.0)
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def _shape(draw, kind, cx, cy, r, rot, fill=None, outline=None, width=1):
    if kind == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill, outline=outline, width=width)
    elif kind == "square":
        draw.polygon(_polygon(cx, cy, r * 1.2, 4, rot + math.pi / 4), fill=fill, outline=outline, width=width)
    elif kind == "triangle":
        draw.polygon(_polygon(cx, cy, r * 1.2, 3, rot), fill=fill, outline=outline, width=width)
    elif kind == "star":
        draw.polygon(_polygon(cx, cy, r * 1.25, 5, rot, star=True), fill=fill, outline=outline, width=width)
    elif kind == "hexagon":
        draw.polygon(_polygon(cx, cy, r * 1.1, 6, rot), fill=fill, outline=outline, width=width)
    elif kind == "cross":
        w = r * 0.35
        pts = [(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w), (-r, w), (-r, -w), (-w, -w)]
        c, s = math.cos(rot), math.sin(rot)
        draw.polygon([(cx + x * c - y * s, cy + x * s + y * c) for x, y in pts], fill=fill, outline=outline, width=width)
    elif kind == "crescent":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill, outline=outline, width=width)
        off = r * 0.5
        ox, oy = cx + off * math.cos(rot), cy + off * math.sin(rot)
        draw.ellipse([ox - r * 0.85, oy - r * 0.85, ox + r * 0.85, oy + r * 0.85], fill=draw._bg)
    elif kind == "arrow":
        pts = [(-r, -0.25 * r), (0.2 * r, -0.25 * r), (0.2 * r, -0.6 * r), (r, 0), (0.2 * r, 0.6 * r),
               (0.2 * r, 0.25 * r), (-r, 0.25 * r)]
        c, s = math.cos(rot), math.sin(rot)
        draw.polygon([(cx + x * c - y * s, cy + x * s + y * c) for x, y in pts], fill=fill, outline=outline, width=width)
    elif kind == "ring":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=fill or outline, width=max(2, int(r * 0.3)))
    elif kind == "line":
        dx, dy = r * math.cos(rot), r * math.sin(rot)
        draw.line([cx - dx, cy - dy, cx + dx, cy + dy], fill=fill or outline, width=max(2, int(r * 0.2)))
    else:
        raise ValueError(kind)


# ------------------------------------------------------------------ real handwriting (scikit-learn)


@lru_cache(maxsize=1)
def _digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images, d.target


def draw_digits():
    """scikit-learn's handwritten digits (real scans, 8x8, 16 grey levels, 1797 pictures), shown at
    64x64 grey. Pool and test draw from disjoint halves of each class."""
    images, target = _digits()
    by_class = {k: np.flatnonzero(target == k) for k in range(10)}

    def draw(k, rng, split, index):
        idx = by_class[k]
        half = len(idx) // 2 + 10  # pool: the first part of each class, test: the rest
        part = idx[:half] if split == "pool" else idx[half:]
        img = images[part[index % len(part)]]
        arr = (255 - img / 16.0 * 255).astype(np.uint8)  # dark ink on paper, like a scan
        return Image.fromarray(arr).resize((64, 64), Image.BILINEAR).convert("RGB")

    return [str(k) for k in range(10)], draw, {"pool": 80, "test": 60}


# ------------------------------------------------------------------ glyphs from fonts


def _font_files():
    roots = [Path("/usr/share/fonts")]
    files = sorted({p for r in roots if r.is_dir() for p in r.rglob("*") if p.suffix.lower() in (".ttf", ".otf")})
    usable = [p for p in files if "Math" not in p.name and "Fallback" not in p.name and "Z003" not in p.name
              and "D050000L" not in p.name and "StandardSymbols" not in p.name]
    return usable


GLYPHS = list("abdeghknqr")


def draw_glyphs():
    """Ten lower-case letters (some easily confused: b/d/q, n/h/r) rendered from every font on the
    machine, rotated, scaled, thickened or thinned, on varied backgrounds, blurred and grainy; the
    test set uses fonts the pool never saw."""
    fonts = _font_files()
    if len(fonts) < 4:
        raise RuntimeError("the glyph task needs at least 4 fonts (apt install fonts-dejavu-core fonts-urw-base35)")
    test_fonts = fonts[1::4]
    pool_fonts = [f for f in fonts if f not in test_fonts]

    def draw(k, rng, split, index):
        size = 64
        font_path = (pool_fonts if split == "pool" else test_fonts)[int(rng.integers(len(pool_fonts if split == "pool" else test_fonts)))]
        font = ImageFont.truetype(str(font_path), int(rng.integers(40, 64)))
        bg = _background(rng, size * 2, rng.choice(["flat", "gradient", "noise"], p=[0.45, 0.45, 0.1]))
        layer = Image.new("L", (size * 2, size * 2), 0)
        d = ImageDraw.Draw(layer)
        d.text((size + rng.integers(-8, 9), size + rng.integers(-8, 9)), GLYPHS[k], font=font, fill=255, anchor="mm")
        layer = layer.rotate(float(rng.uniform(-20, 20)), resample=Image.BILINEAR)
        f = rng.choice(["none", "max", "min"], p=[0.6, 0.2, 0.2])
        if f == "max":
            layer = layer.filter(ImageFilter.MaxFilter(3))
        elif f == "min":
            layer = layer.filter(ImageFilter.MinFilter(3))
        ink = Image.new("RGB", bg.size, _contrast_colour(rng, np.asarray(bg).reshape(-1, 3).mean(0), 300))
        img = Image.composite(ink, bg, layer).resize((size, size), Image.BILINEAR)
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 0.8))))
        return _noise(img, rng, float(rng.uniform(0, 8)))

    return GLYPHS, draw, {}


# ------------------------------------------------------------------ textures (scikit-image photos)

TEXTURES = ["brick", "grass", "gravel", "moon", "hubble_deep_field", "immunohistochemistry", "page", "coins"]


@lru_cache(maxsize=None)
def _texture(name):
    from skimage import data

    arr = data.stereo_motorcycle()[0] if name == "motorcycle_left" else getattr(data, name)()
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, -1)
    return arr[..., :3].astype(np.uint8)


def draw_textures():
    """Small grey patches of real photographs of materials and surfaces from scikit-image (brick
    wall, grass, gravel, the moon's surface, a deep-sky field, stained tissue, a printed page,
    coins), at random scales, rotations, brightness and contrast; pool patches come from the upper
    60% of each photo, test patches from the lower 40%, so no test pixel was ever seen."""

    def draw(k, rng, split, index):
        arr = _texture(TEXTURES[k])
        h, w = arr.shape[:2]
        crop = int(rng.integers(20, 40))  # small: the material's grain, hardly an object
        top_lo, top_hi = (0, int(h * 0.6) - crop) if split == "pool" else (int(h * 0.6), h - crop)
        y = int(rng.integers(top_lo, max(top_lo + 1, top_hi)))
        x = int(rng.integers(0, w - crop))
        img = Image.fromarray(arr[y:y + crop, x:x + crop]).rotate(90 * int(rng.integers(4))).convert("L")
        img = img.resize((64, 64), Image.BILINEAR).convert("RGB")  # grey: the material, not its colour
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 1.2))))
        arr2 = np.asarray(img, dtype=np.float32) * rng.uniform(0.5, 1.5) + rng.uniform(-50, 50)
        return _noise(Image.fromarray(arr2.clip(0, 255).astype(np.uint8)), rng, float(rng.uniform(0, 12)))

    return TEXTURES, draw, {}


# ------------------------------------------------------------------ scenes: one target among clutter

TARGETS = ["star", "cross", "crescent", "arrow", "hexagon", "ring"]
DISTRACTORS = ["circle", "square", "triangle", "line"]


def draw_scenes():
    """Scenes of 3-5 objects: circles, squares, triangles and lines in random colours, and one target
    object whose kind is the class (star, cross, crescent, arrow, hexagon, ring), anywhere, at any
    size and angle."""

    def draw(k, rng, split, index):
        size = 96
        img = _background(rng, size)
        d = ImageDraw.Draw(img)
        d._bg = tuple(int(v) for v in np.asarray(img).reshape(-1, 3).mean(0))
        objs = [DISTRACTORS[int(rng.integers(len(DISTRACTORS)))] for _ in range(int(rng.integers(2, 5)))]
        objs.insert(int(rng.integers(len(objs) + 1)), TARGETS[k])
        for kind in objs:
            r = float(rng.uniform(10, 18))
            cx, cy = rng.uniform(r, size - r, 2)
            colour = _contrast_colour(rng, np.array(d._bg))
            _shape(d, kind, cx, cy, r, float(rng.uniform(0, 2 * math.pi)), fill=colour)
        return _noise(img, rng, float(rng.uniform(0, 10)))

    return TARGETS, draw, {}


# ------------------------------------------------------------------ fine-grained: one detail differs

MOUTHS = ["smile", "frown", "open", "flat", "wavy"]


def draw_faces_finegrained():
    """Cartoon faces that differ only in the mouth (smile, frown, open, flat, wavy); skin colour,
    size, position, eyes, hair and background vary freely."""

    def draw(k, rng, split, index):
        size = 80
        img = _background(rng, size)
        d = ImageDraw.Draw(img)
        r = float(rng.uniform(22, 34))
        cx, cy = rng.uniform(r + 2, size - r - 2, 2)
        skin = tuple(int(v) for v in rng.integers(60, 256, 3))
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=skin, outline=(0, 0, 0), width=1)
        if rng.random() < 0.5:  # hair
            d.chord([cx - r, cy - r, cx + r, cy + r], 180, 360, fill=tuple(int(v) for v in rng.integers(0, 120, 3)))
        ink = (int(rng.integers(0, 60)),) * 3
        ey = cy - r * 0.15
        er = r * float(rng.uniform(0.08, 0.16))
        for ex in (cx - r * 0.38, cx + r * 0.38):
            if rng.random() < 0.5:
                d.ellipse([ex - er, ey - er, ex + er, ey + er], fill=ink)
            else:
                d.line([ex - er, ey, ex + er, ey], fill=ink, width=2)
        mw, my = r * float(rng.uniform(0.35, 0.55)), cy + r * 0.45
        width = max(2, int(r * 0.08))
        mouth = MOUTHS[k]
        if mouth == "smile":
            d.arc([cx - mw, my - mw * 0.9, cx + mw, my + mw * 0.3], 20, 160, fill=ink, width=width)
        elif mouth == "frown":
            d.arc([cx - mw, my - mw * 0.1, cx + mw, my + mw * 1.1], 200, 340, fill=ink, width=width)
        elif mouth == "open":
            d.ellipse([cx - mw * 0.45, my - mw * 0.35, cx + mw * 0.45, my + mw * 0.35], fill=ink)
        elif mouth == "flat":
            d.line([cx - mw, my, cx + mw, my], fill=ink, width=width)
        else:
            xs = np.linspace(cx - mw, cx + mw, 12)
            ys = my + np.sin(np.linspace(0, 3 * math.pi, 12)) * mw * 0.18
            d.line(list(zip(xs, ys)), fill=ink, width=width)
        fill = tuple(int(v) for v in np.asarray(img)[0, 0])
        img = img.rotate(float(rng.uniform(-15, 15)), resample=Image.BILINEAR, fillcolor=fill)
        return _noise(img, rng, float(rng.uniform(0, 8)))

    return MOUTHS, draw, {}


# ------------------------------------------------------------------ domain shift: clean -> degraded

SHAPES = ["circle", "square", "triangle", "star", "hexagon", "cross"]


def draw_shapes_shift():
    """Shapes learnt from clean drawings on flat backgrounds and tested in another domain: on
    photographs of grass, gravel and brick, in dim or glaring light, blurred, with sensor noise."""

    def draw(k, rng, split, index):
        size = 80
        if split == "pool":
            img = _background(rng, size, "flat")
            d = ImageDraw.Draw(img)
            r = float(rng.uniform(14, 28))
            cx, cy = rng.uniform(r + 2, size - r - 2, 2)
            _shape(d, SHAPES[k], cx, cy, r, float(rng.uniform(0, 2 * math.pi)),
                   fill=_contrast_colour(rng, np.asarray(img)[0, 0]))
            return img
        tex = _texture(["grass", "gravel", "brick"][int(rng.integers(3))])
        y, x = rng.integers(0, 512 - size, 2)
        img = Image.fromarray(tex[y:y + size, x:x + size]).copy()
        d = ImageDraw.Draw(img)
        r = float(rng.uniform(14, 28))
        cx, cy = rng.uniform(r + 2, size - r - 2, 2)
        colour = _contrast_colour(rng, np.asarray(img).reshape(-1, 3).mean(0), 200)
        _shape(d, SHAPES[k], cx, cy, r, float(rng.uniform(0, 2 * math.pi)), fill=colour)
        arr = np.asarray(img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 1.5)))), dtype=np.float32)
        arr = arr * rng.uniform(0.4, 1.4) + rng.uniform(-40, 40)
        return _noise(Image.fromarray(arr.clip(0, 255).astype(np.uint8)), rng, float(rng.uniform(5, 20)))

    return SHAPES, draw, {}


# ------------------------------------------------------------------ counting


def draw_counting():
    """How many objects: 1 to 6 blobs of any size, colour and kind, not overlapping."""
    kinds = ["circle", "square", "triangle", "hexagon"]

    def draw(k, rng, split, index):
        size = 96
        img = _background(rng, size)
        d = ImageDraw.Draw(img)
        bg = np.asarray(img).reshape(-1, 3).mean(0)
        placed = []
        n = k + 1
        tries = 0
        while len(placed) < n and tries < 500:
            tries += 1
            r = float(rng.uniform(6, 13))
            c = rng.uniform(r + 1, size - r - 1, 2)
            if all(np.hypot(*(c - p)) > r + q + 3 for p, q in placed):
                placed.append((c, r))
                _shape(d, kinds[int(rng.integers(len(kinds)))], c[0], c[1], r, float(rng.uniform(0, 6.3)),
                       fill=_contrast_colour(rng, bg))
        return _noise(img, rng, float(rng.uniform(0, 8)))

    return [str(n) for n in range(1, 7)], draw, {}


# ------------------------------------------------------------------ real photographs (scikit-image)

PHOTOS = ["astronaut", "coffee", "chelsea", "rocket", "motorcycle_left", "retina", "immunohistochemistry", "camera"]


def draw_photo_regions():
    """Which photograph a patch comes from: eight real photographs from scikit-image (an astronaut,
    a cup of coffee, a cat, a rocket, a motorcycle, a retina, stained tissue, a cameraman), patches
    of any size from the left 60% of each for the pool and from the right 40% for the test."""

    def draw(k, rng, split, index):
        arr = _texture(PHOTOS[k])
        h, w = arr.shape[:2]
        crop = int(rng.integers(min(h, w) // 8, min(h, w) // 3))
        lo, hi = (0, int(w * 0.6) - crop) if split == "pool" else (int(w * 0.6), w - crop)
        x = int(rng.integers(lo, max(lo + 1, hi)))
        y = int(rng.integers(0, h - crop))
        return Image.fromarray(arr[y:y + crop, x:x + crop]).resize((64, 64), Image.BILINEAR)

    return PHOTOS, draw, {}
