"""Recent projects from the settings whose folders still hold a project (ones moved or deleted are
counted in ``missing``, not listed: a list of dead entries is only in the way)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt

from core.errors import ProjectError
from core.project.config import load as load_config
from desktop.settings import AppSettings

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
MISSING_ROLE = Qt.ItemDataRole.UserRole + 2
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 3


@dataclass(frozen=True)
class RecentProject:
    path: str
    name: str
    detail: str
    missing: bool


def describe(path: str) -> RecentProject:
    try:
        cfg = load_config(Path(path) / "project.toml")
    except (ProjectError, OSError):
        return RecentProject(path, os.path.basename(path.rstrip(os.sep)) or path, "Missing — the folder is gone or not a project", True)
    return RecentProject(path, cfg.name, f"{cfg.task.capitalize()} project · {path}", False)


class RecentProjectsModel(QAbstractListModel):
    def __init__(self, settings: AppSettings, parent=None):
        super().__init__(parent)
        self._settings = settings
        self._items: list[RecentProject] = []
        self.missing: list[str] = []  # recent paths whose folder is gone or no longer a project
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        items = [describe(p) for p in self._settings.recent_projects()]
        self._items = [i for i in items if not i.missing]
        self.missing = [i.path for i in items if i.missing]
        self.endResetModel()

    def item(self, row: int) -> RecentProject:
        return self._items[row]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.name
        if role == DETAIL_ROLE:
            return item.detail
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.path + ("\n(missing)" if item.missing else "")
        if role == PATH_ROLE:
            return item.path
        if role == MISSING_ROLE:
            return item.missing
        return None
