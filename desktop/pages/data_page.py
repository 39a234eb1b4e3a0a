"""Data: import in the background, browse every sample in a virtualised grid with filters and a
detail view, and see which files an import turned away and why."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QPushButton, QSplitter, QStackedWidget, QVBoxLayout, QWidget,
)

from core.media import AUDIO_EXTENSIONS, IMAGE_EXTENSIONS, TEXT_EXTENSIONS

# what each kind of project takes, as the drop zone and the file dialog name it
ACCEPTED = {"image": ("images", IMAGE_EXTENSIONS), "audio": ("audio files", AUDIO_EXTENSIONS),
            "text": ("texts", TEXT_EXTENSIONS | {".csv", ".tsv", ".jsonl"})}
from desktop import theme
from desktop.controllers.import_controller import ImportController
from desktop.controllers.label_controller import LabelController
from desktop.qtmodels.rejections import RejectionsModel
from desktop.qtmodels.sample_grid import SampleGridModel
from desktop.qtmodels.sample_query import SampleFilter
from desktop.resources import themed_icon
from desktop.session import ProjectSession
from desktop.settings import AppSettings
from desktop.thumbnails.loader import ThumbnailLoader
from desktop.widgets.drop_zone import DropZone
from desktop.widgets.filter_bar import FilterBar
from desktop.widgets.import_progress import ImportProgressPanel
from desktop.widgets.rejections_card import RejectionsCard
from desktop.widgets.sample_actions import SampleActions
from desktop.widgets.sample_detail import SampleDetail
from desktop.widgets.sample_grid_view import SampleGridView
from desktop.widgets.section import card


class DataPage(QWidget):
    def __init__(self, session: ProjectSession, imports: ImportController, settings: AppSettings,
                 labels: LabelController, thumbnails: ThumbnailLoader, edits=None, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = session
        self._imports = imports
        self._settings = settings
        self._labels = labels

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

        self.filters = FilterBar()
        self.filters.changed.connect(self._filter_changed)
        self.filters.rejected_toggled.connect(lambda _on: self._show_content())
        self.grid_model = SampleGridModel(thumbnails, self)
        self.grid = SampleGridView(self.grid_model)
        self.grid.selectionModel().currentChanged.connect(lambda cur, _prev: self._current_changed(cur.row()))
        self.no_match = QLabel("No samples match these filters.")
        self.no_match.setProperty("role", "muted")
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = SampleDetail(session, thumbnails)
        self.detail_card = card(self.detail, margins=(16, 14, 16, 14))
        self.detail_card.setMinimumWidth(300)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        grid_stack = QStackedWidget()
        grid_stack.addWidget(self.grid)
        grid_stack.addWidget(self.no_match)
        self.grid_stack = grid_stack
        self.splitter.addWidget(grid_stack)
        self.splitter.addWidget(self.detail_card)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([640, 380])

        self.rejections = RejectionsCard()
        self.rejections_model: RejectionsModel = self.rejections.model
        self.rejections_view = self.rejections.view
        self.content = QStackedWidget()
        self.content.addWidget(self.splitter)
        self.content.addWidget(self.rejections)

        browser = QWidget()
        browser_layout = QVBoxLayout(browser)
        browser_layout.setContentsMargins(0, 0, 0, 0)
        browser_layout.setSpacing(12)
        browser_layout.addWidget(self.filters)
        browser_layout.addWidget(self.content, 1)
        self.browser = browser
        self.body = QStackedWidget()
        self.body.addWidget(self.drop_zone)
        self.body.addWidget(browser)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.setSpacing(14)
        layout.addLayout(head)
        layout.addWidget(self.progress)
        layout.addWidget(self.body, 1)

        play = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        play.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        play.activated.connect(self.detail.toggle_play)
        self.actions = None
        if edits is not None:
            self.actions = SampleActions(self, self.grid, edits, selected=self.selected_samples,
                                         play=self.detail.toggle_play, cut=lambda sample: edits.cut(sample, self),
                                         show_after=self._restore_current,
                                         next_after=self.grid_model.id_after_removing)
            self.detail.cut_requested.connect(lambda sample: edits.cut(sample, self))
            edits.restored.connect(lambda ids: self._restore_current(ids[0]) if ids else None)

        # Label edits arrive one key press at a time: counts are read again once things settle.
        self._counts_timer = QTimer(self, singleShot=True, interval=150)
        self._counts_timer.timeout.connect(self._refresh_counts)
        session.opened.connect(self._project_opened)
        session.changed.connect(self.refresh)
        session.closed.connect(self._project_opened)
        imports.started.connect(self._on_started)
        imports.progress.connect(self.progress.update_progress)
        imports.finished.connect(self._on_finished)
        imports.rejections_requested.connect(self.show_rejections)
        labels.labels_changed.connect(self._labels_changed)
        labels.classes_changed.connect(self._classes_changed)
        self._refresh_icons()
        self._project_opened()

    # ------------------------------------------------------------ state

    def _project_opened(self, _project=None) -> None:
        self.grid_model.set_project(self._session.project)
        self.grid_model.set_class_colors(self._labels.class_colors())
        self.refresh()

    def refresh(self) -> None:
        """Everything again (a project opened, an import finished, classes were rewritten)."""
        project = self._session.project
        writable = project is not None and not project.read_only and not self._imports.is_running
        for button in (self.import_folder_button, self.import_files_button):
            button.setEnabled(writable)
            button.setToolTip("" if writable or project is None or not project.read_only
                              else "This project is open read-only")
        if project is None:
            self.subtitle.setText("No project open")
            self.rejections.set_rows([], None)
            self.detail.show_sample(None)
            self.body.setCurrentWidget(self.drop_zone)
            return
        kind, accepted = ACCEPTED[project.task]
        self.filters.search_edit.setPlaceholderText("Search file names and texts" if project.task == "text"
                                                    else "Search file names")
        self.drop_zone.set_text(
            f"Drop {kind} here",
            f"Or use Import folder… — files in subfolders are labelled with the folder's name.\n"
            f"Accepted: {', '.join(sorted(accepted))}",
        )
        current = self._current_id()
        self.grid_model.reload()
        self._restore_current(current)
        status = self._refresh_counts()
        self.rejections.set_rows(project.rejections(), self._imports.last_report)
        has_anything = status.samples or status.broken or status.rejected or self._imports.is_running
        self.body.setCurrentIndex(1 if has_anything else 0)
        self._show_content()

    def _refresh_counts(self):
        project = self._session.project
        if project is None:
            return None
        status = project.status()  # a handful of indexed COUNT queries
        bits = [f"{project.name} · {project.task} project", f"{status.samples:,} samples",
                f"{status.labelled:,} labelled"]
        if status.broken:
            bits.append(f"{status.broken:,} broken")
        if status.rejected:
            bits.append(f"{status.rejected:,} rejected")
        if project.read_only:
            bits.append("read-only")
        self.subtitle.setText(" · ".join(bits))
        self.filters.set_classes(self._labels.classes(), status.unlabelled)
        self.filters.set_count(self.grid_model.rowCount())
        return status

    def _show_content(self) -> None:
        if self.filters.showing_rejected():
            self.content.setCurrentWidget(self.rejections)
            return
        self.content.setCurrentWidget(self.splitter)
        empty = self.grid_model.rowCount() == 0
        if empty:
            self.no_match.setText(
                "The samples appear here when the import is done." if self._imports.is_running
                else "No samples match these filters." if self.grid_model.filter != SampleFilter()
                else "No usable samples yet.")
        self.grid_stack.setCurrentWidget(self.no_match if empty else self.grid)

    def show_rejections(self) -> None:
        self.filters.show_combo.setCurrentIndex(self.filters.show_combo.findData("rejected"))

    def _filter_changed(self, f) -> None:
        current = self._current_id()
        self.grid_model.set_filter(f)
        self._restore_current(current)
        self.filters.set_count(self.grid_model.rowCount())
        self._show_content()

    # ------------------------------------------------------------ current sample

    def _current_id(self) -> int | None:
        index = self.grid.currentIndex()
        return self.grid_model.id_at(index.row()) if index.isValid() else None

    def _restore_current(self, sample_id: int | None) -> None:
        row = self.grid_model.row_of(sample_id) if sample_id is not None else None
        if row is None:
            row = 0 if self.grid_model.rowCount() else None
        if row is None:
            self.detail.show_sample(None)
            return
        index = self.grid_model.index(row)
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index)
        self._current_changed(row)

    def selected_samples(self) -> list:
        rows = sorted({i.row() for i in self.grid.selectionModel().selectedIndexes()})
        current = self.grid.currentIndex()
        if len(rows) <= 1 and current.isValid():
            rows = [current.row()]
        return [self.grid_model.sample_at(r) for r in rows]

        for row in list(range(max(rows) + 1, self.grid_model.rowCount())) + list(range(min(rows) - 1, -1, -1)):
            if self.grid_model.id_at(row) not in gone:
                return self.grid_model.id_at(row)
        return None

    def _current_changed(self, row: int) -> None:
        self.detail.show_sample(self.grid_model.sample_at(row) if row >= 0 else None)

    def _labels_changed(self, labels: dict) -> None:
        self.grid_model.apply_labels(labels)
        index = self.grid.currentIndex()
        if index.isValid() and self.grid_model.id_at(index.row()) in labels:
            self._current_changed(index.row())
        elif self.detail.sample is not None and self.detail.sample.is_segment:
            self.detail.refresh_spans()  # another segment of this recording changed colour
        self._counts_timer.start()

    def _classes_changed(self) -> None:
        self.grid_model.set_class_colors(self._labels.class_colors())
        self._counts_timer.start()

    # ------------------------------------------------------------ look

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
        exts = ACCEPTED[project.task if project is not None else "image"][1]
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
        for button in (self.import_folder_button, self.import_files_button):
            button.setEnabled(False)
        if self.body.currentWidget() is self.drop_zone:
            self.body.setCurrentWidget(self.browser)
            self._show_content()

    def _on_finished(self, _report) -> None:
        # The rows, counts and report were read again on session.changed, just before this.
        self.progress.hide()
        project = self._session.project
        writable = project is not None and not project.read_only
        for button in (self.import_folder_button, self.import_files_button):
            button.setEnabled(writable)
