"""Multi-task on the desktop: labelling in an extra label set from the Label page, adding a set from
the GUI, and each set's validation accuracy on the Train page."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from tests.helpers.multitask import make_project
from tests.helpers.training import tiny_spec


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
    from tests.helpers.training import make_colour_project

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


def _answer_modal(qtbot, answer) -> list:
    """Answer the next modal dialog (a QInputDialog or QMessageBox run with exec) with ``answer(dialog)``
    once it is up; the list gets each dialog answered, so a test can check what it asked."""
    seen = []

    def poll(tries: int = 300) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or not dialog.isVisible():
            if tries:  # no dialog within 3 s: give up, so no later test's dialog is answered
                QTimer.singleShot(10, lambda: poll(tries - 1))
            return
        seen.append(dialog.labelText() if isinstance(dialog, QInputDialog) else dialog.text())
        answer(dialog)

    QTimer.singleShot(0, poll)
    return seen


def _rename_to(name: str):
    def answer(dialog: QInputDialog) -> None:
        dialog.setTextValue(name)
        dialog.accept()
    return answer


def _click(text: str):
    def answer(box: QMessageBox) -> None:
        next(b for b in box.buttons() if b.text() == text).click()
    return answer


def _select_class(panel, name: str) -> None:
    row = panel.model.names().index(name)
    panel.view.selectionModel().select(panel.model.index(row, 0),
                                       QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


def test_a_set_class_is_renamed_from_the_panel_and_keeps_its_labels(sets_window, qtbot):
    window = sets_window
    project = window.services.session.project
    page = window.pages["label"]
    window.show_page("label")
    panel = page.classes
    assert panel.rename_button.isVisible() and panel.delete_button.isVisible()  # the main set: every edit
    page.set_bar.combo.setCurrentIndex(1)  # "mark"
    assert panel.rename_button.isVisible() and panel.delete_button.isVisible()
    for button in (panel.color_button, panel.merge_button, panel.describe_button, panel.new_described_button):
        assert not button.isVisible()
    marks_before = project.set_labels_of("mark")
    main_before = project.labels_of(page.model.ids())
    dark = sorted(i for i, name in marks_before.items() if name == "dark")

    _select_class(panel, "dark")
    assert panel.rename_button.isEnabled()
    asked = _answer_modal(qtbot, _rename_to("spotted"))
    qtbot.mouseClick(panel.rename_button, Qt.MouseButton.LeftButton)
    assert asked == ["New name for 'dark' in the label set 'mark':"]
    assert project.set_class_names("mark") == ["light", "spotted"]
    marks = project.set_labels_of("mark")
    assert sorted(i for i, name in marks.items() if name == "spotted") == dark
    assert {i: n for i, n in marks.items() if n != "spotted"} == {i: n for i, n in marks_before.items() if n != "dark"}
    assert project.labels_of(page.model.ids()) == main_before
    assert [c.name for c in project.classes()] == ["blue", "green", "red"]  # no main class was renamed
    assert panel.model.names() == ["light", "spotted"] and panel.model.class_at(1).count == 15
    row = page.model.row_of(dark[0])
    assert page.model.sample_at(row).label == "spotted"  # the strip's caption
    assert "Renamed 'dark' to 'spotted' in the label set 'mark'" in window.banner.text_label.text()
    assert page.show_combo.findData("spotted") >= 0 and page.show_combo.findData("dark") < 0

    _select_class(panel, "light")  # a name the set already has is a sentence, and nothing changes
    _answer_modal(qtbot, _rename_to("spotted"))
    qtbot.mouseClick(panel.rename_button, Qt.MouseButton.LeftButton)
    assert "already has a class named 'spotted'" in window.banner.text_label.text()
    assert project.set_class_names("mark") == ["light", "spotted"]


def test_deleting_a_set_class_unlabels_its_samples_in_that_set_only(sets_window, qtbot):
    window = sets_window
    project = window.services.session.project
    labels = window.services.labels
    page = window.pages["label"]
    window.show_page("label")
    panel = page.classes
    page.set_bar.combo.setCurrentIndex(1)  # "mark"
    ids = page.model.ids()
    marks_before = project.set_labels_of("mark")
    main_before = project.labels_of(ids)
    light = sorted(i for i, name in marks_before.items() if name == "light")
    page.strip.setFocus()
    _key(qtbot, page.strip, 2)  # one labelling edit, to see the history cleared
    assert labels.undo_stack.canUndo()
    marks_before = project.set_labels_of("mark")

    _select_class(panel, "light")
    asked = _answer_modal(qtbot, _click("Cancel"))
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert asked == ["Delete the class 'light' of the label set 'mark'? Its 15 samples become unlabelled in "
                     "'mark'; their labels in other sets stay, and so do the files."]
    assert project.set_class_names("mark") == ["light", "dark"]  # cancelled: nothing changed

    _answer_modal(qtbot, _click("Delete class"))
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert project.set_class_names("mark") == ["dark"]
    marks = project.set_labels_of("mark")
    assert not set(light) & set(marks)  # unlabelled in "mark"
    assert marks == {i: n for i, n in marks_before.items() if n != "light"}
    assert project.labels_of(ids) == main_before  # the main set is untouched
    assert "15 samples are now unlabelled there" in window.banner.text_label.text()
    assert not labels.undo_stack.canUndo()  # not undoable, like deleting a main class
    assert panel.model.names() == ["dark"]
    assert page.model.sample_at(page.model.row_of(light[0])).label is None  # the strip's caption
    qtbot.waitUntil(lambda: page.progress_label.text() ==
                    f"In 'mark': {len(marks)} of 36 labelled · {36 - len(marks)} to go", timeout=2000)


def test_deleting_the_active_label_set_goes_back_to_the_main_set(sets_window, qtbot):
    window = sets_window
    project = window.services.session.project
    labels = window.services.labels
    page = window.pages["label"]
    window.show_page("label")
    bar = page.set_bar
    assert not bar.delete_action.isVisible()  # the main set cannot be deleted
    main_before = project.labels_of(page.model.ids())
    bar.combo.setCurrentIndex(1)  # "mark"
    assert bar.delete_action.isVisible() and bar.delete_action.text() == "Delete label set 'mark'…"

    bar.delete_action.trigger()
    box = bar.dialog
    assert box is not None and box.isVisible()
    assert box.text().startswith("Delete the label set 'mark' and its classes? Its 30 labels go with it.")
    next(b for b in box.buttons() if b.text() == "Cancel").click()
    assert project.label_sets() == ["mark"] and labels.active_set == "mark"

    bar.delete_action.trigger()
    next(b for b in bar.dialog.buttons() if b.text() == "Delete label set").click()
    assert project.label_sets() == []
    assert labels.active_set is None and labels.label_sets() == []
    assert not bar.combo.isVisible() and not bar.delete_action.isVisible()
    assert page.classes.title.text() == "Classes" and page.classes.model.names() == ["blue", "green", "red"]
    assert page.classes.color_button.isVisible()
    assert project.labels_of(page.model.ids()) == main_before
    assert "Deleted the label set 'mark' and its 30 labels" in window.banner.text_label.text()


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
    page.settings.mode.setCurrentIndex(page.settings.mode.findData("finetune"))  # epochs to plot
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
