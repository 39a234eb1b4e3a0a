"""Multi-task on the desktop: labelling in an extra label set from the Label page, adding a set from
the GUI, and each set's validation accuracy on the Train page."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.core.test_multitask import make_project
from tests.core.test_train_support import tiny_spec


@pytest.fixture
def sets_window(make_window, tmp_path):
    """Main set "colour" (every sample labelled), extra set "mark" (the first 6 samples unlabelled)."""
    project, _marks = make_project(tmp_path, per_class=12, unlabelled_mark=6)
    root = project.root
    project.close()
    return make_window(root)


def _key(qtbot, widget, key) -> None:
    qtbot.keyClick(widget, getattr(Qt.Key, f"Key_{key}"))


def test_number_keys_label_in_the_extra_set_and_undo_reverts_there(sets_window, qtbot):
    window = sets_window
    project = window.services.session.project
    labels = window.services.labels
    window.show_page("label")
    page = window.pages["label"]
    bar = page.set_bar
    assert bar.combo.isVisible() and [bar.combo.itemText(i) for i in range(bar.combo.count())] == [
        "colour (main)", "mark"]
    ids = page.model.ids()
    main_before = project.labels_of(ids)
    marks_before = project.set_labels_of("mark")
    assert set(marks_before) == set(ids[6:])

    bar.combo.setCurrentIndex(1)  # as a person picks "mark"
    assert labels.active_set == "mark"
    assert page.classes.title.text() == "Classes of 'mark'"
    assert page.classes.model.names() == ["light", "dark"]
    assert [c.count for c in page.classes.model._classes] == [15, 15]
    assert not page.suggestion_bar.isVisible() and page.sets_note.isVisible()
    assert "main label set 'colour' only" in page.sets_note.text()
    assert not page.sort_combo.isVisible()
    assert "In 'mark': 30 of 36 labelled · 6 to go" == page.progress_label.text()
    strip = page.strip
    strip.setFocus()
    assert page.current_id() == ids[0]  # the first sample unlabelled in "mark"
    assert page.detail.label_chip.text().endswith("Unlabelled in mark")

    _key(qtbot, strip, 2)  # "dark"
    _key(qtbot, strip, 1)  # "light"
    marks = project.set_labels_of("mark")
    assert marks[ids[0]] == "dark" and marks[ids[1]] == "light"
    assert page.current_id() == ids[2]  # on to the next sample unlabelled in "mark"
    assert page.model.sample_at(0).label == "dark"  # the strip shows the set's label
    assert project.labels_of(ids) == main_before  # the main set is untouched
    assert page.classes.model.class_at(1).count == 16  # counts of the set update live

    qtbot.keyClick(strip, Qt.Key.Key_Left)
    _key(qtbot, strip, 0)  # 0 clears, in the set
    assert ids[1] not in project.set_labels_of("mark")
    assert page.current_id() == ids[1]

    # a new class typed in the panel goes to the set, and gets the next key
    qtbot.keyClicks(page.classes.add_edit, "striped")
    qtbot.mouseClick(page.classes.add_button, Qt.MouseButton.LeftButton)
    assert project.set_class_names("mark") == ["light", "dark", "striped"]
    assert "striped" not in [c.name for c in project.classes()]
    strip.setFocus()
    _key(qtbot, strip, 3)
    assert project.set_labels_of("mark")[ids[1]] == "striped"

    stack = labels.undo_stack
    assert stack.undoText() == "label 1 sample 'striped' in 'mark'"
    for _ in range(4):  # striped, clear, light, dark
        qtbot.keyClick(strip, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.set_labels_of("mark") == marks_before
    assert project.labels_of(ids) == main_before
    assert page.current_id() == ids[0]

    # back in the main set, undo's redo still writes to "mark", and shows it
    bar.combo.setCurrentIndex(0)
    assert labels.active_set is None and page.classes.model.names() == ["blue", "green", "red"]
    assert page.model.sample_at(0).label == main_before[ids[0]]
    qtbot.keyClick(strip, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert project.set_labels_of("mark")[ids[0]] == "dark"
    assert labels.active_set == "mark" and bar.combo.currentText() == "mark"
    assert project.labels_of(ids) == main_before


def test_a_label_set_is_added_from_the_label_page(make_window, tmp_path, qtbot):
    from tests.core.test_train_support import make_colour_project

    project = make_colour_project(tmp_path, per_class=3)
    root = project.root
    project.close()
    window = make_window(root)
    window.show_page("label")
    page = window.pages["label"]
    bar = page.set_bar
    assert not bar.combo.isVisible() and bar.menu_button.isVisible()  # one set: no picker yet

    bar.add_action.trigger()
    dialog = bar.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("has spots")
    dialog.accept()
    project = window.services.session.project
    assert project.label_sets() == ["has spots"]
    assert bar.combo.isVisible() and bar.combo.currentText() == "has spots"
    assert window.services.labels.active_set == "has spots"
    assert page.classes.empty.isVisible() and "No classes in 'has spots'" in page.classes.empty.text()
    for name in ("yes", "no"):
        page.classes.add_edit.setText(name)
        qtbot.mouseClick(page.classes.add_button, Qt.MouseButton.LeftButton)
    page.strip.setFocus()
    first = page.current_id()
    _key(qtbot, page.strip, 2)
    assert project.set_labels_of("has spots") == {first: "no"}

    bar.rename_action.trigger()
    bar.dialog.setTextValue("colour")
    bar.dialog.accept()
    assert project.main_label_set == "colour" and bar.combo.itemText(0) == "colour (main)"

    bar.add_action.trigger()  # a name already taken is a sentence, and nothing changes
    bar.dialog.setTextValue("has spots")
    bar.dialog.accept()
    assert "already a label set named 'has spots'" in window.banner.text_label.text()
    assert project.label_sets() == ["has spots"]


def test_the_train_page_shows_each_label_sets_accuracy(make_window, tmp_path, qtbot):
    project, _ = make_project(tmp_path, per_class=8)
    root = project.root
    project.close()
    window = make_window(root)
    spec = tiny_spec(tmp_path / "weights")
    window.services.training.spec = spec
    window.services.runs.spec = spec
    window.show_page("train")
    page = window.pages["train"]
    qtbot.waitUntil(lambda: page.picker.current_spec() is not None, timeout=10000)
    page.settings.mode.setCurrentIndex(page.settings.mode.findData("probe"))
    page.settings.epochs.setValue(3)
    page.settings.batch_size.setValue(8)
    epochs = []
    window.services.training.epoch_end.connect(epochs.append)
    with qtbot.waitSignal(window.services.training.finished, timeout=60000):
        assert page.start()
    assert [set(e.label_sets_val_acc) for e in epochs] == [{"mark"}] * 3

    assert page.plots.point_counts()["set:mark"] == 3  # a curve per extra set in the accuracy plot
    assert page.plots.set_names() == ["mark"]
    sets = page.progress.sets_label
    assert sets.isVisible() and sets.text().startswith("Other label sets at the best epoch: mark ")
    assert sets.text().endswith("%")
    assert any("mark " in line and line.startswith("Epoch 3/3") for line in page.log.lines)

    item = page.history.tree.topLevelItem(0)
    assert "mark " in item.text(4)  # the best accuracy of each set in the run history
    page.history.tree.clearSelection()
    item.setSelected(True)
    assert "mark val acc" in page.history.detail.text()
    assert page.plots.point_counts()["set:mark"] == 3  # and its curves come back from metrics.jsonl
