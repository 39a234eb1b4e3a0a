"""Data: import in the background, what came in per class and split, and what was turned away."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QFrame, QHBoxLayout, QHeaderView, QLabel, QPushButton, QStackedWidget,
    QTableView, QVBoxLayout, QWidget,
)

from core.media import AUDIO_EXTENSIONS, IMAGE_EXTENSIONS
from desktop import theme
from desktop.controllers.import_controller import ImportController
from desktop.qtmodels.class_counts import ClassCountsModel
from desktop.qtmodels.rejections import RejectionsModel
from desktop.resources import themed_icon
from desktop.session import ProjectSession
from desktop.settings import AppSettings
from desktop.widgets.drop_zone import DropZone
from desktop.widgets.import_progress import ImportProgressPanel
from desktop.widgets.stat_card import StatCard


def _table(model) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.verticalHeader().hide()
    view.setWordWrap(False)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return view


class DataPage(QWidget):
    def __init__(self, session: ProjectSession, imports: ImportController, settings: AppSettings,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._session = session
        self._imports = imports
        self._settings = settings

        self.title = QLabel("Data")
        self.title.setProperty("role", "title")
        self.subtitle = QLabel()
        self.subtitle.setProperty("role", "muted")
        self.import_folder_button = QPushButton("Import folder…")
        self.import_folder_button.setProperty("primary", True)
        self.import_folder_button.clicked.connect(self._ask_folder)
        self.import_files_button = QPushButton("Import files…")
        self.import_files_button.clicked.connect(self._ask_files)
        head_text = QVBoxLayout()
        head_text.setSpacing(2)
        head_text.addWidget(self.title)
        head_text.addWidget(self.subtitle)
        head = QHBoxLayout()
        head.addLayout(head_text, 1)
        head.addWidget(self.import_files_button, 0, Qt.AlignmentFlag.AlignBottom)
        head.addWidget(self.import_folder_button, 0, Qt.AlignmentFlag.AlignBottom)

        self.progress = ImportProgressPanel()
        self.progress.cancel_button.clicked.connect(self._cancel)
        self.progress.hide()

        self.drop_zone = DropZone("Drop images or audio here")

        self.cards = {key: StatCard(caption) for key, caption in (
            ("samples", "samples"), ("labelled", "labelled"), ("unlabelled", "unlabelled"), ("rejected", "rejected files"),
        )}
        cards = QHBoxLayout()
        cards.setSpacing(12)
        for card in self.cards.values():
            cards.addWidget(card)

        self.classes_model = ClassCountsModel(self)
        self.classes_view = _table(self.classes_model)
        header = self.classes_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, self.classes_model.columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.classes_empty = QLabel("No classes yet. Files in subfolders get their folder's name as their class.")
        self.classes_empty.setProperty("role", "muted")
        self.classes_empty.setWordWrap(True)

        self.rejections_model = RejectionsModel(self)
        self.rejections_view = _table(self.rejections_model)
        self.rejections_view.setObjectName("RejectionsView")
        rheader = self.rejections_view.horizontalHeader()
        rheader.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        rheader.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.rejections_view.setWordWrap(True)
        self.rejections_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.report_label = QLabel()
        self.report_label.setWordWrap(True)
        self.report_label.setProperty("role", "muted")
        self.rejections_empty = QLabel("Nothing has been rejected. Unreadable or unsupported files would be listed here with the reason.")
        self.rejections_empty.setProperty("role", "muted")
        self.rejections_empty.setWordWrap(True)

        columns = QHBoxLayout()
        columns.setSpacing(16)
        columns.addWidget(self._section("Classes", None, self.classes_view, self.classes_empty), 3)
        columns.addWidget(self._section("Rejected files", self.report_label, self.rejections_view, self.rejections_empty), 3)

        summary = QWidget()
        summary_layout = QVBoxLayout(summary)
        summary_layout.setContentsMargins(0, 0, 0, 0)
        summary_layout.setSpacing(16)
        summary_layout.addLayout(cards)
        summary_layout.addLayout(columns, 1)

        self.body = QStackedWidget()
        self.body.addWidget(self.drop_zone)
        self.body.addWidget(summary)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(36, 28, 36, 28)
        layout.setSpacing(16)
        layout.addLayout(head)
        layout.addWidget(self.progress)
        layout.addWidget(self.body, 1)

        session.opened.connect(lambda _p: self.refresh())
        session.changed.connect(self.refresh)
        session.closed.connect(self.refresh)
        imports.started.connect(self._on_started)
        imports.progress.connect(self.progress.update_progress)
        imports.finished.connect(self._on_finished)
        self._refresh_icons()
        self.refresh()

    @staticmethod
    def _section(title: str, note: QLabel | None, view: QWidget, empty: QLabel) -> QFrame:
        frame = QFrame()
        frame.setProperty("role", "card")
        heading = QLabel(title)
        heading.setProperty("role", "section")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(16, 14, 16, 16)
        layout.setSpacing(8)
        layout.addWidget(heading)
        if note is not None:
            layout.addWidget(note)
        layout.addWidget(view, 1)
        layout.addWidget(empty)
        layout.addStretch(0)
        return frame

    # ------------------------------------------------------------ state

    def refresh(self) -> None:
        project = self._session.project
        writable = project is not None and not project.read_only and not self._imports.is_running
        for button in (self.import_folder_button, self.import_files_button):
            button.setEnabled(writable)
            button.setToolTip("" if writable or project is None or not project.read_only
                              else "This project is open read-only")
        if project is None:
            self.subtitle.setText("No project open")
            self.classes_model.set_status(None)
            self.rejections_model.set_rows([])
            self.body.setCurrentWidget(self.drop_zone)
            return
        status = project.status()  # a handful of indexed COUNT queries: fast enough for a slot
        kind = "images" if project.task == "image" else "audio files"
        self.subtitle.setText(f"{project.name} · {project.task} project" + (" · read-only" if project.read_only else ""))
        self.drop_zone.set_text(
            f"Drop {kind} here",
            f"Or use Import folder… — files in subfolders are labelled with the folder's name.\n"
            f"Accepted: {', '.join(sorted(IMAGE_EXTENSIONS if project.task == 'image' else AUDIO_EXTENSIONS))}",
        )
        for key in ("samples", "labelled", "unlabelled", "rejected"):
            self.cards[key].set_value(getattr(status, key))
        self.classes_model.set_status(status)
        has_classes = bool(status.classes)
        self.classes_view.setVisible(has_classes)
        self.classes_empty.setVisible(not has_classes)
        rows = project.rejections()
        self.rejections_model.set_rows(rows)
        self.rejections_view.setVisible(bool(rows))
        self.rejections_empty.setVisible(not rows)
        report = self._imports.last_report
        self.report_label.setText(f"Last import: {report.summary()}." if report else "")
        self.report_label.setVisible(report is not None)
        has_anything = status.samples or status.broken or status.rejected or self._imports.is_running
        self.body.setCurrentIndex(1 if has_anything else 0)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._refresh_icons()

    def _refresh_icons(self) -> None:
        name = theme.current_theme()
        self.import_folder_button.setIcon(themed_icon("import", theme.color(name, "accent_text")))

    # ------------------------------------------------------------ import

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder", self._settings.last_folder)
        if folder:
            self._settings.last_folder = folder
            self._imports.start([folder], labels="folder")

    def _ask_files(self) -> None:
        project = self._session.project
        exts = IMAGE_EXTENSIONS if project is None or project.task == "image" else AUDIO_EXTENSIONS
        pattern = " ".join(f"*{e} *{e.upper()}" for e in sorted(exts))
        files, _ = QFileDialog.getOpenFileNames(
            self, "Import files", self._settings.last_folder, f"Media files ({pattern});;CSV listing (*.csv);;All files (*)"
        )
        if files:
            self._imports.start(files, labels="none")

    def _cancel(self) -> None:
        self.progress.cancelling()
        self._imports.cancel()

    def _on_started(self) -> None:
        self.progress.reset()
        self.progress.show()
        self.refresh()

    def _on_finished(self, _report) -> None:
        self.progress.hide()
        self.refresh()
