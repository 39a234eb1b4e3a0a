"""The quick model and few-shot runs in the app: suggestions from class prototypes of the bundled
backbone's embeddings as soon as two classes have an example, updated as the person labels, and a
few-shot run built from the Train page that Evaluate uses like any other run."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.controllers.suggestions import QUICK_WAITING
from tests.helpers.media_factory import shape_image, write_image

# Separable on purpose: each shape has its own colour on a light ground; size and position vary.
LOOKS = {"circle": (210, 40, 40), "square": (40, 90, 210), "triangle": (30, 160, 60)}


def make_shapes_project(root, per_class: int = 5, labelled: dict[str, int] | None = None, val: float = 0.0):
    """Shapes imported unlabelled (classes made, keys 1-3 in LOOKS order); ``labelled``: how many of each
    shape to label up front. Returns (project, {sample id: true shape})."""
    from core.importer import import_files
    from core.project import Project

    for k, shape in enumerate(LOOKS):
        for i in range(per_class):
            write_image(root / "src" / f"{shape}_{i}.png",
                        shape_image(shape, size=40, seed=31 * k + i, color=LOOKS[shape], bg=(235, 235, 230)))
    project = Project.create(root / "proj", "image", "Shapes")
    import_files(project, [root / "src"], labels="none")
    for shape in LOOKS:
        project.add_class(shape)
    truth = {s.id: s.original_path.replace("\\", "/").rsplit("/", 1)[-1].split("_")[0] for s in project.samples()}
    if labelled:
        picks = [(i, t) for t in labelled for i in [j for j, u in truth.items() if u == t][:labelled[t]]]
        project.set_labels(picks)
        project.reset_splits(val=val, test=0.0)
    return project, truth


@pytest.fixture
def shapes_window(make_window, tmp_path):
    project, truth = make_shapes_project(tmp_path)
    root = project.root
    project.close()
    return make_window(root), truth


def label_with_key(page, qtbot, sample_id: int, key: int) -> None:
    """Go to the sample in the strip and press its class's number key, as a person does."""
    page.go_to_row(page.model.row_of(sample_id))
    assert page.current_id() == sample_id
    qtbot.keyClick(page.strip, getattr(Qt.Key, f"Key_{key}"))


def first_of(truth, shape, skip=()):
    return next(i for i, t in sorted(truth.items()) if t == shape and i not in skip)


def accuracy(suggestions, truth, shapes) -> float:
    scored = [i for i in suggestions if truth[i] in shapes]
    return sum(suggestions[i].label == truth[i] for i in scored) / len(scored)


def test_two_labelled_classes_give_quick_model_suggestions_that_follow_each_label(shapes_window, qtbot):
    window, truth = shapes_window
    ctl = window.services.suggestions
    page = window.pages["label"]
    window.show_page("label")
    assert ctl.trained_run() is None
    qtbot.waitUntil(lambda: ctl.state == QUICK_WAITING, timeout=5000)
    assert not ctl.suggestions and QUICK_WAITING in page.suggestion_bar.state_label.text()

    circle = first_of(truth, "circle")
    label_with_key(page, qtbot, circle, 1)
    qtbot.wait(300)
    assert not ctl.suggestions and ctl.state == QUICK_WAITING  # one class suggests nothing

    square = first_of(truth, "square")
    label_with_key(page, qtbot, square, 2)
    qtbot.waitUntil(lambda: ctl.source == "quick" and not ctl.busy, timeout=60000)
    assert ctl.state == "Suggestions from the quick model: prototypes of 2 labelled samples, updated as you label."
    assert page.suggestion_bar.state_label.text() == ctl.state
    unlabelled = set(truth) - {circle, square}
    assert set(ctl.suggestions) == unlabelled
    assert {s.label for s in ctl.suggestions.values()} <= {"circle", "square"}  # no example of a triangle yet
    assert accuracy(ctl.suggestions, truth, {"circle", "square"}) >= 0.8
    # The page shows the current (unlabelled) sample's suggestion, and Enter takes it.
    current = page.current_id()
    assert current in unlabelled and page.suggestion_bar.chip.isVisible()
    assert f"<b>{ctl.suggestions[current].label}</b>" in page.suggestion_bar.chip_text()

    # One triangle labelled: the suggestions are answered again, from three prototypes, without
    # embedding anything (every sample's embedding is in memory), and triangles are now suggested.
    triangle = first_of(truth, "triangle")
    label_with_key(page, qtbot, triangle, 3)
    qtbot.waitUntil(lambda: "3 labelled samples" in ctl.state and not ctl.busy, timeout=20000)
    assert triangle not in ctl.suggestions and set(ctl.suggestions) == unlabelled - {triangle}
    assert ctl.quick_result.embedded == 0 and ctl.quick_result.class_names == ("circle", "square", "triangle")
    assert accuracy(ctl.suggestions, truth, set(LOOKS)) >= 0.8
    assert any(s.label == "triangle" for s in ctl.suggestions.values())

    # Accepting a suggestion is a label edit too: one more prototype example.
    page.go_to_row(page.model.row_of(first_of(truth, "square", skip={square})))
    expected = page.current_suggestion()
    qtbot.keyClick(page.strip, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "4 labelled samples" in ctl.state and not ctl.busy, timeout=20000)
    assert window.services.session.project.count(label=expected.label) == 2

    # Undo takes the label back, and the quick model follows.
    window.services.labels.undo_stack.undo()
    qtbot.waitUntil(lambda: "3 labelled samples" in ctl.state and not ctl.busy, timeout=20000)


