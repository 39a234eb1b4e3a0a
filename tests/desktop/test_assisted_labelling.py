"""Model-assisted labelling on the Label page: suggestions from a trained run, Enter accepts,
"accept all above" labels the confident ones in one undoable step, "most uncertain first" sorts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.helpers.training import make_colour_project, tiny_spec


@pytest.fixture
def assisted(make_window, tmp_path):
    from core.project import UNLABELLED
    from core.train import TrainConfig, Trainer

    spec = tiny_spec(tmp_path / "weights")
    project = make_colour_project(tmp_path, per_class=8)
    Trainer(project, TrainConfig(mode="full", epochs=3, batch_size=8), spec=spec).fit()
    cleared = [s.id for s in project.samples()][::3]
    project.set_labels([(i, None) for i in cleared])
    assert project.count(label=UNLABELLED) == len(cleared)
    root = project.root
    project.close()
    window = make_window(root)
    window.services.runs.spec = spec
    window.services.training.spec = spec
    return window, cleared


def open_label_page(window, qtbot):
    page = window.pages["label"]
    window.show_page("label")
    ctl = window.services.suggestions
    qtbot.waitUntil(lambda: bool(ctl.suggestions) and not ctl.busy, timeout=20000)
    return page, ctl


def test_enter_accepts_the_suggestion_and_accept_all_labels_the_rest(assisted, qtbot):
    window, cleared = assisted
    page, ctl = open_label_page(window, qtbot)
    project = window.services.session.project
    assert set(ctl.suggestions) == set(cleared)
    assert all(0.0 < s.confidence <= 1.0 for s in ctl.suggestions.values())

    sample_id = page.current_id()
    assert sample_id in cleared  # the page opens on the first unlabelled sample
    suggestion = page.current_suggestion()
    assert suggestion is not None and suggestion.label in {"red", "green", "blue"}
    assert page.suggestion_bar.chip.isVisible()
    assert f"{suggestion.label}</b> {suggestion.confidence:.0%} — Enter accepts" in page.suggestion_bar.chip_text()

    qtbot.keyClick(page.strip, Qt.Key.Key_Return)
    assert project.labels_of([sample_id])[sample_id] == suggestion.label
    assert page.current_id() != sample_id and page.current_id() in cleared  # on to the next unlabelled one

    page.suggestion_bar.threshold.setValue(0)
    qtbot.mouseClick(page.suggestion_bar.accept_button, Qt.MouseButton.LeftButton)
    labels = project.labels_of(cleared)
    assert all(labels[i] == ctl.suggestions[i].label for i in cleared)
    # One step undoes the whole "accept all"; the Enter before it stays.
    window.services.labels.undo_stack.undo()
    labels = project.labels_of(cleared)
    assert [i for i in cleared if labels[i] is not None] == [sample_id]


def test_most_uncertain_first_puts_the_least_confident_first(assisted, qtbot):
    window, cleared = assisted
    page, ctl = open_label_page(window, qtbot)
    page.sort_combo.setCurrentIndex(page.sort_combo.findData("uncertain"))
    ids = page.model.ids()
    confidences = [ctl.suggestions[i].confidence for i in ids[:len(cleared)]]
    assert set(ids[:len(cleared)]) == set(cleared)
    assert confidences == sorted(confidences)
    assert page.current_id() == ids[0]  # the least confident sample is the one shown
    # Labelling it moves on in that order.
    qtbot.keyClick(page.strip, Qt.Key.Key_Return)
    assert page.current_id() == ids[1]
    page.sort_combo.setCurrentIndex(page.sort_combo.findData("import"))
    assert page.model.ids() == sorted(ids)


def test_suggestions_follow_the_best_finished_run_not_the_newest(assisted, qtbot):
    """A later run stopped after one epoch must not take over the suggestions (it did: the newest run
    was used, cancelled or not); a new finished run does when it is the best, and the state says
    which run it is and how good."""
    from core.run_catalogue import best_run, list_runs
    from core.train import TrainConfig, TrainControl, Trainer

    window, _cleared = assisted
    _page, ctl = open_label_page(window, qtbot)
    first = ctl.run_id
    assert "the best finished run" in ctl.state and "validation accuracy" in ctl.state
    project, runs = window.services.session.project, window.services.runs
    control = TrainControl()
    stopped = Trainer(project, TrainConfig(mode="full", epochs=5, batch_size=8), spec=runs.spec, control=control,
                      callbacks=[lambda e: type(e).__name__ == "CheckpointSaved" and control.cancel()]).fit()
    assert stopped.status == "cancelled" and stopped.best_path
    runs.run_finished()  # what the Train page's finished signal does
    qtbot.wait(200)
    qtbot.waitUntil(lambda: not ctl.busy, timeout=20000)
    assert runs.current == first and ctl.run_id == first
    Trainer(project, TrainConfig(mode="full", epochs=6, batch_size=8), spec=runs.spec).fit()
    runs.run_finished()
    best = best_run(list_runs(project)).id
    qtbot.waitUntil(lambda: ctl.run_id == best and not ctl.busy, timeout=20000)
    assert runs.current == best and ctl.suggestions
