"""The training engine on small real projects with a tiny real backbone: modes, control, resume,
out-of-memory backoff, events, checkpoints and bad input."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import torch

from core.errors import TransferLabError
from core.train import DataError, TrainConfig, TrainControl, Trainer, events
from core.train.checkpoint import load as load_checkpoint
from core.train.model import Classifier
from tests.helpers.training import make_colour_project, make_tone_project, tiny_spec


pytestmark = pytest.mark.usefixtures("two_torch_threads")


@pytest.fixture
def spec(tmp_path):
    return tiny_spec(tmp_path / "weights")


@pytest.fixture
def project(tmp_path):
    p = make_colour_project(tmp_path, per_class=12)
    yield p
    p.close()


def fit(project, spec, callbacks=(), control=None, **settings):
    settings.setdefault("batch_size", 8)
    recorder = events.Recorder()
    trainer = Trainer(project, TrainConfig(**settings), callbacks=[recorder, *callbacks], control=control,
                      spec=spec, batch_event_interval=0.0)
    return trainer.fit(), recorder


# ------------------------------------------------------------------ every mode learns


@pytest.mark.parametrize("mode, epochs", [("probe", None), ("finetune", 10), ("full", 8)])
def test_every_mode_learns_a_separable_problem(project, spec, mode, epochs):
    result, rec = fit(project, spec, mode=mode, epochs=epochs)
    assert result.status in ("completed", "early_stopped")
    assert result.metrics["val_acc"] >= 0.99, rec.of(events.EpochEnd)[-1]
    stages = {e.stage for e in rec.of(events.EpochEnd)}
    if mode == "probe":  # solved once: how the strength and which features were chosen
        [stage] = stages
        assert stage.startswith("linear probe, regularisation chosen by 5-fold cross-validation; features: ")
        assert all(f"{kind} " in stage for kind in ("grid", "levels", "final"))  # each with its estimate
        return
    expected = {"finetune": {"head warm-up", "top 1 of 3 blocks"}, "full": {"all layers"}}[mode]
    assert stages == expected


def test_auto_says_what_it_chose_and_why(project, spec):
    result, rec = fit(project, spec)
    start = rec.of(events.FitStart)[0]
    assert start.mode == "probe" and "9 training samples" in start.mode_reason
    assert start.config["mode"] == "probe" and start.config["epochs"] == 1  # solved, not trained by epochs
    if torch.cuda.is_available():  # scripts/gpu_check.sh runs these tests on a GPU too
        assert start.device.startswith("cuda") and start.precision in ("bf16", "fp32")
    else:
        assert start.device == "cpu" and start.precision == "fp32"
    assert result.metrics["val_acc"] >= 0.99


def test_the_settings_as_asked_stay_as_asked_and_the_run_records_what_it_made_of_them(project, spec):
    asked = TrainConfig(batch_size=8)
    trainer = Trainer(project, asked, spec=spec)
    result = trainer.fit()
    assert trainer.config is asked and asked.backbone is None and asked.mode == "auto"
    recorded = json.loads((Path(result.run_dir) / "config.json").read_text(encoding="utf-8"))["config"]
    assert recorded["backbone"] == spec.name and recorded["mode"] == "probe" and recorded["epochs"] == 1


def test_audio_project_trains_through_the_log_mel_front_end(tmp_path):
    project = make_tone_project(tmp_path, per_class=10)
    try:
        spec = tiny_spec(tmp_path / "w", name="tiny_audio", modality="audio")
        result, _ = fit(project, spec, mode="full", epochs=20, augment="light", lr=3e-3)
        assert result.metrics["val_acc"] >= 0.99
    finally:
        project.close()


# ------------------------------------------------------------------ events, control


def test_event_order(project, spec):
    result, rec = fit(project, spec, mode="finetune", epochs=3)
    kinds = [type(e).__name__ for e in rec.events]
    assert kinds[0] == "FitStart" and kinds[-1] == "FitEnd" and "Failure" not in kinds
    epochs_seen = [e.epoch for e in rec.events if isinstance(e, (events.BatchEnd, events.EpochEnd))]
    assert epochs_seen == sorted(epochs_seen)
    for epoch in (1, 2, 3):  # batches, then the epoch summary, then its checkpoint(s)
        block = [type(e).__name__ for e in rec.events if getattr(e, "epoch", None) == epoch]
        first_epoch_end = block.index("EpochEnd")
        assert set(block[:first_epoch_end]) == {"BatchEnd"}
        assert block[first_epoch_end + 1] == "CheckpointSaved"
    steps = [e.step for e in rec.of(events.BatchEnd)]
    assert steps == list(range(1, len(steps) + 1))
    assert result.epochs_done == 3 and len(rec.of(events.EpochEnd)) == 3
    for e in rec.events:  # plain values only: every event survives JSON
        import json

        json.dumps(events.to_dict(e))


def test_batch_events_are_throttled(project, spec):
    recorder = events.Recorder()
    Trainer(project, TrainConfig(mode="full", epochs=2, batch_size=2), callbacks=[recorder], spec=spec,
            batch_event_interval=10.0).fit()
    # 14 batches per epoch, but at most one event per 10 s plus the last batch of each epoch
    assert len(recorder.of(events.BatchEnd)) <= 4


def test_cancel_takes_effect_within_one_batch(project, spec):
    control = TrainControl()

    def on_batch_end(e):
        if e.step == 3:
            control.cancel()

    cb = type("Cancel", (), {"on_batch_end": staticmethod(on_batch_end)})()
    result, rec = fit(project, spec, [cb], control, mode="full", epochs=5, batch_size=4)
    assert result.status == "cancelled"
    assert [e.step for e in rec.of(events.BatchEnd)] == [1, 2, 3]
    assert not rec.of(events.EpochEnd) and isinstance(rec.events[-1], events.FitEnd)


def test_pause_blocks_between_batches_until_resumed_and_cancel_wakes_it(project, spec):
    control = TrainControl()
    paused_at = {}

    def on_batch_end(e):
        if e.step == 2 and "t" not in paused_at:
            control.pause()
            paused_at["t"] = time.perf_counter()
            threading.Timer(0.4, control.resume).start()

    cb = type("Pause", (), {"on_batch_end": staticmethod(on_batch_end)})()
    stamps = []
    result, rec = fit(project, spec, [cb, lambda e: stamps.append((type(e).__name__, time.perf_counter()))],
                      control, mode="full", epochs=1, batch_size=4)
    assert result.status == "completed"
    third = [t for name, t in stamps if name == "BatchEnd"][2]
    assert third - paused_at["t"] >= 0.35

    control = TrainControl()
    control.pause()
    threading.Timer(0.3, control.cancel).start()
    result, _ = fit(project, spec, control=control, mode="full", epochs=1)
    assert result.status == "cancelled" and result.epochs_done == 0


# ------------------------------------------------------------------ resume, checkpoints


def test_resume_after_a_stop_matches_an_uninterrupted_run(project, spec):
    settings = dict(mode="finetune", epochs=4, augment="light", seed=7, patience=0)
    full, _ = fit(project, spec, **settings)

    control = TrainControl()
    stop = type("Stop", (), {"on_epoch_end": lambda self, e: e.epoch == 2 and control.cancel()})()
    first, _ = fit(project, spec, [stop], control, **settings)
    assert first.status == "cancelled" and first.epochs_done == 2
    rec = events.Recorder()
    resumed = Trainer.resume(project, first.run_id, callbacks=[rec], spec=spec).fit()
    assert rec.of(events.FitStart)[0].resumed_from_epoch == 2
    assert [e.epoch for e in rec.of(events.EpochEnd)] == [3, 4]
    assert resumed.status == "completed" and resumed.epochs_done == 4

    a, b = load_checkpoint(full.last_path), load_checkpoint(resumed.last_path)
    for key, value in a["model"].items():
        torch.testing.assert_close(b["model"][key], value, rtol=1e-4, atol=1e-5)
    assert resumed.metrics == pytest.approx(full.metrics, rel=1e-4)
    lines = (project.runs_dir / first.run_id / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 4


def test_a_refused_resume_leaves_the_earlier_run_as_it_was(project, spec):
    from core.run_catalogue import list_runs
    from core.train.checkpoint import CheckpointError

    control = TrainControl()
    stop = type("Stop", (), {"on_epoch_end": lambda self, e: control.cancel()})()
    first, _ = fit(project, spec, [stop], control, mode="finetune", epochs=3)
    assert first.status == "cancelled"
    project.rename_class(project.class_names()[0], "renamed")
    with pytest.raises(CheckpointError, match="classes changed"):
        Trainer.resume(project, first.run_id, spec=spec).fit()
    assert [(r.id, r.status) for r in list_runs(project)] == [(first.run_id, "cancelled")]


def test_checkpoints_load_with_weights_only_and_rebuild_the_model(project, spec):
    result, rec = fit(project, spec, mode="full", epochs=2)
    for path in (result.last_path, result.best_path):
        ckpt = torch.load(path, weights_only=True)
        assert ckpt["schema"] == 1 and ckpt["class_names"] == project.class_names()
        assert ckpt["backbone"] == "tiny_cnn" and ckpt["config"]["mode"] == "full"
    ckpt = torch.load(result.best_path, weights_only=True)
    model = Classifier(spec.build(), spec.feature_dim, 3, 0.0)
    model.load_state_dict(ckpt["model"])
    assert {"optimizer", "rng", "scheduler"} <= set(torch.load(result.last_path, weights_only=True))
    run_dir = project.runs_dir / result.run_id
    assert (run_dir / "config.json").exists() and len((run_dir / "metrics.jsonl").read_text().splitlines()) == 2
    row = project.conn.execute("SELECT status, metrics FROM runs WHERE id = ?", (result.run_id,)).fetchone()
    assert row[0] == "completed" and "val_acc" in row[1]
    saved = rec.of(events.CheckpointSaved)
    assert {s.kind for s in saved} == {"last", "best"}


def test_out_of_memory_halves_the_batch_and_goes_on(project, spec):
    def faults(batch_size):
        if batch_size > 4:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    rec = events.Recorder()
    result = Trainer(project, TrainConfig(mode="full", epochs=6, batch_size=16), callbacks=[rec], spec=spec,
                     faults=faults).fit()
    backoffs = [w for w in rec.of(events.Warning) if w.kind == "oom_backoff"]
    assert [w.message.split("batches of ")[1].split(";")[0] for w in backoffs] == ["16", "8"]
    assert result.batch_size == 4 and result.status == "completed"
    assert result.metrics["val_acc"] >= 0.99


def test_epoch_two_does_not_decode_files_again(project, spec):
    """The decoded-sample cache: media deleted after epoch 1 does not matter any more."""
    media = [project.path_of(s) for s in project.samples()]
    wipe = type("Wipe", (), {"on_epoch_end": lambda self, e: e.epoch == 1 and [p.unlink() for p in media]})()
    result, rec = fit(project, spec, [wipe], mode="full", epochs=3)
    assert result.status == "completed" and result.skipped_files == 0 and not rec.of(events.Warning)


# ------------------------------------------------------------------ bad input


def test_no_labelled_samples_is_a_sentence(tmp_path, spec):
    from core.importer import import_files
    from core.project import Project
    from tests.helpers.training import colour_image

    for i in range(4):
        colour_image("red", i).save(tmp_path / f"{i}.png")
    with Project.create(tmp_path / "p", "image") as project:
        import_files(project, [tmp_path / f"{i}.png" for i in range(4)], labels="none")
        rec = events.Recorder()
        with pytest.raises(DataError, match="no labelled samples"):
            Trainer(project, TrainConfig(), callbacks=[rec], spec=spec).fit()
        assert isinstance(rec.events[-1], events.Failure) and "label some samples" in rec.events[-1].message


def test_one_class_is_a_sentence(tmp_path, spec):
    from core.run_catalogue import list_runs

    with make_colour_project(tmp_path, per_class=5, classes=("red",)) as project:
        with pytest.raises(DataError, match=r"Only one class \('red'\)"):
            Trainer(project, TrainConfig(), spec=spec).fit()
        assert list_runs(project) == []  # a refusal is a sentence, not a failed run in the list


def test_single_sample_class_warns_and_trains(project, spec):
    from core.importer import import_files
    from tests.helpers.training import colour_image

    path = project.root.parent / "lonely.png"
    colour_image("blue", 999).save(path)
    import_files(project, [path], labels="none")
    sample = project.samples(search="lonely")[0]
    project.set_label([sample.id], "purple")
    result, rec = fit(project, spec, mode="probe")
    assert any("'purple' has a single sample" in w.message for w in rec.of(events.Warning))
    assert result.status in ("completed", "early_stopped")


def test_deleted_and_corrupt_files_are_skipped_reported_and_marked(project, spec):
    samples = project.samples(split="train")
    project.path_of(samples[0]).unlink()
    project.path_of(samples[1]).write_bytes(b"not an image any more")
    result, rec = fit(project, spec, mode="full", epochs=2)
    assert result.status == "completed" and result.skipped_files == 2
    warnings = [w.message for w in rec.of(events.Warning) if w.kind == "skipped_file"]
    assert len(warnings) == 2 and any("missing" in w for w in warnings) and any("not a readable image" in w
                                                                                 or "corrupt" in w for w in warnings)
    assert {project.sample(s.id).status for s in samples[:2]} == {"broken"}


def test_missing_backbone_weights_is_a_sentence(project, tmp_path):
    absent = tiny_spec(tmp_path / "nowhere", name="tiny_absent", write_weights=False)
    with pytest.raises(TransferLabError, match="weights for tiny_absent are not on this computer"):
        Trainer(project, TrainConfig(), spec=absent).fit()


def test_a_device_that_does_not_exist_is_a_sentence(project, spec):
    with pytest.raises(TransferLabError, match="There is no"):
        Trainer(project, TrainConfig(device="cuda:7"), spec=spec).fit()


def test_background_class_is_mixed_into_audio_training_clips(tmp_path):
    """The project's own background sound reaches the training batches at the set SNR."""
    import numpy as np

    from core.train.augment import mix_background

    gen = torch.Generator().manual_seed(0)
    words = torch.ones(64, 1000) * 0.5
    bank = torch.from_numpy(np.random.default_rng(0).normal(0, 0.1, (4, 1000)).astype(np.float32))
    mixed = mix_background(words, bank, (10.0, 10.0), gen, share=1.0)
    noise = mixed - words
    snr = 10 * torch.log10(words.pow(2).mean(1) / noise.pow(2).mean(1))
    assert torch.allclose(snr, torch.full_like(snr, 10.0), atol=0.01)

    project = make_tone_project(tmp_path, per_class=6)
    try:
        rng = np.random.default_rng(1)
        from tests.helpers.media_factory import write_audio

        for i in range(6):
            write_audio(tmp_path / "bg" / "background" / f"n{i}.wav", rng.normal(0, 0.05, 4800).astype(np.float32), 16000)
        from core.importer import import_files

        import_files(project, [tmp_path / "bg"])
        spec = tiny_spec(tmp_path / "w", name="tiny_audio_bg", modality="audio")
        seen = []
        from core.train import make_sources

        real = make_sources.AudioPipeline

        class Spy(real):
            def background_bank(self):
                bank = super().background_bank()
                seen.append(0 if bank is None else bank.shape[0])
                return bank

        make_sources.AudioPipeline = Spy
        try:
            result, _ = fit(project, spec, mode="full", epochs=2, augment="light")
        finally:
            make_sources.AudioPipeline = real
        assert result.status in ("completed", "early_stopped")
        assert seen and max(seen) >= 4  # the background clips of the train split made the bank
    finally:
        project.close()