def test_most_uncertain_first_keeps_the_sample_on_screen_when_the_quick_model_answers(shapes_window, qtbot):
    window, truth = shapes_window
    ctl = window.services.suggestions
    page = window.pages["label"]
    window.show_page("label")
    label_with_key(page, qtbot, first_of(truth, "circle"), 1)
    label_with_key(page, qtbot, first_of(truth, "square"), 2)
    qtbot.waitUntil(lambda: ctl.source == "quick" and not ctl.busy, timeout=60000)
    page.sort_combo.setCurrentIndex(page.sort_combo.findData("uncertain"))
    least_sure = page.current_id()
    assert least_sure == min(ctl.suggestions, key=lambda i: (ctl.suggestions[i].confidence, i))
    qtbot.keyClick(page.strip, getattr(Qt.Key, f"Key_{list(LOOKS).index(truth[least_sure]) + 1}"))
    shown = page.current_id()
    assert shown != least_sure
    qtbot.waitUntil(lambda: "3 labelled samples" in ctl.state and not ctl.busy, timeout=20000)
    assert page.current_id() == shown  # re-sorted underneath, but not moved away from


def test_a_trained_run_still_wins_over_the_quick_model(make_window, tmp_path, qtbot):
    from core.train import TrainConfig, Trainer
    from tests.helpers.training import tiny_spec

    project, _truth = make_shapes_project(tmp_path, per_class=4, labelled={"circle": 2, "square": 2}, val=0.0)
    spec = tiny_spec(tmp_path / "weights")
    run = Trainer(project, TrainConfig(mode="probe", epochs=1, batch_size=4), spec=spec).fit()
    root = project.root
    project.close()
    window = make_window(root)
    window.services.runs.spec = spec
    ctl = window.services.suggestions
    window.show_page("label")
    qtbot.waitUntil(lambda: ctl.source is not None and not ctl.busy, timeout=20000)
    assert ctl.source == "run" and ctl.run_id == run.run_id
    assert ctl.state.startswith(f"Suggestions from the model of run {run.run_id}")


@pytest.fixture
def fewshot_window(make_window, tmp_path):
    project, truth = make_shapes_project(tmp_path, per_class=5, labelled={"circle": 4, "square": 4, "triangle": 4},
                                         val=0.25)
    root = project.root
    project.close()
    return make_window(root), truth


