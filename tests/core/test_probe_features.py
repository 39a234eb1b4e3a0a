"""What a probe reads: features pooled from every level of the backbone, and audio clips of one
length; both survive loading the run and exporting it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.backbones import LogMelPreprocessing
from core.media import fit_length
from core.runs import load_run
from core.train import Trainer, TrainConfig
from tests.helpers.training import make_colour_project, make_tone_project, tiny_spec

pytestmark = pytest.mark.usefixtures("two_torch_threads")


def test_a_probe_reads_every_level_and_its_run_loads_them_back(tmp_path):
    project = make_colour_project(tmp_path, per_class=6)
    try:
        spec = tiny_spec(tmp_path / "w")
        result = Trainer(project, TrainConfig(mode="probe", probe_features="levels"), spec=spec).fit()
        loaded = load_run(project, result.run_id, spec=spec)
        assert loaded.meta["levels"] == ["net.stem", "net.block1", "net.block2"]
        assert loaded.meta["level_dims"] == [8, 16, 32, 32]
        assert loaded.model.head.in_features == 8 + 16 + 32 + 32
        grid = load_run(project, Trainer(project, TrainConfig(mode="probe"), spec=spec).fit().run_id, spec=spec)
        assert grid.meta["level_grid"] == 2  # the default: each level's mean, then its 2x2 cells
        assert grid.meta["level_dims"] == [8 * 5, 16 * 5, 32 * 5, 32]
        with torch.inference_mode():
            both = grid.model.backbone(torch.rand(2, 3, 32, 32))
        assert both.shape == (2, 40 + 80 + 160 + 32)
        x = torch.rand(3, 3, 32, 32)
        with torch.inference_mode():
            features = loaded.model.backbone(x)
            plain = spec.build()
            plain.load_state_dict(loaded.model.backbone.state_dict())  # same parameter names
            assert torch.allclose(features[:, -32:], plain.eval()(x), atol=1e-6)
        final = Trainer(project, TrainConfig(mode="probe", probe_features="final"), spec=spec).fit()
        assert "levels" not in load_run(project, final.run_id, spec=spec).meta
    finally:
        project.close()


def test_a_probe_learns_from_altered_views_of_each_labelled_picture(tmp_path):
    from core.probe.views import altered

    project = make_colour_project(tmp_path, per_class=6)
    try:
        spec = tiny_spec(tmp_path / "w")
        result = Trainer(project, TrainConfig(mode="probe", probe_views=2), spec=spec).fit()
        row = load_run(project, result.run_id, spec=spec).meta["history"][0]
        assert row["views"] == 2 * row["samples"]
        none = Trainer(project, TrainConfig(mode="probe", probe_views=0), spec=spec).fit()
        assert load_run(project, none.run_id, spec=spec).meta["history"][0]["views"] == 0
        sample = project.samples()[0]
        from core.media import decode_image

        picture = decode_image(project.path_of(sample))
        one = altered(picture, sample.hash, 1)
        assert one.size == picture.size
        assert one.tobytes() == altered(picture, sample.hash, 1).tobytes()  # fixed per picture
        assert one.tobytes() != altered(picture, sample.hash, 2).tobytes()
    finally:
        project.close()


def test_the_log_mel_front_end_cuts_clips_like_fit_length():
    p = LogMelPreprocessing(image_size=32, n_mels=32, clip_seconds=0.5)
    whole = LogMelPreprocessing(image_size=32, n_mels=32)
    rng = np.random.default_rng(0)
    for n in (3000, 8000, 13001):  # shorter, equal, longer than 0.5 s at 16 kHz
        wave = rng.normal(0, 0.1, n).astype(np.float32)
        assert torch.allclose(p.to_tensor(wave), whole.to_tensor(fit_length(wave, 8000)), atol=1e-6)


def test_an_audio_probe_cuts_every_clip_to_one_length(tmp_path):
    project = make_tone_project(tmp_path, per_class=8)  # 0.3 s clips
    try:
        spec = tiny_spec(tmp_path / "w", name="tiny_audio", modality="audio")
        result = Trainer(project, TrainConfig(mode="probe"), spec=spec).fit()
        loaded = load_run(project, result.run_id, spec=spec)
        assert loaded.spec.preprocessing.clip_seconds == 0.5  # 0.3 s clips, at least half a second
        assert loaded.clip_samples == 8000
        assert result.metrics["val_acc"] >= 0.9
    finally:
        project.close()


def test_evaluating_a_probe_on_samples_it_learnt_from_uses_held_out_predictions(tmp_path):
    from core.evaluate.run_eval import evaluate_run

    project = make_colour_project(tmp_path, per_class=8)
    try:
        val = [s for s in project.samples(split="val")]
        project.set_labels([(val[0].id, "blue" if val[0].label != "blue" else "red")])  # one wrong label
        spec = tiny_spec(tmp_path / "w")
        result = Trainer(project, TrainConfig(mode="probe"), spec=spec).fit()
        ev = evaluate_run(project, result.run_id, split="val", spec=spec)
        assert ev.cross_validated == len(val) and "cross-validation" in ev.held_out_how
        # the wrongly labelled sample is predicted by a model that never saw its wrong label
        assert val[0].id in [ev.sample_ids[m.index] for m in ev.evaluation.mistakes]
        assert "did not see it" in open(ev.report_html, encoding="utf-8").read()
    finally:
        project.close()
