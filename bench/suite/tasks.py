"""The suite's tasks and how their files are made: ``materialise(name)`` writes
``<root>/<name>/pool/<class>/*.png|wav`` (the samples a person would label) and ``.../test/...``
(held out, never labelled, never seen by training), once; later calls reuse the files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.suite import audio, images



@dataclass(frozen=True)
class Task:
    name: str
    modality: str
    make: object  # () -> (classes, draw, counts)
    pool: int = 100  # per class, unless the generator says otherwise
    test: int = 40
    about: str = ""
    version: int = 1  # bump when the generator changes: the files are made again


TASKS = {t.name: t for t in [
    Task("digits", "image", images.draw_digits, about="real handwriting scans (scikit-learn), 10 classes", version=2),
    Task("glyphs", "image", images.draw_glyphs, about="letters in unseen fonts, distorted, 10 classes", version=2),
    Task("textures", "image", images.draw_textures, about="patches of real surface photos (scikit-image), 8 classes", version=3),
    Task("scenes", "image", images.draw_scenes, about="one target object among clutter, 6 classes", version=2),
    Task("faces_detail", "image", images.draw_faces_finegrained, about="cartoon faces differing in the mouth only, 5 classes", version=2),
    Task("shapes_shift", "image", images.draw_shapes_shift, about="clean drawings -> on photos, dim or glaring, blurred, noisy; 6 classes", version=2),
    Task("counting", "image", images.draw_counting, about="1-6 objects, 6 classes", version=2),
    Task("photo_regions", "image", images.draw_photo_regions, about="which of 8 real photographs (scikit-image) a patch is from", version=2),
    Task("words", "audio", audio.draw_words, about="10 spoken words, unseen speakers in the test"),
    Task("words_noise", "audio", audio.draw_words_in_noise, about="5 words in loud noise, unseen speakers"),
    Task("chords", "audio", audio.draw_chords, about="6 chord qualities, any root and timbre"),
    Task("environment", "audio", audio.draw_environment, about="7 synthetic everyday sounds in loud noise", version=3),
]}


def default_root() -> Path:
    return Path(os.environ.get("TRANSFERLAB_SUITE_DIR", Path.home() / ".cache" / "transferlab-suite"))


def materialise(name: str, root: Path | None = None, pool: int | None = None) -> Path:
    """The task's folder, made if missing (or made by another version of the generators)."""
    task = TASKS[name]
    classes, draw, counts = task.make()
    n_pool = pool or counts.get("pool", task.pool)
    n_test = counts.get("test", task.test)
    folder = (root or default_root()) / name
    stamp = folder / "made.json"
    version = task.version
    wanted = {"version": version, "pool": n_pool, "test": n_test, "classes": classes}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return folder
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
    for split, n in (("pool", n_pool), ("test", n_test)):
        for k, cls in enumerate(classes):
            out = folder / split / cls
            out.mkdir(parents=True, exist_ok=True)
            rng = np.random.default_rng([version, k, 0 if split == "pool" else 1, sum(map(ord, name))])
            for i in range(n):
                item = draw(k, rng, split, i)
                if task.modality == "image":
                    item.save(out / f"{i:04d}.png")
                else:
                    import soundfile as sf

                    sf.write(out / f"{i:04d}.wav", item, audio.RATE, subtype="PCM_16")
    stamp.write_text(json.dumps(wanted))
    return folder


def files(folder: Path, split: str) -> tuple[list[Path], list[int], list[str]]:
    """(paths, class indices, class names) of one split, in a fixed order."""
    classes = sorted(p.name for p in (folder / split).iterdir() if p.is_dir())
    made = json.loads((folder / "made.json").read_text())["classes"]
    classes = [c for c in made if c in classes]
    paths, labels = [], []
    for k, cls in enumerate(classes):
        for p in sorted((folder / split / cls).iterdir()):
            paths.append(p)
            labels.append(k)
    return paths, labels, classes
