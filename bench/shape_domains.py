"""Synthetic shape pictures for the accuracy benchmarks (bench_fewshot, bench_transfer), drawn with
Pillow in several "rendering domains", so that a task is neither trivial for ImageNet features nor
impossible from a few examples.

Five classes (circle, square, triangle, star, cross), each drawn with a random rotation, size,
position and colour. A domain decides everything else:

- ``clean``: a filled shape on a flat background of a random colour (a "catalogue" domain).
- ``cluttered``: a filled shape of low-to-medium contrast on a colour gradient, with distractor
  strokes and blobs, and pixel noise (the few-shot benchmark's domain).
- ``outline``: only the shape's outline, a thin stroke, smaller, on a textured (noise-field)
  background with distractor strokes, then grain (the transfer benchmark's shifted target domain).

Every picture is a pure function of (class, domain, size, seed).
"""

from __future__ import annotations

import contextlib

import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CLASSES = ("circle", "square", "triangle", "star", "cross")
DOMAINS = ("clean", "cluttered", "outline")


def _polygon(shape: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]] | None:
    """The outline of ``shape`` (None for a circle) centred at (cx, cy), radius r, rotated."""
    if shape == "square":
        pts = [(math.cos(a), math.sin(a)) for a in (math.pi / 4 + k * math.pi / 2 for k in range(4))]
    elif shape == "triangle":
        pts = [(math.cos(a), math.sin(a)) for a in (-math.pi / 2 + k * 2 * math.pi / 3 for k in range(3))]
    elif shape == "star":
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            rad = 1.0 if k % 2 == 0 else 0.42
            pts.append((rad * math.cos(a), rad * math.sin(a)))
    elif shape == "cross":
        t = 0.3  # half the arm width
        pts = [(-t, -1), (t, -1), (t, -t), (1, -t), (1, t), (t, t),
               (t, 1), (-t, 1), (-t, t), (-1, t), (-1, -t), (-t, -t)]
    else:
        return None
    ca, sa = math.cos(angle), math.sin(angle)
    return [(cx + r * (x * ca - y * sa), cy + r * (x * sa + y * ca)) for x, y in pts]


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, cx, cy, r, angle, fill=None, outline=None, width=1):
    pts = _polygon(shape, cx, cy, r, angle)
    if pts is None:
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill, outline=outline, width=width)
    elif outline is not None:
        draw.line(pts + [pts[0]], fill=outline, width=width, joint="curve")
    else:
        draw.polygon(pts, fill=fill)


def _rand_colour(rng: random.Random) -> tuple[int, int, int]:
    return tuple(rng.randint(0, 255) for _ in range(3))


def _contrasting(rng: random.Random, bg, low: int, high: int) -> tuple[int, int, int]:
    """A colour at a random distance in [low, high] from ``bg`` (per channel, wrapped)."""
    d = rng.randint(low, high)
    sign = [rng.choice((-1, 1)) for _ in range(3)]
    return tuple(int(np.clip(c + s * d + rng.randint(-20, 20), 0, 255)) if 0 <= c + s * d <= 255
                 else int(np.clip(c - s * d, 0, 255)) for c, s in zip(bg, sign))


