"""A probe learning from the project's unlabelled samples (config.unlabelled, core.probe.semi)
through the real trainer: a real project, its SQLite, a tiny real backbone."""

from __future__ import annotations

import json

import pytest
import torch

from core.train import TrainConfig, Trainer, events
from core.train.checkpoint import load as load_checkpoint
from tests.helpers.training import colour_image, make_colour_project, tiny_spec

pytestmark = pytest.mark.usefixtures("two_torch_threads")

UNLABELLED = 10  # a class


@pytest.fixture
def spec(tmp_path):
    return tiny_spec(tmp_path / "weights")


@pytest.fixture
def project(tmp_path):
    from core.importer import import_files

    p = make_colour_project(tmp_path, per_class=4, val=0.0)
    src = tmp_path / "more"
    src.mkdir()
    for k, colour in enumerate(("red", "green", "blue")):
        for i in range(UNLABELLED):
            colour_image(colour, seed=50_000 + 1000 * k + i).save(src / f"{colour}_{i:03d}.png")
    import_files(p, [src], labels="none")
    yield p
    p.close()


def fit(project, spec, **settings):
    recorder = events.Recorder()
    config = TrainConfig(**{"mode": "probe", "probe_views": 0, **settings})
    trainer = Trainer(project, config, callbacks=[recorder], spec=spec)
    return trainer.fit(), recorder


def labels_of(project):
    return {s.hash: (s.label, s.split) for s in project.samples()}


def test_unlabelled_samples_are_counted_and_never_become_labels(project, spec, monkeypatch):
    from core.probe import semi

    monkeypatch.setattr(semi, "GAIN_AT_LEAST", -100)  # take the best candidate whatever the folds say
    monkeypatch.setattr(semi, "CHANCE", 1.0)
    before = labels_of(project)
    result, rec = fit(project, spec)
    assert labels_of(project) == before  # no guessed class reaches the project
    info = result.metrics["unlabelled"]
    assert info["used"] and info["unlabelled"] == 3 * UNLABELLED
    assert 0 < info["pseudo_labelled"] <= 3 * UNLABELLED and sum(info["per_class"]) == info["pseudo_labelled"]
    assert info["method"] in semi.CANDIDATES and set(info["cross_validated"]) == {semi.LABELLED_ONLY, *semi.CANDIDATES}
    [epoch] = rec.of(events.EpochEnd)
    assert f"; unlabelled: learnt from {info['pseudo_labelled']} of {3 * UNLABELLED}" in epoch.stage
    assert epoch.val_acc == info["cross_validated"][info["method"]]  # the estimate is the chosen method's
    saved = load_checkpoint(result.best_path)
    assert saved["best"]["unlabelled"] == info
    line = json.loads((project.runs_dir / result.run_id / "metrics.jsonl").read_text().splitlines()[0])
    assert line["unlabelled"]["pseudo_labelled"] == info["pseudo_labelled"]
    # the guesses are the run's, kept by content hash to compare with labels set later
    guesses = json.loads((project.runs_dir / result.run_id / "pseudo_labels.json").read_text())
    unlabelled = {s.hash for s in project.samples() if s.label is None}
    assert len(guesses["labels"]) == info["pseudo_labelled"] and set(guesses["labels"]) <= unlabelled
    assert sorted(guesses["classes"]) == ["blue", "green", "red"]


def test_a_sample_unlabelled_in_the_test_split_is_not_learnt_from(project, spec):
    test = project.samples(split="none")[0]  # an unlabelled one: labelled, given a split, unlabelled again
    project.set_label([test.id], "red")
    project.conn.execute("UPDATE samples SET split = 'test' WHERE id = ?", (test.id,))
    project.conn.commit()
    project.set_label([test.id], None)
    result, _ = fit(project, spec)
    assert result.metrics["unlabelled"]["unlabelled"] == 3 * UNLABELLED - 1


def test_no_gain_falls_back_to_the_labelled_alone_and_says_so(project, spec):
    result, rec = fit(project, spec)
    plain, _ = fit(project, spec, unlabelled="ignore")
    info = result.metrics["unlabelled"]
    [epoch] = rec.of(events.EpochEnd)
    if info["used"]:  # the colours are easy: the labelled alone are usually perfect already
        pytest.skip("the unlabelled samples helped here; the fallback is tested in test_probe_semi")
    assert info["pseudo_labelled"] == 0 and info["unlabelled"] == 3 * UNLABELLED
    assert "; unlabelled: 30 not used: the unlabelled samples did not gain 2 samples" in epoch.stage
    a = load_checkpoint(result.best_path)["model"]
    b = load_checkpoint(plain.best_path)["model"]
    # the labelled-only head (the second run starts from the first one's choice: the same optimum, not the same bits)
    assert torch.allclose(a["head.weight"], b["head.weight"], atol=5e-3)


