"""What a page shows is current: another run's numbers, a sample's split after labelling, a mistake's
file name (and double-click to open it), and the list of keyboard shortcuts (Help menu, ?)."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Qt
from PySide6.QtWidgets import QApplication

from tests.helpers.training import make_colour_project, tiny_spec
from tests.desktop.conftest import activate


def two_run_window(make_window, tmp_path):
    from core.train import TrainConfig, Trainer

    spec = tiny_spec(tmp_path / "weights")
    project = make_colour_project(tmp_path, per_class=8)
    wrong = [s.id for s in project.samples(split="val")][:3]
    project.set_labels([(i, "blue") for i in wrong])
    runs = [Trainer(project, TrainConfig(mode="probe", epochs=e, batch_size=8), spec=spec).fit() for e in (1, 6)]
    root = project.root
    project.close()
    window = make_window(root)
    window.services.runs.spec = spec
    return window


def test_choosing_another_run_never_leaves_the_old_numbers_up(make_window, qtbot, tmp_path):
    window = two_run_window(make_window, tmp_path)
    runs = window.services.runs
    page = window.pages["evaluate"]
    window.show_page("evaluate")
    qtbot.waitUntil(lambda: page.view is not None, timeout=30000)
    first = page.view.run.run_id
    assert first == runs.current
    other = next(r.id for r in runs.usable() if r.id != first)

    page.run_picker.setCurrentIndex(page.run_picker.findData(other))  # as a person picks it
    assert page.view is None and page.stats["accuracy"].value_label.text() == "–"  # old numbers gone at once
    qtbot.waitUntil(lambda: page.view is not None, timeout=30000)
    assert page.view.run.run_id == other and page.stats["accuracy"].value_label.text().endswith("%")

    # chosen on another page while this one is hidden: blank until shown, then the right run
    window.show_page("play")
    window.pages["play"].run_picker.setCurrentIndex(window.pages["play"].run_picker.findData(first))
    assert page.view is None
    window.show_page("evaluate")
    qtbot.waitUntil(lambda: page.view is not None, timeout=30000)
    assert page.view.run.run_id == first


def test_a_mistake_shows_its_file_name_and_double_click_opens_it_on_the_label_page(make_window, qtbot, tmp_path):
    window = two_run_window(make_window, tmp_path)
    page = window.pages["evaluate"]
    window.show_page("evaluate")
    qtbot.waitUntil(lambda: page.view is not None and page.gallery.count() > 0, timeout=30000)
    item = page.gallery.item(0)
    sample = page.view.samples[page.gallery.ids()[0]]
    from desktop.pages.evaluate_page import short_name

    assert item.text().splitlines()[0] == short_name(sample.display_name)  # e.g. "red_003.png", not a tooltip
    assert sample.display_name.startswith(item.text().splitlines()[0][:8])
    # the Label page shows only unlabelled samples: the mistake is shown anyway
    label = window.pages["label"]
    label.show_combo.setCurrentIndex(label.show_combo.findData("\x00unlabelled"))
    rect = page.gallery.visualItemRect(item)
    qtbot.mouseClick(page.gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page() == "label" and label.current_id() == sample.id
    assert label.detail.sample.id == sample.id


def test_the_label_page_shows_the_split_a_label_gives(make_window, qtbot, tmp_path):
    from core.importer import import_files
    from core.project import Project
    from tests.desktop.conftest import make_image_folder

    make_image_folder(tmp_path / "src", per_class=3)
    with Project.create(tmp_path / "p", "image") as project:
        import_files(project, [tmp_path / "src"], labels="none")
        project.add_class("circle")
    window = make_window(tmp_path / "p")
    page = window.pages["label"]
    window.show_page("label")
    first = page.current_id()
    assert "no split yet" in page.detail.meta_label.text()
    qtbot.keyClick(page.strip, Qt.Key.Key_1)
    page.go_to_row(page.model.row_of(first))
    split = window.services.session.project.sample(first).split
    assert split is not None
    assert {"train": "training set", "val": "validation set", "test": "test set"}[split] in page.detail.meta_label.text()


def test_keyboard_shortcuts_are_listed_from_the_help_menu_and_the_question_mark(window, qtbot):
    from desktop.shortcuts import SHORTCUTS, ShortcutsDialog

    seen = []

    def close_it():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ShortcutsDialog):
            QTimer.singleShot(20, close_it)
            return
        seen.append([dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())])
        dialog.reject()

    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.shortcuts_action in help_menu.actions()
    QTimer.singleShot(0, close_it)
    window.shortcuts_action.trigger()
    activate(qtbot, window)
    QTimer.singleShot(0, close_it)
    qtbot.keyClick(window, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    assert len(seen) == 2 and seen[0] == [keys for _where, keys, _what in SHORTCUTS]
    assert "Delete" in seen[0] and "Space" in seen[0]
