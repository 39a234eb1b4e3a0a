"""Few-shot with a prototype head on the bundled backbone: usable from one example per class,
better than fine-tuning on the same few examples, and exported with its prototypes in the graph."""

from pathlib import Path

import numpy as np
import pytest

from core.evaluate.run_eval import predict_samples
from core.export.exporter import export_run
from core.fewshot import fewshot_run
from core.fewshot.prototypes import leave_one_out, prototypes_from
from core.importer import import_files
from core.predict import Predictor
from core.project import Project
from core.runs import load_run
from core.train import TrainConfig, Trainer
from tests.helpers.media_factory import SHAPES, shape_image, write_image


@pytest.fixture(scope="module")
def heldout(tmp_path_factory):
    root = tmp_path_factory.mktemp("held")
    for k, shape in enumerate(SHAPES):
        for i in range(12):
            write_image(root / "src" / shape / f"{i}.png", shape_image(shape, size=96, seed=9000 + 50 * k + i))
    project = Project.create(root / "p", "image")
    import_files(project, [root / "src"])
    yield project
    project.close()


def _shots(root, k):
    for j, shape in enumerate(SHAPES):
        for i in range(k):
            write_image(root / "src" / shape / f"{i}.png", shape_image(shape, size=96, seed=100 * j + i))
    project = Project.create(root / "p", "image")
    import_files(project, [root / "src"])
    project.reset_splits(val=0.0, test=0.0)  # every shot is for learning
    return project


def _accuracy(project, run_id, heldout) -> float:
    loaded = load_run(project, run_id)
    samples = heldout.samples()
    probs, kept, _ = predict_samples(loaded, heldout, samples)
    return float(np.mean([loaded.class_names[int(p.argmax())] == samples[i].label for p, i in zip(probs, kept)]))


@pytest.mark.parametrize("shots", [1, 5])
def test_prototypes_from_few_shots_beat_fine_tuning_on_them(tmp_path, heldout, shots):
    project = _shots(tmp_path, shots)
    try:
        fewshot = _accuracy(project, fewshot_run(project).run_id, heldout)
        tuned = _accuracy(project, Trainer(project, TrainConfig(mode="finetune", epochs=6, batch_size=8)).fit().run_id, heldout)
        print(f"\n{shots} shot(s) per class: prototypes {fewshot:.1%}, fine-tuning {tuned:.1%}")
        assert fewshot >= (0.7 if shots == 1 else 0.85)
        assert fewshot >= tuned
    finally:
        project.close()


def test_fewshot_run_exports_with_prototypes_inside(tmp_path):
    project = _shots(tmp_path, 3)
    try:
        run = fewshot_run(project)
        assert run.details["examples_per_class"] == [3, 3, 3] and run.metrics["val_acc"] >= 0.5
        report = export_run(project, tmp_path / "fewshot.onnx", run.run_id)
        assert report.parity_max_diff < 1e-4
        p = Predictor(report.path)
        assert p.metadata["mode"] == "fewshot"
        card = (tmp_path / "fewshot.md").read_text(encoding="utf-8")  # the model card names its score as it is
        assert "leave-one-out accuracy" in card and "validation accuracy" not in card
        sample = project.samples(label="circle")[0]
        (r,) = p.predict([project.path_of(sample)])
        assert r.label == "circle"
    finally:
        project.close()


def test_prototype_maths():
    emb = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    labels = np.array([0, 0, 1, 1])
    protos = prototypes_from(emb, labels, 2)
    assert np.allclose(np.linalg.norm(protos, axis=1), 1.0)
    assert protos[0, 0] > 0.9 and protos[1, 1] > 0.9
    assert leave_one_out(emb, labels, 2) == 1.0
    assert leave_one_out(emb[[0, 2]], np.array([0, 1]), 2) is None  # one example each: nothing to hold out


