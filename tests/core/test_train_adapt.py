"""Unsupervised domain adaptation (``--from-run`` into a project of another domain, core.train.adapt):
AdaBN re-measures the batch-norm statistics and nothing else; a project with no labels gets a model
of the source run's classes that exports and predicts; guessed classes never become labels. A real
project, its SQLite, a tiny real backbone with batch norm."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from core.probe import adapt as ops
from core.train import TrainConfig, Trainer, events
from tests.helpers.training import TinyNet, colour_image, make_colour_project, tiny_spec



@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The logistic fits here are tiny: on two busy cores, two threads made them 7x slower (74 s
    against 10 s for the source run), the hand-off costing more than the work."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

# the few-labels test labels the module's target project: it runs last

TARGET = 12  # unlabelled target pictures a class


def test_adabn_moves_the_statistics_to_the_targets_and_changes_nothing_else():
    torch.manual_seed(0)
    net = TinyNet()
    net.train()
    with torch.no_grad():  # "source" statistics: pictures around 0
        for _ in range(4):
            net(torch.randn(16, 3, 32, 32))
    net.eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    target = [(torch.randn(16, 3, 32, 32) * 3 + 2,) for _ in range(4)]  # brighter, more contrast
    seen = ops.adabn(net, target)
    after = net.state_dict()
    assert seen == 64 and not net.training  # left in the mode it was in
    stem = net.stem[1]
    assert stem.momentum == 0.1  # its own momentum back
    # the first layer's statistics are now the target's: measure them directly
    with torch.no_grad():
        conv = torch.cat([net.stem[0](x) for (x,) in target])
    assert torch.allclose(stem.running_mean, conv.mean(dim=(0, 2, 3)), atol=1e-4)
    assert not torch.allclose(before["stem.1.running_mean"], after["stem.1.running_mean"], atol=1e-2)
    for k, v in after.items():
        if "running_" in k or "num_batches_tracked" in k:
            continue
        assert torch.equal(v, before[k]), k  # weights, scales and shifts untouched


def test_self_training_without_labels_keeps_classes_balanced_and_fits_the_guesses():
    rng = np.random.default_rng(0)
    centres = np.array([[3.0, 0.0], [0.0, 3.0]])
    zu = torch.from_numpy(np.concatenate([rng.normal(c, 1.0, (40, 2)) for c in centres]))
    w0 = torch.tensor([[1.0, -1.0], [-0.2, 0.2]], dtype=torch.float64)  # a shifted boundary: favours class 0
    st = ops.self_train(zu, w0, torch.zeros(2, dtype=torch.float64), 1.0)
    truth = np.repeat([0, 1], 40)
    before = (ops.proba(zu, w0, torch.zeros(2)).argmax(1) == truth).mean()
    after = (ops.proba(zu, st.weight, st.bias).argmax(1) == truth).mean()
    assert st.pseudo == sum(st.per_class) and max(st.per_class) <= int(ops.SHARE * 80 / 2)
    assert after > before  # measured 0.76 -> 0.96


def _dim_tinted(colour, seed):
    """The target domain: the colour pictures dim and tinted."""
    arr = np.asarray(colour_image(colour, seed)).astype(np.float32) * 0.45 + np.array([60, 30, 0])
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def domains(tmp_path_factory):
    from core.importer import import_files
    from core.project import Project

    tmp_path = tmp_path_factory.mktemp("domains")
    spec = tiny_spec(tmp_path / "weights")
    source = make_colour_project(tmp_path / "a", per_class=8)
    # full training: its batch-norm statistics are its domain's, so adapting re-measures them
    run = Trainer(source, TrainConfig(mode="full", epochs=3, batch_size=8), spec=spec).fit()
    src = tmp_path / "b-files"
    src.mkdir()
    for k, colour in enumerate(("red", "green", "blue")):
        for i in range(TARGET):
            _dim_tinted(colour, 70_000 + 1000 * k + i).save(src / f"{colour}_{i:03d}.png")
    target = Project.create(tmp_path / "b", "image", "Dim colours")
    import_files(target, [src], labels="none")
    yield spec, source, run, target
    source.close()
    target.close()


def _embedded(project) -> int:
    """Rows in the project's embedding caches, of every backbone identity."""
    import sqlite3

    total = 0
    for path in (project.cache_dir / "embeddings").glob("*.sqlite"):
        with sqlite3.connect(path) as db:
            total += db.execute("SELECT COUNT(*) FROM emb").fetchone()[0]
    return total


