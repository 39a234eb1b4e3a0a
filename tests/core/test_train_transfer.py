"""Transfer actually transfers: the bundled EfficientNet-Lite0 with default (auto) settings against the
same architecture from random initialisation, on pictures drawn by Pillow. (A picture probe's default
reads with Lite0 and Lite1 together; test_export.py trains, exports and checks that default with
the real weights. One network here keeps the random-initialisation runs affordable.)"""

from __future__ import annotations

import pytest
import torch

from core.importer import import_files
from core.project import Project
from core.train import TrainConfig, Trainer, events
from tests.helpers.media_factory import SHAPES, shape_image

PER_CLASS = 30  # 20 to train on, 10 to validate with
LITE0 = "efficientnet_lite0"


@pytest.mark.slow
def test_pretrained_backbone_beats_random_initialisation(tmp_path):
    torch.set_num_threads(2)
    for k, shape in enumerate(SHAPES):
        folder = tmp_path / "src" / shape
        folder.mkdir(parents=True)
        for i in range(PER_CLASS):
            shape_image(shape, size=64, seed=100 * k + i).save(folder / f"{i}.png")
    with Project.create(tmp_path / "proj", "image") as project:
        import_files(project, [tmp_path / "src"], labels="folder")
        project.reset_splits(val=1 / 3, test=0.0)
        assert project.status().splits["train"] == 60

        rec = events.Recorder()
        pretrained = Trainer(project, TrainConfig(backbone=LITE0), callbacks=[rec]).fit()
        start = rec.of(events.FitStart)[0]
        assert start.mode == "probe" and start.config["backbone"] == LITE0
        # The same defaults from random weights (features of an untrained network), and the fairer
        # baseline: every layer of the random network trained on the data (smaller pictures, to stay quick).
        scratch_probe = Trainer(project, TrainConfig(backbone=LITE0, pretrained=False)).fit()
        scratch_full = Trainer(project, TrainConfig(backbone=LITE0, pretrained=False, mode="full", epochs=8, image_size=96,
                                                    lr=3e-3, batch_size=16)).fit()

    acc = pretrained.metrics["val_acc"]
    baseline = max(scratch_probe.metrics["val_acc"], scratch_full.metrics["val_acc"])
    print(f"val accuracy: pretrained {acc:.3f}, random init probe {scratch_probe.metrics['val_acc']:.3f}, "
          f"random init trained in full {scratch_full.metrics['val_acc']:.3f}")
    assert acc >= 0.8
    assert acc - baseline >= 0.25