def _gradient(size: int, a, b, angle: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    t = (xx * math.cos(angle) + yy * math.sin(angle))
    t = (t - t.min()) / (np.ptp(t) + 1e-9)
    return (np.array(a)[None, None, :] * (1 - t[..., None]) + np.array(b)[None, None, :] * t[..., None])


def _noise_field(size: int, nprng: np.random.Generator, cells: int) -> np.ndarray:
    """A smooth random colour texture (bicubic-upsampled noise), float [size, size, 3]."""
    coarse = nprng.integers(0, 256, (cells, cells, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((size, size), Image.BICUBIC), dtype=np.float64)


def _distractors(draw: ImageDraw.ImageDraw, rng: random.Random, size: int, n: int, colour_of):
    for _ in range(n):
        kind = rng.random()
        c = colour_of()
        if kind < 0.6:  # a stroke
            x0, y0 = rng.uniform(0, size), rng.uniform(0, size)
            a, length = rng.uniform(0, 2 * math.pi), rng.uniform(size * 0.1, size * 0.35)
            draw.line([(x0, y0), (x0 + length * math.cos(a), y0 + length * math.sin(a))], fill=c,
                      width=max(1, round(size / rng.choice((40, 60, 80)))))
        else:  # a small blob
            r = rng.uniform(size * 0.02, size * 0.06)
            x0, y0 = rng.uniform(0, size), rng.uniform(0, size)
            draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=c)


def render(shape: str, domain: str, size: int = 96, seed: int = 0) -> Image.Image:
    if shape not in CLASSES:
        raise ValueError(f"unknown shape {shape!r}")
    rng = random.Random(f"{shape}|{domain}|{size}|{seed}")
    nprng = np.random.default_rng(rng.getrandbits(63))
    angle = rng.uniform(0, 2 * math.pi)
    if domain == "clean":
        bg = _rand_colour(rng)
        im = Image.new("RGB", (size, size), bg)
        draw = ImageDraw.Draw(im)
        r = rng.uniform(size * 0.22, size * 0.38)
        cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
        _draw_shape(draw, shape, cx, cy, r, angle, fill=_contrasting(rng, bg, 90, 160))
        return im
    if domain == "cluttered":
        a, b = _rand_colour(rng), _rand_colour(rng)
        base = _gradient(size, a, b, rng.uniform(0, 2 * math.pi))
        im = Image.fromarray(base.clip(0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(im)
        mid = tuple(int(v) for v in base[size // 2, size // 2])
        _distractors(draw, rng, size, rng.randint(2, 5), lambda: _contrasting(rng, mid, 40, 140))
        r = rng.uniform(size * 0.14, size * 0.34)
        cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
        local = tuple(int(v) for v in base[int(cy), int(cx)])
        _draw_shape(draw, shape, cx, cy, r, angle, fill=_contrasting(rng, local, 45, 130))
        sigma = rng.uniform(8, 25)
        channels = 1 if rng.random() < 0.5 else 3  # grey or colour grain
        arr = np.asarray(im, dtype=np.float64) + nprng.normal(0, sigma, (size, size, channels))
        return Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if domain == "outline":
        base = _noise_field(size, nprng, rng.choice((4, 6, 8)))
        base = base * rng.uniform(0.4, 0.8) + rng.uniform(0, 100)  # muted texture
        im = Image.fromarray(base.clip(0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(im)
        mean = tuple(int(v) for v in base.mean(axis=(0, 1)))
        width = max(1, round(size * rng.uniform(0.02, 0.04)))
        _distractors(draw, rng, size, rng.randint(1, 4), lambda: _contrasting(rng, mean, 60, 160))
        r = rng.uniform(size * 0.16, size * 0.30)
        cx, cy = rng.uniform(r + width, size - r - width), rng.uniform(r + width, size - r - width)
        local = tuple(int(v) for v in base[int(cy), int(cx)])
        _draw_shape(draw, shape, cx, cy, r, angle, outline=_contrasting(rng, local, 90, 170), width=width)
        if rng.random() < 0.5:
            im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
        arr = np.asarray(im, dtype=np.float64) + nprng.normal(0, rng.uniform(5, 18), (size, size, 1))
        return Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    raise ValueError(f"unknown domain {domain!r}; one of {', '.join(DOMAINS)}")


def write_set(folder: Path, domain: str, per_class: int, seed0: int, size: int = 96,
              classes=CLASSES) -> Path:
    """``folder/<class>/<i>.png`` for ``per_class`` pictures of each class (seeds seed0 + i)."""
    for shape in classes:
        for i in range(per_class):
            path = folder / shape / f"{domain}-{seed0 + i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            render(shape, domain, size, seed0 + i).save(path)
    return folder


def contact_sheet(path: Path, domain: str, per_class: int = 8, size: int = 96) -> None:
    """A picture of ``per_class`` examples of each class (rows), to look at a domain."""
    sheet = Image.new("RGB", (per_class * size, len(CLASSES) * size))
    for row, shape in enumerate(CLASSES):
        for col in range(per_class):
            sheet.paste(render(shape, domain, size, col), (col * size, row * size))
    sheet.save(path)


@contextlib.contextmanager
def probe_standardisation(how: str):
    """``code``: as core does it. ``overall`` (a diagnostic): every standardisation of the head's
    input uses one overall scale (per_feature=False), as fine-tuning's calibration already does."""
    if how == "code":
        yield
        return
    from core.train.model import Classifier

    original = Classifier.standardise_features
    Classifier.standardise_features = lambda self, f, per_feature=True: original(self, f, per_feature=False)
    try:
        yield
    finally:
        Classifier.standardise_features = original


def labelled_project(root: Path, domain: str, per_class: int, seed: int, size: int, name: str):
    """A project of ``per_class`` pictures of each class in ``domain``, every one in the training
    split (the few labels a person has are all for learning)."""
    from core.importer import import_files
    from core.project import Project

    write_set(root / "src", domain, per_class, seed0=10_000 * (seed + 1), size=size)
    project = Project.create(root / "p", "image", name)
    import_files(project, [root / "src"])
    project.reset_splits(val=0.0, test=0.0)
    assert project.count(split="train") == per_class * len(CLASSES)
    return project


def heldout_accuracy(project, run, heldout, samples, rename: dict | None = None) -> float:
    """Accuracy of ``run`` of ``project`` on the held-out project's ``samples``; ``rename`` maps
    the run's class names back to the held-out labels."""
    import numpy as np

    from core.evaluate.run_eval import predict_samples
    from core.runs import load_run

    loaded = load_run(project, run)
    probs, kept, skipped = predict_samples(loaded, heldout, samples)
    assert not skipped and len(kept) == len(samples), skipped
    names = [(rename or {}).get(c, c) for c in loaded.class_names]
    return float(np.mean([names[int(p.argmax())] == samples[i].label for p, i in zip(probs, kept)]))