def test_a_project_without_labels_adapts_the_source_run_exports_and_predicts(domains, tmp_path):
    from core.export.exporter import export_run
    from core.predict import Predictor

    spec, source, run, target = domains
    labels = {s.hash: (s.label, s.split) for s in target.samples()}
    recorder = events.Recorder()
    result = Trainer(target, TrainConfig(from_run=run.run_dir), callbacks=[recorder], spec=spec).fit()
    assert result.status == "completed"
    assert {s.hash: (s.label, s.split) for s in target.samples()} == labels  # no guess became a label
    info = result.metrics["adaptation"]
    assert info["used"] and info["labelled"] == 0 and info["unlabelled"] == 3 * TARGET
    assert info["adabn"] == {"layers": 3, "samples": 3 * TARGET}
    assert info["method"] == "adabn" and "self_training" not in info  # no labels: AdaBN alone (core.train.adapt)
    # each unlabelled picture embedded once, by the adapted backbone (not first by the source's too)
    assert _embedded(target) == 3 * TARGET
    [start] = recorder.of(events.FitStart)
    assert start.mode == "probe" and list(start.class_names) == ["blue", "green", "red"]  # the source run's classes
    [epoch] = recorder.of(events.EpochEnd)
    assert ("adaptation: batch-norm statistics of 3 layers re-measured on 36 target samples (AdaBN); the head's input "
            "standardised on 36 target samples" in epoch.stage)
    assert "no labels: no accuracy estimate" in epoch.stage and epoch.val_acc != epoch.val_acc
    assert not (target.runs_dir / result.run_id / "pseudo_labels.json").exists()
    # the adapted statistics are the run's backbone weights: they differ from the source run's
    saved = torch.load(result.best_path, weights_only=True)["model"]
    earlier = torch.load(run.best_path, weights_only=True)["model"]
    key = "backbone.net.stem.1.running_mean"
    assert not torch.allclose(saved[key], earlier[key], atol=1e-3)
    assert torch.equal(saved["backbone.net.stem.0.weight"], earlier["backbone.net.stem.0.weight"])
    report = export_run(target, tmp_path / "adapted.onnx", result.run_id, spec=spec)
    assert report.parity_max_diff < 1e-4
    files = [target.path_of(s) for s in target.samples()]
    predictions = Predictor(report.path).predict([str(p) for p in files], top=1)
    assert len(predictions) == len(files)
    truth = [s.original_path.rsplit("/", 1)[-1].split("_")[0] for s in target.samples()]
    got = [p.top[0][0] for p in predictions]
    print(f"\nadapted, on the target's pictures: {np.mean([a == b for a, b in zip(got, truth)]):.1%}")


def test_self_training_without_labels_learns_guesses_that_never_become_labels(domains, monkeypatch):
    from core.train import adapt

    spec, _, run, target = domains
    monkeypatch.setattr(adapt, "SELF_TRAIN_WITHOUT_LABELS", True)
    labels = {s.hash: (s.label, s.split) for s in target.samples()}
    result = Trainer(target, TrainConfig(from_run=run.run_dir), spec=spec).fit()
    assert {s.hash: (s.label, s.split) for s in target.samples()} == labels
    st = result.metrics["adaptation"]["self_training"]
    assert 0 < st["pseudo_labelled"] == sum(st["per_class"]) <= 3 * TARGET
    guesses = json.loads((target.runs_dir / result.run_id / "pseudo_labels.json").read_text())
    assert len(guesses["labels"]) == st["pseudo_labelled"] and set(guesses["labels"]) <= set(labels)


