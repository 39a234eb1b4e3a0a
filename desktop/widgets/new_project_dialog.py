"""New project: a name, a place, and whether it is about images or audio."""

from __future__ import annotations

import os
import re
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QRadioButton, QVBoxLayout, QWidget,
)

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def folder_name_for(name: str) -> str:
    return _UNSAFE.sub("_", name).strip().strip(".") or "Untitled"


class NewProjectDialog(QDialog):
    def __init__(self, parent: QWidget | None, *, location: str, import_from: str | None = None,
                 task: str | None = None, name: str | None = None):
        super().__init__(parent)
        self.import_from = import_from
        self.setWindowTitle("New project")
        self.setMinimumWidth(520)

        title = QLabel("Create a project")
        title.setProperty("role", "heading")
        intro = QLabel(
            "A project is a folder that holds your files, their labels and the models you train."
        )
        intro.setWordWrap(True)
        intro.setProperty("role", "muted")

        self.name_edit = QLineEdit(name or (Path(import_from).name if import_from else ""))
        self.name_edit.setPlaceholderText("For example: Birds in my garden")
        self.location_edit = QLineEdit(location)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.location_edit, 1)
        where.addWidget(self.browse_button)

        self.image_radio = QRadioButton("Images — photos, scans, screenshots")
        self.audio_radio = QRadioButton("Audio — recordings, sounds, speech")
        self.text_radio = QRadioButton("Text — messages, reviews, documents")
        self._tasks = QButtonGroup(self)
        for radio in (self.image_radio, self.audio_radio, self.text_radio):
            self._tasks.addButton(radio)
        {"audio": self.audio_radio, "text": self.text_radio}.get(task or "", self.image_radio).setChecked(True)
        task_box = QVBoxLayout()
        task_box.setSpacing(6)
        task_box.addWidget(self.image_radio)
        task_box.addWidget(self.audio_radio)
        task_box.addWidget(self.text_radio)

        form = QFormLayout()
        form.setVerticalSpacing(12)
        form.setHorizontalSpacing(16)
        form.addRow("Name", self.name_edit)
        form.addRow("Location", where)
        form.addRow("Kind", task_box)

        self.target_label = QLabel()
        self.target_label.setProperty("role", "muted")
        self.target_label.setWordWrap(True)
        self.problem_label = QLabel()
        self.problem_label.setProperty("role", "error")
        self.problem_label.setWordWrap(True)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton("Create project", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setDefault(True)
        self.create_button.setProperty("primary", True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addLayout(form)
        if import_from:
            note = QLabel(
                f"The files in <b>{_html(import_from)}</b> will be imported; each file is labelled with "
                "the name of the folder it is in."
            )
            note.setWordWrap(True)
            note.setProperty("role", "note")
            layout.addWidget(note)
        layout.addWidget(self.target_label)
        layout.addWidget(self.problem_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.name_edit.textChanged.connect(self._validate)
        self.location_edit.textChanged.connect(self._validate)
        self._validate()

    def target(self) -> Path:
        return Path(os.path.expanduser(self.location_edit.text().strip())) / folder_name_for(self.name_edit.text())

    def task(self) -> str:
        return "audio" if self.audio_radio.isChecked() else "text" if self.text_radio.isChecked() else "image"

    def values(self) -> tuple[Path, str, str]:
        return self.target(), self.task(), self.name_edit.text().strip()

    def problem(self) -> str | None:
        if not self.name_edit.text().strip():
            return "Give the project a name."
        if not self.location_edit.text().strip():
            return "Choose where to keep the project."
        target = self.target()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            return f"'{target}' already exists and is not empty; choose another name or location."
        return None

    def _validate(self) -> None:
        problem = self.problem()
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(bool(problem))
        self.target_label.setText("" if problem else f"The project folder will be {self.target()}")
        self.create_button.setEnabled(problem is None)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Where to keep the project", self.location_edit.text())
        if folder:
            self.location_edit.setText(folder)

    def accept(self) -> None:
        if self.problem() is None:
            super().accept()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
