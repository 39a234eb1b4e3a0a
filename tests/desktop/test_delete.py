"""Deleting samples on the Data and Label pages: Delete and right-click, Undo, a confirmation for
many, and "Show file in folder"."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QTimer, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.desktop.conftest import activate, make_image_folder


def answer_next_dialog(qtbot, button_text: str, seen: list) -> None:
    """Click ``button_text`` in the next modal dialog, as a person would."""
    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        button = next(b for b in box.buttons() if b.text().replace("&", "") == button_text)
        button.click()
    QTimer.singleShot(0, click)


def image_window(make_window, tmp_path, per_class=4):
    from core.importer import import_files
    from core.project import Project

    make_image_folder(tmp_path / "src", per_class=per_class)
    with Project.create(tmp_path / "p", "image") as project:
        import_files(project, [tmp_path / "src"], labels="folder")
    return make_window(tmp_path / "p")


def test_delete_key_on_the_data_page_deletes_and_undo_brings_it_back(make_window, qtbot, tmp_path):
    window = image_window(make_window, tmp_path)
    page = window.pages["data"]
    window.show_page("data")
    project = window.services.session.project
    page.grid.setCurrentIndex(page.grid_model.index(2))
    doomed = page.grid_model.sample_at(2)
    following = page.grid_model.id_at(3)
    page.grid.setFocus()
    qtbot.keyClick(page.grid, Qt.Key.Key_Delete)
    assert project.count() == 7 and page.grid_model.row_of(doomed.id) is None
    assert page.detail.sample.id == following  # the next one is shown
    assert "7 samples" in page.subtitle.text()
    assert (project.root / doomed.media_path).exists()  # kept while an undo can need it
    assert window.services.runs.stale is False  # no run yet: nothing to go stale

    window.undo_action.trigger()
    assert project.count() == 8 and project.sample(doomed.id).label == doomed.label
    assert page.detail.sample.id == doomed.id

    window.redo_action.trigger()
    assert project.count() == 7
    media = project.root / doomed.media_path
    window.services.session.close()  # closing the project lets the unused file go
    assert not media.exists()


def test_deleting_many_on_the_label_page_asks_first(make_window, qtbot, tmp_path):
    window = image_window(make_window, tmp_path, per_class=6)
    page = window.pages["label"]
    window.show_page("label")
    project = window.services.session.project
    model, selection = page.model, page.strip.selectionModel()
    page.go_to_row(0)
    for row in range(11):
        selection.select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
    assert len(page.selected_ids()) == 11
    seen = []
    answer_next_dialog(qtbot, "Cancel", seen)
    qtbot.keyClick(page.strip, Qt.Key.Key_Delete)
    assert seen == ["Delete 11 samples from this project?"] and project.count() == 12

    activate(qtbot, window)  # back from the dialog, as the window manager does
    answer_next_dialog(qtbot, "Delete 11 samples", seen)
    qtbot.keyClick(page.strip, Qt.Key.Key_Delete)
    assert project.count() == 1 and page.model.rowCount() == 1
    assert page.detail.sample.id == page.model.id_at(0)
    window.undo_action.trigger()
    assert project.count() == 12


def test_right_click_offers_show_in_folder_and_delete(make_window, qtbot, tmp_path, monkeypatch):
    from desktop import reveal

    shown = []
    monkeypatch.setattr(reveal, "reveal_in_folder", lambda path: shown.append(path) or True)
    window = image_window(make_window, tmp_path)
    page = window.pages["data"]
    window.show_page("data")
    rect = page.grid.visualRect(page.grid_model.index(1))
    page.grid.customContextMenuRequested.emit(rect.center())
    menu = page.actions.last_menu
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts == ["Show file in folder", "Delete 1 sample"]
    sample = page.grid_model.sample_at(1)
    assert page.detail.sample.id == sample.id  # the right-clicked sample became current
    menu.actions()[0].trigger()
    assert shown == [sample.original_path]  # the file the person imported, still where it was
    menu.close()


def test_show_in_folder_selects_the_file_on_each_system(tmp_path):
    from desktop.reveal import reveal_plan

    f = tmp_path / "a b.wav"
    assert reveal_plan(f, "win32") == ("run", ["explorer", f"/select,{f}"])
    assert reveal_plan(f, "darwin") == ("run", ["open", "-R", str(f)])
    assert reveal_plan(f, "linux") == ("dbus", f"file://{tmp_path}/a b.wav".replace(" ", "%20"))
