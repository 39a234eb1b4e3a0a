"""Project home: new, open, recent projects, and an invitation to drop a folder."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget,
)

from desktop import theme
from desktop.controllers.project_controller import ProjectController
from desktop.qtmodels.recent_projects import MISSING_ROLE, PATH_ROLE, RecentProjectsModel
from desktop.resources import themed_icon
from desktop.settings import AppSettings
from desktop.widgets.recent_delegate import RecentProjectDelegate


class HomePage(QWidget):
    def __init__(self, projects: ProjectController, settings: AppSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self._projects = projects

        title = QLabel("Welcome to TransferLab")
        title.setProperty("role", "title")
        lead = QLabel("Teach a model to recognise your own images or sounds — on this computer, offline.")
        lead.setProperty("role", "lead")
        lead.setWordWrap(True)

        self.new_button = QPushButton("New project…")
        self.new_button.setProperty("primary", True)
        self.new_button.clicked.connect(lambda: self._projects.ask_new_project(self))
        self.open_button = QPushButton("Open project…")
        self.open_button.clicked.connect(lambda: self._projects.ask_open_project(self))
        for button in (self.new_button, self.open_button):
            button.setIconSize(QSize(16, 16))
            button.setMinimumHeight(36)
        actions = QHBoxLayout()
        actions.setSpacing(10)
        actions.addWidget(self.new_button)
        actions.addWidget(self.open_button)
        actions.addStretch(1)

        recent_title = QLabel("Recent projects")
        recent_title.setProperty("role", "section")
        self.recent_model = RecentProjectsModel(settings, self)
        self.recent_view = QListView()
        self.recent_view.setObjectName("RecentList")
        self.recent_view.setModel(self.recent_model)
        self.recent_view.setItemDelegate(RecentProjectDelegate(self.recent_view))
        self.recent_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.recent_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.recent_view.setUniformItemSizes(True)
        self.recent_view.setMaximumHeight(6 * RecentProjectDelegate.ROW_HEIGHT + 12)
        self.recent_view.doubleClicked.connect(self._open_index)
        self.recent_view.activated.connect(self._open_index)
        self.recent_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.recent_empty = QLabel("Projects you open or create will be listed here.")
        self.recent_empty.setProperty("role", "muted")
        self.open_recent_button = QPushButton("Open")
        self.open_recent_button.clicked.connect(lambda: self._open_index(self.recent_view.currentIndex()))
        self.missing_label = QLabel()
        self.missing_label.setProperty("role", "muted")
        self.forget_button = QPushButton("Forget them")
        self.forget_button.setProperty("flat", True)
        self.forget_button.clicked.connect(self._forget_missing)
        missing_row = QHBoxLayout()
        missing_row.addWidget(self.missing_label)
        missing_row.addWidget(self.forget_button)
        missing_row.addStretch(1)
        self.remove_button = QPushButton("Remove from list")
        self.remove_button.clicked.connect(self._remove_selected)
        recent_buttons = QHBoxLayout()
        recent_buttons.addStretch(1)
        recent_buttons.addWidget(self.remove_button)
        recent_buttons.addWidget(self.open_recent_button)

        drop_hint = QFrame()
        drop_hint.setObjectName("DropHint")
        hint = QLabel(
            "<b>Tip:</b> drop a folder of images or sounds onto this window to make a project from it — "
            "each subfolder becomes a class. Drop a project folder to open it."
        )
        hint.setWordWrap(True)
        hint_layout = QHBoxLayout(drop_hint)
        hint_layout.setContentsMargins(16, 12, 16, 12)
        hint_layout.addWidget(hint)

        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        column.addWidget(title)
        column.addWidget(lead)
        column.addSpacing(8)
        column.addLayout(actions)
        column.addSpacing(18)
        column.addWidget(recent_title)
        column.addWidget(self.recent_view)
        column.addWidget(self.recent_empty)
        column.addLayout(recent_buttons)
        column.addLayout(missing_row)
        column.addSpacing(8)
        column.addWidget(drop_hint)
        column.addStretch(1)

        body = QWidget()
        body.setMaximumWidth(760)
        body.setLayout(column)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(36, 28, 36, 28)
        outer.addWidget(body, 1)
        outer.addStretch(0)

        projects.recent_changed.connect(self.refresh)
        self._refresh_icons()
        self.refresh()

    def refresh(self) -> None:
        self.recent_model.refresh()
        empty = self.recent_model.rowCount() == 0
        self.recent_view.setVisible(not empty)
        self.recent_empty.setVisible(empty)
        gone = len(self.recent_model.missing)
        self.missing_label.setText(f"{gone} recent project{'s' * (gone != 1)} not shown: "
                                   f"{'their folders are' if gone != 1 else 'its folder is'} gone or moved.")
        self.missing_label.setToolTip("\n".join(self.recent_model.missing))
        self.missing_label.setVisible(bool(gone))
        self.forget_button.setVisible(bool(gone))
        self._update_buttons()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()  # a recent project may have been moved or deleted meanwhile

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._refresh_icons()

    def _refresh_icons(self) -> None:
        name = theme.current_theme()
        self.new_button.setIcon(themed_icon("plus", theme.color(name, "accent_text")))
        self.open_button.setIcon(themed_icon("folder", theme.color(name, "text")))

    def _update_buttons(self, *_args) -> None:
        index = self.recent_view.currentIndex()
        has = index.isValid() and bool(self.recent_view.selectionModel().selectedIndexes())
        self.remove_button.setVisible(self.recent_model.rowCount() > 0)
        self.open_recent_button.setVisible(self.recent_model.rowCount() > 0)
        self.remove_button.setEnabled(has)
        self.open_recent_button.setEnabled(has and not index.data(MISSING_ROLE))

    def _open_index(self, index) -> None:
        if not index.isValid():
            return
        self._projects.open_project(index.data(PATH_ROLE))

    def _forget_missing(self) -> None:
        for path in list(self.recent_model.missing):
            self._projects.remove_recent(path)
        self.refresh()

    def _remove_selected(self) -> None:
        index = self.recent_view.currentIndex()
        if index.isValid():
            self._projects.remove_recent(index.data(PATH_ROLE))
