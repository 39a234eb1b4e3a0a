"""A multi-task project: colour classes (the main label set, renamed "colour") and a second label
set "mark" (a light or a dark block on each picture), shared by the core and app tests."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from tests.helpers.training import COLOURS


def picture(colour: str, mark: str, seed: int, size: int = 32) -> Image.Image:
    """A noisy background of one colour with a light or a dark block somewhere on it."""
    rng = random.Random(seed)
    bg = tuple(max(0, min(255, c + rng.randint(-30, 30))) for c in COLOURS[colour])
    im = Image.new("RGB", (size, size), bg)
    x0, y0 = rng.randint(0, size // 2 - 1), rng.randint(0, size // 2 - 1)
    grey = rng.randint(225, 255) if mark == "light" else rng.randint(0, 30)
    ImageDraw.Draw(im).rectangle([x0, y0, x0 + size // 2, y0 + size // 2], fill=(grey, grey, grey))
    return im


def make_project(root, per_class: int = 16, unlabelled_mark: int = 3):
    from core.importer import import_files
    from core.project import Project

    marks = {}
    for k, colour in enumerate(("red", "green", "blue")):
        for i in range(per_class):
            mark = ("light", "dark")[i % 2]
            path = root / "src" / colour / f"{colour}_{i:02d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            picture(colour, mark, seed=100 * k + i).save(path)
            marks[path.name] = mark
    project = Project.create(root / "proj", "image", "Colours and marks")
    import_files(project, [root / "src"], labels="folder")
    project.reset_splits(val=0.25, test=0.0)
    project.rename_main_label_set("colour")
    project.add_label_set("mark")
    samples = project.samples()
    for n, s in enumerate(samples):
        if n >= unlabelled_mark:  # a few samples have no label in "mark": they still teach colour
            project.set_set_label("mark", [s.id], marks[s.display_name.split("/")[-1]])
    return project, marks
