"""Project home: create through the dialog, recent projects, a dropped folder becomes a project."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.project import Project
from tests.desktop.conftest import drop_paths, make_image_folder


def test_create_a_project_through_the_home_page(qtbot, tmp_path, window):
    qtbot.mouseClick(window.pages["home"].new_button, Qt.MouseButton.LeftButton)
    dialog = window.services.projects.dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.create_button.isEnabled()  # no name yet
    qtbot.keyClicks(dialog.name_edit, "Bird songs")
    dialog.location_edit.setText(str(tmp_path))
    qtbot.mouseClick(dialog.audio_radio, Qt.MouseButton.LeftButton)
    assert dialog.create_button.isEnabled()
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    project = window.services.session.project
    assert project is not None and project.name == "Bird songs" and project.task == "audio"
    assert (tmp_path / "Bird songs" / "project.toml").is_file()
    assert window.windowTitle().startswith("Bird songs")
    assert window.current_page() == "data"
    assert window.services.settings.recent_projects()[0] == str(tmp_path / "Bird songs")


def test_the_dialog_refuses_a_folder_that_is_not_empty(qtbot, tmp_path, window):
    (tmp_path / "Taken").mkdir()
    (tmp_path / "Taken" / "something.txt").write_text("x")
    window.services.projects.ask_new_project(window)
    dialog = window.services.projects.dialog
    dialog.name_edit.setText("Taken")
    dialog.location_edit.setText(str(tmp_path))
    assert not dialog.create_button.isEnabled()
    assert "not empty" in dialog.problem_label.text()
    dialog.reject()
    assert window.services.session.project is None


def test_recent_projects_list_only_folders_that_exist_and_open_on_double_click(qtbot, tmp_path, settings, make_window):
    Project.create(tmp_path / "kept", "image", name="Kept").close()
    Project.create(tmp_path / "other", "audio", name="Other").close()
    settings.add_recent(tmp_path / "gone")
    settings.add_recent(tmp_path / "other")
    settings.add_recent(tmp_path / "kept")
    window = make_window()
    home = window.pages["home"]
    model = home.recent_model
    assert [model.item(r).name for r in range(model.rowCount())] == ["Kept", "Other"]  # "gone" is not listed
    assert model.missing == [str(tmp_path / "gone")]
    assert home.missing_label.text() == "1 recent project not shown: its folder is gone or moved."
    qtbot.mouseClick(home.forget_button, Qt.MouseButton.LeftButton)
    assert settings.recent_projects() == [str(tmp_path / "kept"), str(tmp_path / "other")]
    assert not home.missing_label.isVisibleTo(home)

    view = home.recent_view
    view.setCurrentIndex(model.index(1))
    qtbot.mouseClick(home.remove_button, Qt.MouseButton.LeftButton)
    assert settings.recent_projects() == [str(tmp_path / "kept")]
    assert model.rowCount() == 1

    import shutil

    shutil.rmtree(tmp_path / "other")  # a project deleted while the app runs drops out when Home is shown again
    settings.add_recent(tmp_path / "other")
    home.refresh()
    assert model.rowCount() == 1 and home.missing_label.isVisibleTo(home)

    rect = view.visualRect(model.index(0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a real double click starts with a press
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.services.session.project.name == "Kept"


def test_dropping_a_folder_creates_a_project_and_imports_it(qtbot, tmp_path, window):
    source = make_image_folder(tmp_path / "shapes", per_class=3)
    drop_paths(window, [source])
    dialog = window.services.projects.dialog
    assert dialog is not None and dialog.import_from == str(source)
    assert dialog.name_edit.text() == "shapes" and dialog.task() == "image"
    dialog.location_edit.setText(str(tmp_path / "projects"))
    with qtbot.waitSignal(window.services.imports.finished, timeout=20000) as finished:
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    report = finished.args[0]
    assert report.added == 6 and not report.rejected
    project = window.services.session.project
    assert project.root == tmp_path / "projects" / "shapes"
    assert {c.name: c.count for c in project.classes()} == {"circles": 3, "squares": 3}
    assert window.current_page() == "data"


def test_dropping_a_project_folder_opens_it(tmp_path, window):
    Project.create(tmp_path / "proj", "image", name="Dropped").close()
    drop_paths(window, [tmp_path / "proj"])
    assert window.services.session.project.name == "Dropped"
    assert window.services.projects.dialog is None