def test_the_fewshot_mode_on_the_train_page_builds_a_run_that_evaluate_uses(fewshot_window, qtbot):
    window, _truth = fewshot_window
    page = window.pages["train"]
    training, runs = window.services.training, window.services.runs
    window.show_page("train")
    qtbot.waitUntil(lambda: page.picker.current_spec() is not None, timeout=20000)
    settings = page.settings
    settings.mode.setCurrentIndex(settings.mode.findData("fewshot"))
    assert settings.mode.currentText() == "Few-shot (instant, no training)"
    assert "No training" in settings.mode_hint.text()
    assert page.start_button.text() == "Build few-shot model"
    assert not settings.epochs.isEnabled() and not settings.lr.isEnabled() and settings.mode.isEnabled()

    with qtbot.waitSignal(training.finished, timeout=60000):
        qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
        assert not page.start_button.isEnabled() and not page.pause_button.isEnabled()
        assert page.status_label.text() == "Building the few-shot model…"
    assert page.status_label.text().startswith("Few-shot model ready in ")
    assert "3 classes from 12 labelled examples" in page.status_label.text()  # every split but test
    assert page.history.tree.topLevelItemCount() == 1
    row = page.history.tree.topLevelItem(0)
    assert row.text(2) == "fewshot" and row.text(3) == "completed"
    info = runs.info(runs.current)
    assert info is not None and info.mode == "fewshot" and info.has_model
    assert page.start_button.isEnabled() and settings.mode.isEnabled() and not settings.epochs.isEnabled()
    card = page.fewshot  # what was built takes the explanation's place
    assert card.how.isHidden() and not card.result.isHidden() and "Leave-one-out accuracy" in card.note.text()

    # Evaluate works on it as on any run: no test split here, so each example is predicted by the
    # prototypes of the others, never by ones built from it...
    evaluate = window.pages["evaluate"]
    window.show_page("evaluate")
    qtbot.waitUntil(lambda: evaluate.view is not None, timeout=60000)
    assert evaluate.view.run.run_id == info.id
    assert evaluate.view.run.split == "learnt" and evaluate.view.run.evaluation.count == 12
    assert "prototypes of the other examples" in evaluate.subtitle.text()
    assert evaluate.view.run.evaluation.accuracy >= 0.8
    # ...and the Label page keeps the quick model (the same model, kept up to date), not the frozen run.
    ctl = window.services.suggestions
    window.show_page("label")
    qtbot.waitUntil(lambda: ctl.source is not None and not ctl.busy, timeout=60000)
    assert ctl.source == "quick" and ctl.trained_run() is None


def test_a_fewshot_model_needs_two_classes(make_window, tmp_path, qtbot):
    project, _truth = make_shapes_project(tmp_path, per_class=3, labelled={"circle": 3})
    root = project.root
    project.close()
    window = make_window(root)
    page = window.pages["train"]
    window.show_page("train")
    qtbot.waitUntil(lambda: page.picker.current_spec() is not None, timeout=20000)
    page.settings.mode.setCurrentIndex(page.settings.mode.findData("fewshot"))
    with qtbot.waitSignal(window.services.training.finished, timeout=30000):
        page.start()
    assert page.status_label.text() == "The few-shot model could not be built."
    assert any("at least two classes" in line for line in page.log.lines)
    assert window.services.runs.runs() == []


def test_a_big_project_gets_its_first_quick_guesses_before_every_sample_is_read(shapes_window, qtbot):
    window, truth = shapes_window
    ctl = window.services.suggestions
    ctl.quick_budget = 4  # samples read per job (128 in the app)
    states = []
    ctl.state_changed.connect(states.append)
    page = window.pages["label"]
    window.show_page("label")
    label_with_key(page, qtbot, first_of(truth, "circle"), 1)
    label_with_key(page, qtbot, first_of(truth, "square"), 2)
    qtbot.waitUntil(lambda: ctl.source == "quick" and not ctl.busy, timeout=60000)
    partial = [s for s in states if "still to read" in s]
    assert partial and partial[0].endswith("prototypes of 2 labelled samples; 9 samples still to read…")
    assert ctl.state.endswith("updated as you label.") and len(ctl.suggestions) == len(truth) - 2


def test_the_quick_model_suggests_what_a_saved_fewshot_run_predicts(tmp_path):
    """Same prototypes, same maths: the Label page's quick model and the run the Train page saves
    (and exports) agree, sample by sample (all labelled samples in train, so both use the same ones)."""
    import numpy as np

    from core.evaluate.run_eval import predict_samples
    from core.fewshot import fewshot_run
    from core.fewshot.quick import QuickModel
    from core.runs import load_run

    project, _truth = make_shapes_project(tmp_path, per_class=4, labelled={"circle": 2, "square": 1, "triangle": 2})
    try:
        quick = QuickModel().suggest(project)
        assert quick.class_names == ("circle", "square", "triangle") and quick.counts == (2, 1, 2)
        run = load_run(project, fewshot_run(project).run_id)
        targets = [s for s in project.samples() if s.id in set(quick.sample_ids)]
        probs, kept, _ = predict_samples(run, project, targets)
        assert [targets[i].id for i in kept] == list(quick.sample_ids)
        np.testing.assert_allclose(probs, quick.probabilities, atol=2e-3)
    finally:
        project.close()


def test_the_quick_model_maths_imports_no_torch():
    import subprocess
    import sys

    code = "import sys, core.fewshot.quick, core.fewshot.maths; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
