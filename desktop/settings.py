"""Settings kept between sessions (QSettings), and where new projects go by default.

A version key lets a later release migrate or reset settings it no longer understands.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from PySide6.QtCore import QByteArray, QSettings

from desktop.theme import THEME_CHOICES

APP_NAME = "TransferLab"
ORGANISATION = "TransferLab"
SETTINGS_VERSION = 1
MAX_RECENT = 12


def default_projects_dir() -> Path:
    """Where new projects go unless the user picks another folder."""
    return Path(platformdirs.user_documents_dir()) / "TransferLab Projects"


class AppSettings:
    def __init__(self, store: QSettings | None = None):
        self._s = store if store is not None else QSettings(ORGANISATION, APP_NAME)
        version = self._s.value("settings_version")
        if version is not None and int(version) > SETTINGS_VERSION:
            # Written by a newer TransferLab: leave it alone except what we must write.
            pass
        elif version is None or int(version) < SETTINGS_VERSION:
            self._migrate(int(version or 0))

    def _migrate(self, old: int) -> None:
        # Version 0 means no settings yet; nothing to carry over.
        self._s.setValue("settings_version", SETTINGS_VERSION)

    def sync(self) -> None:
        self._s.sync()

    # ------------------------------------------------------------ recent projects

    def recent_projects(self) -> list[str]:
        value = self._s.value("recent_projects", [])
        if isinstance(value, str):  # QSettings gives a bare string for a one-item list in INI files
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent(self, path: str | os.PathLike) -> None:
        path = os.path.normpath(os.fspath(path))
        items = [p for p in self.recent_projects() if os.path.normpath(p) != path]
        self._s.setValue("recent_projects", ([path] + items)[:MAX_RECENT])

    def remove_recent(self, path: str | os.PathLike) -> None:
        path = os.path.normpath(os.fspath(path))
        self._s.setValue("recent_projects", [p for p in self.recent_projects() if os.path.normpath(p) != path])

    # ------------------------------------------------------------ look and place

    @property
    def theme(self) -> str:
        value = str(self._s.value("theme", "system"))
        return value if value in THEME_CHOICES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        if value not in THEME_CHOICES:
            raise ValueError(f"theme must be one of {THEME_CHOICES}")
        self._s.setValue("theme", value)

    def window_geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_geometry(self, geometry: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)

    @property
    def last_folder(self) -> str:
        value = str(self._s.value("last_folder", "") or "")
        return value if value and os.path.isdir(value) else str(Path.home())

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._s.setValue("last_folder", os.fspath(value))

    # ------------------------------------------------------------ per project

    @staticmethod
    def _project_key(root: str | os.PathLike) -> str:
        # QSettings keys cannot hold slashes; a digest of the path names the project.
        import hashlib

        digest = hashlib.sha1(os.path.normcase(os.path.abspath(os.fspath(root))).encode()).hexdigest()[:16]
        return f"projects/{digest}"

    def current_sample(self, root: str | os.PathLike) -> int | None:
        """The sample the person was on when they last left this project (to return there)."""
        value = self._s.value(self._project_key(root) + "/current_sample")
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def set_current_sample(self, root: str | os.PathLike, sample_id: int | None) -> None:
        key = self._project_key(root) + "/current_sample"
        if sample_id is None:
            self._s.remove(key)
        else:
            self._s.setValue(key, int(sample_id))