def test_train_mode_fewshot_from_the_command_line(tmp_path, capsys, monkeypatch):
    import io
    import json
    import sys

    from core.cli import main

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    _shots(tmp_path, 2).close()
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["train", str(tmp_path / "p"), "--mode", "fewshot", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "fewshot" and out["examples_per_class"] == [2, 2, 2]
    assert sorted(out) == ["class_names", "device", "examples_per_class", "metrics", "mode", "run_dir", "run_id",
                           "seconds"]
    assert (tmp_path / "p" / "runs" / out["run_id"] / "best.pt").is_file()
    assert "\rEmbedding [" in term.getvalue() and "6/6" in term.getvalue()  # progress, on a terminal


def test_a_stopped_fewshot_build_saves_nothing_and_two_classes_can_be_required(tmp_path):
    from core.errors import TransferLabError
    from core.run_catalogue import list_runs

    project = _shots(tmp_path, 1)
    try:
        assert fewshot_run(project, should_stop=lambda: True).status == "cancelled" and list_runs(project) == []
        for s in project.samples(label="square") + project.samples(label="triangle"):
            project.clear_label([s.id])
        with pytest.raises(TransferLabError, match="at least two classes"):
            fewshot_run(project, min_classes=2)
        assert fewshot_run(project).details["class_names"] == ["circle"]  # the command line takes one class
    finally:
        project.close()


def test_leave_one_out_measures_nothing_with_one_class():
    """One class is always right: no 100% is reported for it (a stranger's try found one)."""
    rng = np.random.default_rng(0)
    one = rng.normal(size=(4, 8))
    assert leave_one_out(one, np.zeros(4, dtype=int), 1) is None
    assert leave_one_out(one, np.zeros(4, dtype=int), 3) is None  # other classes named, without examples
    two = np.concatenate([one + 5, one - 5])
    assert leave_one_out(two, np.repeat([0, 1], 4), 2) == 1.0


def test_a_fewshot_run_without_a_test_split_is_evaluated_on_its_leave_one_out_predictions(tmp_path, capsys):
    """A new project's small classes have no test split: Evaluate then scores every example the
    prototypes were built from by the prototypes of the other examples (the leave-one-out accuracy
    the run reported), never by prototypes that include it."""
    from core.evaluate.run_eval import evaluate_run
    from core.fewshot.prototypes import build_prototypes

    project = _shots(tmp_path, 4)
    try:
        lone = project.samples(label="circle")[1:]
        project.set_label([s.id for s in lone], None)  # circle keeps one example: nothing can judge it
        run = fewshot_run(project)
        result = evaluate_run(project, run.run_id)
        assert result.split == "learnt" and result.held_out_how == "leave-one-out"
        assert result.evaluation.count == result.cross_validated == 8  # the two classes of four; not the lone circle
        assert result.evaluation.accuracy == pytest.approx(run.metrics["val_acc"])
        assert "prototypes of the other examples" in result.held_out_words
        assert result.left_out == 1 and result.left_out_words.startswith("1 more is not counted")  # the lone circle
        assert result.left_out_words in Path(result.report_html).read_text(encoding="utf-8")
        # a sample labelled after the run has no held-out prediction either: not counted, and said so
        project.set_label([lone[0].id], "square")
        later = evaluate_run(project, run.run_id, write_report=False)
        assert later.evaluation.count == 8 and later.left_out == 2 and "labelled after this run" in later.left_out_words
        assert later.to_json()["left_out"] == 2
        assert later.left_out_brief == "2 not counted (labelled after this run, or alone in their class)"
        from core.cli import main as cli_main

        project.close()  # the command opens the project itself
        assert cli_main(["eval", str(project.root), "--run", run.run_id]) == 0
        assert "2 more are not counted: no model that did not see them predicted them" in capsys.readouterr().out
        project = Project.open(project.root)
        project.set_label([lone[0].id], None)
        protos = build_prototypes(project)[0]
        held = protos.held_out
        assert len(held) == 8 and all(abs(sum(p) - 1) < 1e-4 for p in held.values())
        flatter = build_prototypes(project, scale=4.0)[0].held_out  # the saved head's scale, not a fixed one
        assert all(max(flatter[h]) < max(held[h]) and np.argmax(flatter[h]) == np.argmax(held[h]) for h in held)
        # in-sample the prototypes know every example; the held-out ones are what was scored
        loaded = load_run(project, run.run_id)
        samples = [s for s in project.samples() if s.label is not None and s.hash in held]
        probs, kept, _ = predict_samples(loaded, project, samples)
        assert not np.allclose(probs, np.array([held[samples[i].hash] for i in kept]), atol=1e-3)
    finally:
        project.close()
