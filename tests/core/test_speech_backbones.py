"""Speech backbones (wav2vec2, HuBERT, WavLM) end to end: probe with variable-length batches and
padding masks, fine-tuning, and export with the waveform front end inside the graph. Random weights
of the real architectures (the real ones are downloads)."""

import numpy as np
import pytest

from core.export.exporter import export_run
from core.importer import import_files
from core.predict import Predictor
from core.project import Project
from core.runs import load_run
from core.train import TrainConfig, Trainer
from tests.helpers.media_factory import tone, write_audio


@pytest.fixture
def varied_project(tmp_path):
    rng = np.random.default_rng(0)
    for label, freq in (("low", 220.0), ("high", 2200.0)):
        for i, seconds in enumerate((0.3, 0.45, 0.6, 0.8, 0.5, 0.35)):
            wave = tone(freq * (1 + 0.05 * rng.standard_normal()), seconds) + 0.01 * rng.standard_normal(int(seconds * 16000))
            write_audio(tmp_path / "src" / label / f"{label}{i}.wav", wave.astype(np.float32), 16000)
    project = Project.create(tmp_path / "p", "audio")
    import_files(project, [tmp_path / "src"])
    project.reset_splits(val=0.34, test=0.0)
    yield project
    project.close()


def test_wav2vec2_probe_on_clips_of_different_lengths_exports_with_its_front_end(varied_project, tmp_path):
    run = Trainer(varied_project, TrainConfig(backbone="wav2vec2_base", pretrained=False, mode="probe", epochs=5)).fit()
    assert run.status in ("completed", "early_stopped")
    report = export_run(varied_project, tmp_path / "speech.onnx")
    assert report.parity_max_diff < 1e-4
    assert report.preprocessing_top1_agreement == 1.0
    p = Predictor(report.path)
    assert p.metadata["backbone"] == "wav2vec2_base" and p.task == "audio"
    sample = varied_project.samples()[0]
    (r,) = p.predict([varied_project.path_of(sample)])
    assert r.error is None and r.label in ("low", "high")


def test_hubert_finetunes_and_its_checkpoint_reloads(varied_project):
    run = Trainer(varied_project, TrainConfig(backbone="hubert_base", pretrained=False, mode="finetune",
                                              epochs=2, batch_size=4, warmup_epochs=1)).fit()
    assert run.epochs_done == 2
    loaded = load_run(varied_project, run.run_id)
    assert loaded.speech and loaded.clip_samples  # fine-tuning cuts clips to one length
