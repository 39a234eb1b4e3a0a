"""Builders shared by the training, export and app tests: a tiny real backbone and small learnable
image and audio projects.

The tiny backbone is a genuine ``BackboneSpec`` (a three-block CNN) whose "pretrained" weights are a
real file found through core.weights like any bundled backbone, so the trainer runs its real code
paths in milliseconds per batch.
"""

from __future__ import annotations

import random
from pathlib import Path

import torch
from PIL import Image, ImageDraw
from torch import nn

from core.backbones import ClassifierFeatures, ImagePreprocessing, LogMelPreprocessing
from core.backbones.spec import BackboneSpec, Stage, WeightsFile

COLOURS = {"red": (200, 40, 40), "green": (40, 180, 60), "blue": (40, 60, 200)}


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU())

        self.stem, self.block1, self.block2 = block(3, 8), block(8, 16), block(16, 32)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)  # the "ImageNet classifier" that finalize() removes

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def _pretend_pretrained() -> TinyNet:
    """Random filters, but batch-norm statistics measured on pictures like a real pretrained net has
    (default running statistics would make train-mode and eval-mode features wildly different)."""
    torch.manual_seed(1234)
    net = TinyNet()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None  # cumulative average over the calibration batches
    net.train()
    with torch.no_grad():
        for _ in range(8):
            net(torch.rand(32, 3, 32, 32) * 4 - 2)
    return net


def _stages(net):
    return [Stage("stem", ("net.stem",)), Stage("block1", ("net.block1",)), Stage("block2", ("net.block2",))]


def tiny_spec(weights_dir: Path, name: str = "tiny_cnn", write_weights: bool = True,
              modality: str = "image") -> BackboneSpec:
    weights_dir.mkdir(parents=True, exist_ok=True)
    path = weights_dir / f"{name}.pt"
    if write_weights and not path.exists():
        torch.save(_pretend_pretrained().state_dict(), path)
    pre = (ImagePreprocessing(crop_size=32, resize_size=32, resize="squash") if modality == "image"
           else LogMelPreprocessing(image_size=32, n_mels=32))
    return BackboneSpec(
        name=name, modality=modality, title="Tiny CNN (tests)", feature_dim=32,
        builder=lambda: ClassifierFeatures(TinyNet(), head="fc", stage_fn=_stages),
        preprocessing=pre,
        weights=WeightsFile(key=name, file_name=f"{name}.pt", url=None, sha256=None, licence="test",
                            bundled=lambda: path if path.exists() else None),
        licence="test", macs_input="one 32x32 image",
    )


def colour_image(colour: str, seed: int, size: int = 24) -> Image.Image:
    """A noisy picture dominated by one colour, with a random shape of another: easy to separate."""
    rng = random.Random(seed)
    base = COLOURS[colour]
    bg = tuple(max(0, min(255, c + rng.randint(-30, 30))) for c in base)
    im = Image.new("RGB", (size, size), bg)
    d = ImageDraw.Draw(im)
    r = rng.randint(3, size // 3)
    cx, cy = rng.randint(r, size - r), rng.randint(r, size - r)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tuple(rng.randint(0, 255) for _ in range(3)))
    return im


def make_colour_project(root: Path, per_class: int = 12, classes=("red", "green", "blue"), val: float = 0.25):
    """A project with ``per_class`` images of each colour class, imported with folder labels."""
    from core.importer import import_files
    from core.project import Project

    src = root / "src"
    for k, colour in enumerate(classes):
        for i in range(per_class):
            (src / colour).mkdir(parents=True, exist_ok=True)
            colour_image(colour, seed=1000 * k + i).save(src / colour / f"{colour}_{i:03d}.png")
    project = Project.create(root / "proj", "image", "Colours")
    import_files(project, [src], labels="folder")
    project.reset_splits(val=val, test=0.0)
    return project


def make_tone_project(root: Path, per_class: int = 10):
    """An audio project: low hums against high whistles, 0.3 s each, some noise."""
    import numpy as np

    from core.importer import import_files
    from core.project import Project
    from tests.helpers.media_factory import tone, write_audio

    rng = np.random.default_rng(0)
    for label, base in (("low", 200.0), ("high", 2500.0)):
        for i in range(per_class):
            wave = tone(base * (1 + 0.1 * rng.standard_normal()), 0.3) + 0.02 * rng.standard_normal(4800)
            write_audio(root / "src" / label / f"{label}{i}.wav", wave.astype("float32"), 16000)
    project = Project.create(root / "proj", "audio", "Tones")
    import_files(project, [root / "src"], labels="folder")
    project.reset_splits(val=0.3, test=0.0)
    return project
