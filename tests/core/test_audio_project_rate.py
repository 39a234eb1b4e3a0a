"""An audio project made with another `--sample-rate` than its backbone's: the run must record the
rate its clips were read at for training (the backbone's), since evaluation, export and prediction
feed the model at the run's rate. Recording the project's rate fed them at 8 kHz a model trained at
16 kHz: 12 of 24 tones right (chance) where cross-validation said 100%."""

from __future__ import annotations

import numpy as np
import pytest

from core.fewshot import fewshot_run
from core.importer import import_files
from core.project import Project
from core.runs import load_run
from core.train import TrainConfig, Trainer
from core.train.checkpoint import load as load_checkpoint
from tests.helpers.media_factory import tone, write_audio
from tests.helpers.training import tiny_spec

pytestmark = pytest.mark.usefixtures("two_torch_threads")


@pytest.fixture
def project_8k(tmp_path):
    rng = np.random.default_rng(0)
    for label, base in (("low", 200.0), ("high", 2500.0)):
        for i in range(6):
            wave = tone(base * (1 + 0.1 * rng.standard_normal()), 0.3) + 0.02 * rng.standard_normal(4800)
            write_audio(tmp_path / "src" / label / f"{label}{i}.wav", wave.astype("float32"), 16000)
    project = Project.create(tmp_path / "proj", "audio", "Tones", sample_rate=8000)
    import_files(project, [tmp_path / "src"], labels="folder")
    project.reset_splits(val=0.3, test=0.0)
    yield project
    project.close()


def test_a_trained_run_records_the_rate_it_was_trained_at_not_the_projects(project_8k, tmp_path):
    spec = tiny_spec(tmp_path / "w", name="tiny_audio_rate", modality="audio")
    assert spec.preprocessing.sample_rate == 16000
    result = Trainer(project_8k, TrainConfig(mode="probe", batch_size=8), spec=spec).fit()
    assert load_checkpoint(result.best_path)["sample_rate"] == 16000
    assert load_run(project_8k, result.run_id, spec=spec).sample_rate == 16000


def test_a_few_shot_run_records_the_rate_it_was_built_at(project_8k, tmp_path):
    spec = tiny_spec(tmp_path / "w", name="tiny_audio_rate_fs", modality="audio")
    result = fewshot_run(project_8k, spec)
    assert load_checkpoint(result.best_path)["sample_rate"] == 16000
    assert load_run(project_8k, result.run_id, spec=spec).sample_rate == 16000
