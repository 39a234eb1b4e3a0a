"""The window opens, navigates, and names the open project; opening problems are shown in it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.project import Project
from desktop.app import run  # noqa: F401 - the entry point core.cli calls must import cleanly


def test_main_window_opens_on_home_with_project_pages_waiting(window):
    assert window.windowTitle() == "TransferLab"
    assert window.current_page() == "home"
    assert window.nav.buttons["home"].isEnabled()
    for key in ("data", "label", "train", "evaluate", "play", "export"):
        assert not window.nav.buttons[key].isEnabled()
        assert "project" in window.nav.buttons[key].toolTip().lower()


def test_opening_a_project_names_it_in_the_title(tmp_path, make_window):
    Project.create(tmp_path / "birds", "image", name="Birds").close()
    window = make_window(tmp_path / "birds")
    assert window.windowTitle().startswith("Birds")
    assert window.current_page() == "data"
    assert window.services.session.project.name == "Birds"
    assert not window.banner.isVisibleTo(window)


def test_navigation_switches_pages(qtbot, tmp_path, make_window):
    Project.create(tmp_path / "p", "audio").close()
    window = make_window(tmp_path / "p")
    for key in ("home", "data", "label", "train", "evaluate", "play", "export", "home"):
        qtbot.mouseClick(window.nav.buttons[key], Qt.MouseButton.LeftButton)
        assert window.current_page() == key
        assert window.stack.currentWidget() is window.pages[key]
        assert window.nav.buttons[key].isChecked()


def test_closing_the_project_returns_home_and_locks_the_pages_again(tmp_path, make_window):
    Project.create(tmp_path / "p", "image").close()
    window = make_window(tmp_path / "p")
    window.services.projects.close_project()
    assert window.current_page() == "home"
    assert window.windowTitle() == "TransferLab"
    assert not window.nav.buttons["data"].isEnabled()
    Project.open(tmp_path / "p").close()  # the lock was released


def test_a_locked_project_gives_a_message_and_offers_read_only(qtbot, tmp_path, make_window):
    holder = Project.create(tmp_path / "busy", "image", name="Busy")
    try:
        window = make_window(tmp_path / "busy")
        assert window.services.session.project is None
        assert window.banner.isVisibleTo(window)
        assert window.banner.message.level == "warning"
        assert "already open" in window.banner.text_label.text()
        [read_only] = [b for b in window.banner.action_buttons() if b.text() == "Open read-only"]
        qtbot.mouseClick(read_only, Qt.MouseButton.LeftButton)
        project = window.services.session.project
        assert project is not None and project.read_only
        assert "(read-only)" in window.windowTitle()
        assert not window.pages["data"].import_folder_button.isEnabled()
    finally:
        holder.close()


def test_a_missing_project_is_explained_in_the_window(tmp_path, make_window):
    window = make_window(tmp_path / "nowhere")
    assert window.services.session.project is None
    assert window.banner.message.level == "error"
    assert "no project folder" in window.banner.text_label.text()
    assert window.current_page() == "home"


def test_a_folder_that_is_not_a_project_is_explained(tmp_path, make_window):
    (tmp_path / "photos").mkdir()
    window = make_window(tmp_path / "photos")
    assert "not a TransferLab project" in window.banner.text_label.text()