def test_ignore_is_the_old_behaviour(project, spec):
    result, rec = fit(project, spec, unlabelled="ignore")
    [epoch] = rec.of(events.EpochEnd)
    assert "unlabelled" not in result.metrics and "unlabelled" not in epoch.stage
    config = json.loads((project.runs_dir / result.run_id / "config.json").read_text())["config"]
    assert config["unlabelled"] == "ignore"


def test_the_terminal_prints_what_the_unlabelled_samples_did(capsys):
    from core.cli.cmd_train import TerminalReport

    stage = ("linear probe, regularisation chosen by 5-fold cross-validation; features: grid (cross-validated: "
             "grid 80.0%); unlabelled: learnt from 90 of 100 with guessed classes (never saved as labels)")
    TerminalReport(quiet=False).on_epoch_end(events.EpochEnd(
        epoch=1, epochs=1, train_loss=float("nan"), train_acc=1.0, val_loss=float("nan"), val_acc=0.9,
        per_class_val_acc={}, seconds=1.0, lr=0.0, is_best=True, stage=stage))
    out = capsys.readouterr().out
    assert "Features: grid (cross-validated: grid 80.0%)." in out  # the features line stops where it should
    assert "Unlabelled samples: learnt from 90 of 100 with guessed classes (never saved as labels)." in out


def test_the_unlabelled_samples_methods_see_two_views_a_sample_however_many_the_head_learns_from(project, spec,
                                                                                                monkeypatch):
    """Their rule was chosen with two views a sample; a head of more views (8 a sound) beside them
    made it forgo a gain. With 6 views the unlabelled samples are judged exactly as with 2."""
    from core.probe import semi

    monkeypatch.setattr(semi, "GAIN_AT_LEAST", -100)  # take the best candidate whatever the folds say
    monkeypatch.setattr(semi, "CHANCE", 1.0)
    two, _ = fit(project, spec, probe_views=2)
    six, _ = fit(project, spec, probe_views=6)
    assert two.metrics["unlabelled"]["used"]
    # the same folds' scores: the methods were judged on the same rows
    assert six.metrics["unlabelled"]["cross_validated"] == two.metrics["unlabelled"]["cross_validated"]
    # the chosen method scored 100% in the folds, so no labelled head's estimate can beat it
    # (with_unlabelled's fewer_views; that comparison is pinned by the test below): it is used,
    # with the threshold and guesses the two-view head found
    method = two.metrics["unlabelled"]["method"]
    assert two.metrics["unlabelled"]["cross_validated"][method] == 1.0
    assert six.metrics["unlabelled"] == two.metrics["unlabelled"]


def test_a_head_judged_on_fewer_views_replaces_the_labelled_one_only_where_it_matches_that_ones_estimate():
    """A sound's labelled head learns from eight views, the unlabelled samples' methods are judged
    with two: the head they give replaces it only where its cross-validated accuracy is at least
    the eight-view head's own estimate."""
    import dataclasses
    from types import SimpleNamespace

    import numpy as np

    from core.probe import semi
    from core.probe.solve import solve_head
    from core.train.probe_fit import with_unlabelled
    from tests.core.test_probe_semi import clusters

    x, y = clusters(3, seed=1)
    u, _ = clusters(100, seed=2)
    main = solve_head(x, y, 4, seed=0)
    config = SimpleNamespace(balance="auto", seed=0)
    scored, groups = np.ones(len(y), bool), np.arange(len(y))
    found, head = with_unlabelled(main, x, y, u, 4, config, groups, scored, None, fewer_views=True)
    assert found.used and torch.equal(head.weight, found.weight)
    chosen = found.scores[found.method]
    # the same, against a labelled head estimated higher than what the unlabelled samples gave
    better = dataclasses.replace(main, estimate=chosen + 0.01)
    kept, head = with_unlabelled(better, x, y, u, 4, config, groups, scored, None, fewer_views=True)
    assert not kept.used and kept.method == semi.LABELLED_ONLY and kept.guesses == {} and head is better
    assert f"{chosen:.1%}" in kept.reason and f"{chosen + 0.01:.1%}" in kept.reason
    assert kept.scores == found.scores  # judged the same; only the comparison differs
    # with as many views as the labelled head (pictures), its estimate is not consulted
    same, head = with_unlabelled(better, x, y, u, 4, config, groups, scored, None)
    assert same.used and head is not better