def test_with_adapt_off_a_project_without_labels_is_a_sentence(domains):
    from core.errors import TransferLabError

    spec, _, run, target = domains
    with pytest.raises(TransferLabError, match="no labelled samples; with --adapt off"):
        Trainer(target, TrainConfig(from_run=run.run_dir, adapt="off"), spec=spec).fit()
    with pytest.raises(TransferLabError, match="a probe: use --mode probe or auto"):
        Trainer(target, TrainConfig(from_run=run.run_dir, mode="full"), spec=spec).fit()


def test_a_probe_source_keeps_its_imagenet_statistics_and_the_head_input_is_restandardised(domains, tmp_path):
    """A probe's backbone statistics are ImageNet's, not its domain's: they are kept, and the probe's own
    normalisation (its input standardisation) is the one measured again on the target."""
    spec, source, _, target = domains
    probe = Trainer(source, TrainConfig(mode="probe", probe_views=0, probe_features="final"), spec=spec).fit()
    result = Trainer(target, TrainConfig(from_run=probe.run_dir), spec=spec).fit()
    info = result.metrics["adaptation"]
    assert info["adabn"] is None and info["source_mode"] == "probe" and info["standardised_on"] == 3 * TARGET
    saved = torch.load(result.best_path, weights_only=True)["model"]
    earlier = torch.load(probe.best_path, weights_only=True)["model"]
    backbone = [k for k in saved if k.startswith("backbone.")]
    assert backbone and all(torch.equal(saved[k], earlier[k]) for k in backbone)
    assert not torch.allclose(saved["feature_mean"], earlier["feature_mean"])


def test_with_a_few_labels_cross_validation_decides_and_the_report_says_before_and_after(domains):
    spec, _, run, target = domains
    samples = target.samples()
    by_colour = {}
    for s in samples:
        by_colour.setdefault(s.original_path.rsplit("/", 1)[-1].split("_")[0], []).append(s.id)
    target.set_labels([(i, c) for c, ids in by_colour.items() for i in ids[:4]])
    target.reset_splits(val=0.0, test=0.0)
    recorder = events.Recorder()
    result = Trainer(target, TrainConfig(from_run=run.run_dir, mode="probe", probe_views=0), callbacks=[recorder],
                     spec=spec).fit()
    info = result.metrics["adaptation"]
    assert info["labelled"] == 12 and 0.0 <= info["before"] <= 1.0 and 0.0 <= info["adabn_only"] <= 1.0
    assert set(info["cross_validated"]) == {"labelled only", "adabn", "adabn + self-training"}
    [epoch] = recorder.of(events.EpochEnd)
    assert "; adaptation: " in epoch.stage
    if not info["used"]:  # fell back to the labelled alone, and says why
        assert "adapting did not gain" in info["reason"] and "not used: adapting did not gain" in epoch.stage
        assert "unlabelled" not in result.metrics  # the plain from-run probe: no semi-supervised learning either
    else:
        assert info["after"] == result.metrics["val_acc"]


def test_the_terminal_prints_what_adapting_did(capsys):
    from core.cli.cmd_train import TerminalReport

    stage = ("linear probe, run 1's head adapted to this project's samples, chosen by a fixed rule, no labels to judge "
             "by; adaptation: batch-norm statistics kept; self-trained on 30 of 36 unlabelled samples; no labels: no "
             "accuracy estimate (no labels to judge by)")
    TerminalReport(quiet=False).on_epoch_end(events.EpochEnd(
        epoch=1, epochs=1, train_loss=float("nan"), train_acc=float("nan"), val_loss=float("nan"),
        val_acc=float("nan"), per_class_val_acc={}, seconds=1.0, lr=0.0, is_best=True, stage=stage))
    out = capsys.readouterr().out
    assert "no accuracy estimate (no labels)" in out
    assert "Adaptation: batch-norm statistics kept; self-trained on 30 of 36 unlabelled samples" in out
