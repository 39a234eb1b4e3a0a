"""Opening, creating and closing projects, with every failure turned into a message in the window."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from core.errors import ProjectError, ProjectLockedError, TransferLabError
from desktop.controllers.folder_scan import guess_task
from desktop.controllers.import_controller import ImportController
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.settings import AppSettings, default_projects_dir
from desktop.widgets.new_project_dialog import NewProjectDialog
from desktop.workers import describe_error


def is_project_folder(path: str | os.PathLike) -> bool:
    return (Path(path) / "project.toml").is_file()


class ProjectController(QObject):
    navigate = Signal(str)  # a page key the window should show
    recent_changed = Signal()

    def __init__(self, session: ProjectSession, settings: AppSettings, notifier: Notifier, imports: ImportController):
        super().__init__()
        self._session = session
        self._settings = settings
        self._notifier = notifier
        self._imports = imports
        self.dialog: NewProjectDialog | None = None  # the open "New project" dialog, if any

    # ------------------------------------------------------------ open / close

    def open_project(self, path: str | os.PathLike, *, read_only: bool = False) -> bool:
        path = os.path.abspath(os.fspath(path))
        self._imports.shutdown()
        try:
            project = self._session.open(path, read_only=read_only)
        except ProjectLockedError as exc:
            self._notifier.post(
                exc.message, "warning",
                actions=[("Open read-only", lambda: self.open_project(path, read_only=True))],
            )
            return False
        except ProjectError as exc:
            actions = []
            if path in [os.path.abspath(p) for p in self._settings.recent_projects()]:
                actions.append(("Remove from recent projects", lambda: self.remove_recent(path)))
            self._notifier.post(exc.message, "error", exc.detail, actions)
            return False
        except Exception as exc:  # noqa: BLE001 - a bug must still reach the user as a sentence
            self._notifier.error(describe_error(exc, "opening the project"))
            return False
        self._settings.add_recent(project.root)
        self._settings.last_folder = str(project.root.parent)
        self.recent_changed.emit()
        self._notifier.clear()
        tidied = project.upkeep.sentences()  # what opening it removed after a killed run, said once
        if tidied:
            self._notifier.post(" ".join(tidied), "info")
        if project.read_only:
            self._notifier.post(
                f"'{project.name}' is open read-only because {project.read_only_reason}. "
                "You can look around; changes are not possible.", "info",
            )
        self.navigate.emit("data")
        return True

    def close_project(self) -> None:
        self._imports.shutdown()
        self._session.close()
        self.navigate.emit("home")

    def remove_recent(self, path: str) -> None:
        self._settings.remove_recent(path)
        self.recent_changed.emit()
        self._notifier.clear()

    def ask_open_project(self, parent: QWidget) -> None:
        folder = QFileDialog.getExistingDirectory(parent, "Open project", self._settings.last_folder)
        if folder:
            self.open_project(folder)

    # ------------------------------------------------------------ create

    def ask_new_project(self, parent: QWidget, import_from: str | None = None) -> NewProjectDialog:
        """Open the New project dialog (window-modal, not blocking); creation happens on accept."""
        task = guess_task(import_from) if import_from else None
        dialog = NewProjectDialog(parent, location=str(default_projects_dir()), import_from=import_from, task=task)
        dialog.accepted.connect(lambda: self._create_from_dialog(dialog))
        dialog.finished.connect(lambda _result: self._forget_dialog(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: NewProjectDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _create_from_dialog(self, dialog: NewProjectDialog) -> None:
        root, task, name = dialog.values()
        self.create_project(root, task, name, import_from=dialog.import_from)

    def create_project(self, root, task: str, name: str | None = None, import_from: str | None = None) -> bool:
        self._imports.shutdown()
        try:
            Path(root).parent.mkdir(parents=True, exist_ok=True)
            project = self._session.create(root, task, name=name)
        except TransferLabError as exc:
            self._notifier.post(exc.message, "error", exc.detail)
            return False
        except Exception as exc:  # noqa: BLE001
            self._notifier.error(describe_error(exc, "creating the project"))
            return False
        self._settings.add_recent(project.root)
        self.recent_changed.emit()
        self._notifier.post(f"Created the {task} project '{project.name}' in {project.root}.", "success")
        self.navigate.emit("data")
        if import_from:
            self._imports.start([import_from], labels="folder")
        return True

    # ------------------------------------------------------------ drops onto the window

    def handle_drop(self, paths: list[str], parent: QWidget) -> None:
        """A project folder opens; with a project open, files import; else a folder becomes a project."""
        paths = [p for p in paths if p]
        if not paths:
            return
        if len(paths) == 1 and is_project_folder(paths[0]):
            self.open_project(paths[0])
            return
        if self._session.is_open:
            if self._imports.start(paths, labels="folder"):
                self.navigate.emit("data")
            return
        folders = [p for p in paths if os.path.isdir(p)]
        if len(folders) == 1 and len(paths) == 1:
            self.ask_new_project(parent, import_from=folders[0])
            return
        self._notifier.post(
            "To start a project from your files, drop one folder (its subfolders become the classes), "
            "or create a project first and then drop files on it.", "info",
        )
