"""Import through the Data page in the background: progress, report with reasons, and life goes on."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.project import Project
from tests.desktop.conftest import drop_paths, make_image_folder
from tests.helpers.media_factory import make_messy_folder


def test_a_messy_import_lists_every_rejected_file_with_its_reason(qtbot, tmp_path, make_window):
    manifest = make_messy_folder(tmp_path / "messy")
    Project.create(tmp_path / "proj", "image", name="Messy").close()
    window = make_window(tmp_path / "proj")
    page = window.pages["data"]
    assert page.body.currentWidget() is page.drop_zone
    assert "Drop images here" in page.drop_zone.title_label.text()

    progress = []
    window.services.imports.progress.connect(progress.append)
    with qtbot.waitSignal(window.services.imports.finished, timeout=30000) as finished:
        drop_paths(window, [tmp_path / "messy"])
        assert page.progress.isVisibleTo(page) and not page.import_folder_button.isEnabled()
    report = finished.args[0]
    assert progress and progress[-1].done == progress[-1].total

    assert report.added == len(manifest["good"])
    assert not page.progress.isVisibleTo(page)
    assert page.body.currentWidget() is not page.drop_zone
    rows = page.rejections_model.rows()
    reasons = {path.replace("\\", "/").split("/messy/", 1)[1]: reason for path, reason in rows}
    assert set(reasons) == set(manifest["bad"])
    for rel, expected in manifest["bad"].items():
        assert expected in reasons[rel], (rel, reasons[rel])
    assert page.grid.isVisibleTo(page) and page.grid_model.rowCount() == len(manifest["good"])
    assert f"{len(manifest['good'])} samples" in page.subtitle.text()
    assert f"{len(manifest['bad'])} rejected" in page.subtitle.text()
    assert "rejected" in window.banner.text_label.text()
    [show] = [b for b in window.banner.action_buttons() if b.text() == "Show rejected files"]
    qtbot.mouseClick(show, Qt.MouseButton.LeftButton)
    assert page.rejections_view.isVisibleTo(page) and not page.grid.isVisibleTo(page)
    classes = {v for v in manifest["good"].values() if v}
    assert page.filters.class_combo.count() == 2 + len(classes)  # all, unlabelled, each class

    # the app keeps working: navigate, and import again (everything is a duplicate now)
    qtbot.mouseClick(window.nav.buttons["train"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.nav.buttons["data"], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.services.imports.finished, timeout=30000) as again:
        assert window.services.imports.start([tmp_path / "messy"])
    assert again.args[0].added == 0 and len(again.args[0].duplicates) == len(manifest["good"]) + 1
    assert page.import_folder_button.isEnabled()


def test_cancel_stops_an_import_and_keeps_what_came_in(qtbot, tmp_path, make_window):
    make_image_folder(tmp_path / "many", per_class=150)
    Project.create(tmp_path / "proj", "image").close()
    window = make_window(tmp_path / "proj")
    page = window.pages["data"]
    imports = window.services.imports
    with qtbot.waitSignal(imports.finished, timeout=30000) as finished:
        imports.start([tmp_path / "many"])
        qtbot.mouseClick(page.progress.cancel_button, Qt.MouseButton.LeftButton)
    report = finished.args[0]
    assert report.cancelled and report.added < 300
    assert window.services.session.project.count() == report.added
    assert page.import_folder_button.isEnabled()


def test_closing_the_window_during_an_import_cancels_it_and_releases_the_project(qtbot, tmp_path, make_window):
    make_image_folder(tmp_path / "many", per_class=150)
    Project.create(tmp_path / "proj", "image").close()
    window = make_window(tmp_path / "proj")
    assert window.services.imports.start([tmp_path / "many"])
    window.close()
    assert not window.services.imports.is_running or window.services.session.project is None
    with Project.open(tmp_path / "proj") as project:  # not locked, not damaged
        assert project.count() <= 300


def test_a_read_only_project_cannot_import_and_says_why(tmp_path, make_window):
    Project.create(tmp_path / "proj", "image").close()
    make_image_folder(tmp_path / "few", per_class=1)
    holder = Project.open(tmp_path / "proj")
    try:
        window = make_window()
        window.services.projects.open_project(tmp_path / "proj", read_only=True)
        assert not window.services.imports.start([tmp_path / "few"])
        assert "read-only" in window.banner.text_label.text()
    finally:
        holder.close()
