"""Fine-tuning the bundled text encoder (real all-MiniLM-L6-v2) through the one trainer: only the
unfrozen layers and the head move, batches are padded to their own longest text, cancel stops
within a batch, the exported model agrees with PyTorch, and a text run can start from another."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.importer import import_files
from core.project import Project
from core.train import TrainConfig, TrainControl, Trainer, events
from core.train.checkpoint import load as load_checkpoint

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("two_torch_threads")]

TEXTS = {
    "sport": ["The striker scored twice.", "The keeper saved a penalty.", "Fans sang in the stadium all match.",
              "The coach praised the defence.", "A late header won the cup.", "The league leaders lost at home.",
              "She won the final set in a tie-break.", "The relay team qualified for the final."],
    "food": ["Simmer the sauce until thick.", "Knead the dough and let it rest.", "Roast the potatoes with garlic.",
             "Whisk the eggs with sugar.", "Season the soup with salt and pepper before serving it hot.",
             "Fry the onions slowly.", "Bake the bread for forty minutes.", "Toast the spices in a dry pan."],
    "weather": ["Heavy rain is expected tonight.", "A heatwave brings 35 degrees.", "Snow is forecast by Friday.",
                "Fog clears by late morning, then sunshine for the rest of the day.", "Thunderstorms may flood the valley.",
                "A cold front brings frost.", "Showers move in from the west.", "Strong winds tomorrow on the coast."],
}
# One epoch, the top layer and the head only: seconds on two cores with the real encoder.
QUICK = dict(mode="finetune", epochs=1, warmup_epochs=0, unfreeze_blocks=1, batch_size=8)


def _project(root):
    src = root / "src"
    for label, texts in TEXTS.items():
        (src / label).mkdir(parents=True)
        for k, text in enumerate(texts):
            (src / label / f"{k}.txt").write_text(text, encoding="utf-8")
    project = Project.create(root / "p", "text", "Topics")
    import_files(project, [src])
    project.reset_splits(val=0.25, test=0.0)
    return project


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    project = _project(tmp_path_factory.mktemp("textft"))
    recorder = events.Recorder()
    result = Trainer(project, TrainConfig(**QUICK), callbacks=[recorder], batch_event_interval=0.0).fit()
    yield project, result, recorder
    project.close()


def test_finetuning_moves_the_unfrozen_layer_and_the_head_only(tuned):
    from core.weights import load_pretrained

    _, result, recorder = tuned
    assert result.status == "completed" and result.epochs_done == 1
    start = recorder.of(events.FitStart)[0]
    assert start.mode == "finetune" and start.mode_reason == "chosen in the settings"
    assert recorder.of(events.EpochEnd)[0].stage == "top 1 of 7 blocks"
    state = load_checkpoint(result.last_path)["model"]
    before = load_pretrained("minilm_l6").state_dict()
    moved = {k for k, v in before.items() if not torch.equal(state["backbone." + k], v)}
    assert moved and all(k.startswith("net.encoder.layer.5.") for k in moved), sorted(moved)[:5]
    top = {k for k in before if k.startswith("net.encoder.layer.5.")}
    assert len(moved) >= len(top) // 2  # the whole top layer learns, not one tensor of it
    assert not torch.equal(state["head.weight"], torch.zeros_like(state["head.weight"]))


def test_batches_are_padded_to_their_own_longest_text(tuned):
    from core import backbones
    from core.train.labelled import from_project
    from core.train.make_sources import targets_of
    from core.train.text_batches import text_sources

    project, _, _ = tuned
    data = from_project(project)
    train, _ = text_sources(data, backbones.get("minilm_l6"), torch.device("cpu"), targets_of)
    (ids, mask), targets, kept = train.fetch([0, 1, 2], None, True)
    lengths = [len(train.tokens[i]) for i in kept]
    assert ids.shape == (3, max(lengths)) and mask.sum(dim=1).tolist() == lengths
    assert targets.tolist() == [data.train[i].label for i in kept]
    assert max(lengths) < 40  # short texts: not padded to max_tokens (256)


def test_an_unreadable_text_is_skipped_and_named(tmp_path):
    project = _project(tmp_path)
    gone = next(s for s in project.samples(status="ok") if s.split == "train")
    project.path_of(gone).write_bytes(b"\x00\x01\x02" * 50)  # no longer text
    recorder = events.Recorder()
    result = Trainer(project, TrainConfig(**QUICK), callbacks=[recorder]).fit()
    assert result.status == "completed" and result.skipped_files == 1
    [warning] = [w for w in recorder.of(events.Warning) if w.kind == "skipped_file"]
    assert "not a text file" in warning.message
    project.close()


def test_cancel_takes_effect_within_one_batch(tmp_path):
    project = _project(tmp_path)
    control = TrainControl()
    recorder = events.Recorder()
    cancel = type("Cancel", (), {"on_batch_end": staticmethod(lambda e: e.step == 2 and control.cancel())})()
    result = Trainer(project, TrainConfig(**{**QUICK, "batch_size": 4, "epochs": 3}), callbacks=[recorder, cancel],
                     control=control, batch_event_interval=0.0).fit()
    assert result.status == "cancelled"
    assert [e.step for e in recorder.of(events.BatchEnd)] == [1, 2]  # 5 batches an epoch: stopped inside the first
    assert not recorder.of(events.EpochEnd)
    project.close()


def test_the_exported_finetuned_model_agrees_with_pytorch(tuned, tmp_path):
    from core.export.exporter import export_run
    from core.predict import Predictor
    from core.runs import load_run

    project, result, _ = tuned
    out = tmp_path / "topics.onnx"
    report = export_run(project, out, result.run_id)
    assert report.parity_max_diff < 1e-4 and report.parity_samples >= 3
    loaded = load_run(project, result.run_id)
    pre = loaded.spec.preprocessing
    texts = ["The goalkeeper was sent off in the derby.", "Cover and chill the dough overnight."]
    with torch.inference_mode():
        want = torch.softmax(loaded.model(*pre.collate([pre.to_tensor(t) for t in texts])), dim=1).numpy()
    predictor = Predictor(out)
    for text, probs in zip(texts, want):
        got = predictor.predict_text(text)
        by_label = {t["label"]: t["confidence"] for t in got.to_json()["top"]}
        assert np.allclose([by_label[c] for c in loaded.class_names], probs, atol=1e-4)


def test_a_text_run_starts_from_another(tuned):
    project, result, _ = tuned
    recorder = events.Recorder()
    again = Trainer(project, TrainConfig(**{**QUICK, "from_run": result.run_id}), callbacks=[recorder]).fit()
    assert again.status == "completed"
    assert "starting from run " + result.run_id in recorder.of(events.FitStart)[0].mode_reason
    first = load_checkpoint(result.best_path)["model"]
    second_start = Trainer(project, TrainConfig(mode="probe", from_run=result.run_id)).fit()
    assert second_start.status == "completed"
    # the probe reads the fine-tuned encoder (frozen), not the pretrained one
    probe = load_checkpoint(second_start.best_path)["model"]
    assert torch.equal(probe["backbone.net.encoder.layer.5.output.dense.weight"],
                       first["backbone.net.encoder.layer.5.output.dense.weight"])


def test_finetuning_can_start_from_a_probe_run(tuned):
    project, _, _ = tuned
    probe = Trainer(project, TrainConfig(mode="probe")).fit()
    recorder = events.Recorder()
    tuned_again = Trainer(project, TrainConfig(**{**QUICK, "from_run": probe.run_id}), callbacks=[recorder]).fit()
    assert tuned_again.status == "completed"
    # the probe's head read every layer's mean, the fine-tuned one reads the last layer's: the encoder
    # carries over, the head starts afresh
    assert f"starting from run {probe.run_id} (0 of 3 classes carried over)" in recorder.of(events.FitStart)[0].mode_reason


def test_auto_keeps_the_probe_for_text_and_says_why(tuned):
    project, _, _ = tuned
    recorder = events.Recorder()
    Trainer(project, TrainConfig(), callbacks=[recorder]).fit()
    start = recorder.of(events.FitStart)[0]
    assert start.mode == "probe" and "fine-tuning the top layers did not beat the probe" in start.mode_reason


def test_fewshot_on_a_text_project_exports_and_predicts(tuned, tmp_path):
    from core.export.exporter import export_run
    from core.fewshot import fewshot_run
    from core.predict import Predictor

    project, _, _ = tuned
    result = fewshot_run(project)
    assert result.status == "completed" and result.metrics["val_acc"] >= 0.75  # leave-one-out, 3 topics
    out = tmp_path / "protos.onnx"
    assert export_run(project, out, result.run_id).parity_max_diff < 1e-4
    predictor = Predictor(out)
    assert predictor.predict_text("The referee sent off the captain in the final.").label == "sport"
    assert predictor.predict_text("Chop the carrots and boil them with the rice.").label == "food"
