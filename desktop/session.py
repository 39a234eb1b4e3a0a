"""The open project, as a service the pages share (one at a time; opening another closes it)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.project import Project


class ProjectSession(QObject):
    opened = Signal(object)  # Project
    about_to_close = Signal()  # background work on the project stops here (training threads)
    closed = Signal()
    changed = Signal()  # samples, labels or classes changed (pages refresh their views)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._project: Project | None = None

    @property
    def project(self) -> Project | None:
        return self._project

    @property
    def is_open(self) -> bool:
        return self._project is not None

    def open(self, root: str | os.PathLike, *, read_only: bool = False) -> Project:
        """Raises core.errors.ProjectError (ProjectLockedError when another process has it)."""
        project = Project.open(root, read_only=read_only)
        self._replace(project)
        return project

    def create(self, root: str | os.PathLike, task: str, name: str | None = None) -> Project:
        project = Project.create(Path(root), task, name=name)
        self._replace(project)
        return project

    def close(self) -> None:
        if self._project is None:
            return
        self.about_to_close.emit()
        project, self._project = self._project, None
        project.close()
        self.closed.emit()

    def notify_changed(self) -> None:
        self.changed.emit()

    def _replace(self, project: Project) -> None:
        self.close()
        self._project = project
        self.opened.emit(project)
