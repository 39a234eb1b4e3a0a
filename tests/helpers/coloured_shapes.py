"""Coloured shapes (three colours x two shapes) for the zero-shot tests: each class is described by
its colour and its shape, so a class can be held out and recognised by description alone."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from core.importer import import_files
from core.project import Project

COLOURS = {"red": (210, 40, 40), "blue": (40, 70, 210), "green": (40, 170, 60)}
SHAPES = ("circle", "square")


def picture(colour, shape, seed):
    rng = random.Random(seed)
    grey = rng.randint(150, 235)
    im = Image.new("RGB", (96, 96), (grey, grey, grey))
    d = ImageDraw.Draw(im)
    r = rng.randint(16, 30)
    cx, cy = rng.randint(r, 96 - r), rng.randint(r, 96 - r)
    fill = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in COLOURS[colour])
    (d.ellipse if shape == "circle" else d.rectangle)([cx - r, cy - r, cx + r, cy + r], fill=fill)
    return im


def zoo_projects(root, unseen: str):
    """(a project of every colour and shape but ``unseen``, every class described by its colour and
    shape; a project of ``unseen``'s pictures only)."""
    for colour in COLOURS:
        for shape in SHAPES:
            name = f"{colour} {shape}"
            folder = root / ("held" if name == unseen else "train") / name
            folder.mkdir(parents=True)
            for i in range(12 if name == unseen else 10):
                picture(colour, shape, seed=1000 * (list(COLOURS).index(colour) * 2 + SHAPES.index(shape)) + i).save(folder / f"{i}.png")
    project = Project.create(root / "p", "image", "Coloured shapes")
    import_files(project, [root / "train"])
    project.reset_splits(val=0.0, test=0.0)
    for colour in COLOURS:
        for shape in SHAPES:
            project.set_class_attributes(f"{colour} {shape}", [colour, shape])  # the unseen one: no examples
    held = Project.create(root / "h", "image")
    import_files(held, [root / "held"])
    return project, held
