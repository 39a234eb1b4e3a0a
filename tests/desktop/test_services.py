"""Settings and resources: the plumbing a user never sees until it fails (the runner: test_runner.py)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings

from desktop import resources
from desktop.settings import SETTINGS_VERSION, AppSettings
from desktop.theme import apply_theme


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
