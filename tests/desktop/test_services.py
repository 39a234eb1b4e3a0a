"""Workers, settings and resources: the plumbing a user never sees until it fails."""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings, QThreadPool

from core.errors import ProjectError
from desktop import resources
from desktop.settings import SETTINGS_VERSION, AppSettings
from desktop.theme import apply_theme
from desktop.workers import Task, UserError


def _run(qtbot, task):
    pool = QThreadPool()
    got = {}
    task.signals.result.connect(lambda v: got.setdefault("result", v))
    task.signals.error.connect(lambda e: got.setdefault("error", e))
    task.signals.progress.connect(lambda p: got.setdefault("progress", []).append(p))
    with qtbot.waitSignal(task.signals.finished, timeout=5000):
        pool.start(task)
    pool.waitForDone()
    return got


def test_a_task_reports_progress_and_its_result(qtbot):
    def work(progress, n):
        for i in range(n):
            progress(i)
        return n * 2

    got = _run(qtbot, Task(work, 3))
    assert got["result"] == 6 and got["progress"] == [0, 1, 2] and "error" not in got


def test_an_unexpected_error_becomes_a_sentence_with_details(qtbot):
    def broken(progress):
        raise ZeroDivisionError("division by zero")

    got = _run(qtbot, Task(broken, doing="counting"))
    error = got["error"]
    assert isinstance(error, UserError) and "result" not in got
    assert error.message.startswith("Something unexpected went wrong while counting")
    assert "Traceback" in error.detail and "ZeroDivisionError" in error.detail


def test_a_user_error_keeps_its_own_words(qtbot):
    def refuse(progress):
        raise ProjectError("The project is gone.")

    assert _run(qtbot, Task(refuse))["error"].message == "The project is gone."


def test_settings_have_a_version_and_remember_recent_projects_and_theme(tmp_path):
    path = str(tmp_path / "s.ini")
    settings = AppSettings(QSettings(path, QSettings.Format.IniFormat))
    settings.add_recent(tmp_path / "a")
    settings.add_recent(tmp_path / "b")
    settings.add_recent(tmp_path / "a")
    settings.theme = "dark"
    settings.sync()
    again = AppSettings(QSettings(path, QSettings.Format.IniFormat))
    assert again.recent_projects() == [str(tmp_path / "a"), str(tmp_path / "b")]
    assert again.theme == "dark"
    assert int(QSettings(path, QSettings.Format.IniFormat).value("settings_version")) == SETTINGS_VERSION


def test_resources_resolve_from_a_checkout_and_from_a_frozen_bundle(tmp_path, monkeypatch):
    assert resources.resource_path("themes", "light.qss").is_file()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_root() == tmp_path / "resources"


def test_both_themes_apply(qapp):
    assert apply_theme(qapp, "dark") == "dark"
    assert "QFrame#NavBar" in qapp.styleSheet()
    assert apply_theme(qapp, "light") == "light"
