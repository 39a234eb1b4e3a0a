"""The main window: composition only (navigation, message strip, pages); controllers do the work."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from desktop.pages.data_page import DataPage
from desktop.pages.evaluate_page import EvaluatePage
from desktop.pages.export_page import ExportPage
from desktop.pages.home_page import HomePage
from desktop.pages.label_page import LabelPage
from desktop.pages.play_page import PlayPage
from desktop.pages.train_page import TrainPage
from desktop.services import Services
from desktop.theme import THEME_CHOICES
from desktop.widgets.cut_dialog import ask_cut_for_import
from desktop.widgets.file_drop import AcceptsFileDrops
from desktop.widgets.message_banner import MessageBanner
from desktop.widgets.nav_bar import NavBar

COMPACT_BELOW = 1100  # window width (px) under which the navigation shows icons only

# (key, title, needs an open project)
PAGES = [
    ("home", "Home", False), ("data", "Data", True), ("label", "Label", True), ("train", "Train", True),
    ("evaluate", "Evaluate", True), ("play", "Play", True), ("export", "Export", True),
]


class MainWindow(AcceptsFileDrops, QMainWindow):
    def __init__(self, services: Services):
        super().__init__()
        self.services = services
        s = services
        self.setMinimumSize(900, 600)
        self.resize(1180, 760)
        self.setAcceptDrops(True)

        self.nav = NavBar(PAGES)
        self.banner = MessageBanner(s.notifier)
        self.pages: dict[str, QWidget] = {
            "home": HomePage(s.projects, s.settings),
            "data": DataPage(s.session, s.imports, s.settings, s.labels, s.thumbnails, s.edits),
            "label": LabelPage(s.session, s.labels, s.settings, s.thumbnails, s.notifier, s.suggestions, s.edits),
            "train": TrainPage(s.session, s.training, s.runs, s.notifier),
            "evaluate": EvaluatePage(s.session, s.runs, s.labels, s.thumbnails, s.notifier),
            "play": PlayPage(s.session, s.runs, s.notifier, s.edits),
            "export": ExportPage(s.session, s.runs, s.settings, s.notifier),
        }
        self.stack = QStackedWidget()
        for key, _title, _needs in PAGES:
            self.pages[key].setObjectName(f"page_{key}")
            self.stack.addWidget(self.pages[key])

        content = QWidget()
        content.setObjectName("Content")
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(0)
        content_layout.addWidget(self.banner)
        content_layout.addWidget(self.stack, 1)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(content, 1)
        self.setCentralWidget(central)
        self._build_menus()

        s.imports.cut_asker = lambda recordings: ask_cut_for_import(self, recordings)
        self.pages["evaluate"].open_sample.connect(self.open_on_label_page)
        self.nav.page_selected.connect(self.show_page)
        s.projects.navigate.connect(self.show_page)
        s.session.opened.connect(lambda _p: self._project_changed())
        s.session.closed.connect(self._project_changed)
        self._project_changed()
        self.show_page("home")

    def _build_menus(self) -> None:
        s = self.services
        file_menu = self.menuBar().addMenu("&File")
        self._add_action(file_menu, "&New project…", lambda: s.projects.ask_new_project(self), QKeySequence.StandardKey.New)
        self._add_action(file_menu, "&Open project…", lambda: s.projects.ask_open_project(self), QKeySequence.StandardKey.Open)
        self.close_project_action = self._add_action(file_menu, "&Close project", s.projects.close_project)
        file_menu.addSeparator()
        self._add_action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = s.labels.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
        self.redo_action = s.labels.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        view_menu = self.menuBar().addMenu("&View")
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        for choice in THEME_CHOICES:
            action = QAction("Follow the system" if choice == "system" else choice.capitalize(), self, checkable=True)
            action.setChecked(choice == s.themes.choice)
            action.triggered.connect(lambda _checked=False, c=choice: s.themes.set_choice(c))
            group.addAction(action)
            theme_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = self._add_action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "F1")
        # "?" as well: a QLineEdit takes the key for itself (typing "?" in a search box types it)
        for keys in ("?", "Shift+?"):  # keyboards report ? with or without the Shift that typed it
            QShortcut(QKeySequence(keys), self).activated.connect(self.show_shortcuts)

    def show_shortcuts(self) -> None:
        from desktop.shortcuts import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        self.shortcuts_dialog = dialog  # for tests: the dialog last shown
        dialog.exec()

    def _add_action(self, menu, text, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    # ------------------------------------------------------------ navigation and title

    def show_page(self, key: str) -> None:
        if not self.nav.buttons[key].isEnabled():
            key = "home"
        self.stack.setCurrentWidget(self.pages[key])
        self.nav.set_current(key)

    def open_on_label_page(self, sample_id: int) -> None:
        self.show_page("label")
        self.pages["label"].reveal(sample_id)

    def current_page(self) -> str:
        return next(k for k, w in self.pages.items() if w is self.stack.currentWidget())

    def _project_changed(self) -> None:
        project = self.services.session.project
        if project is None:
            self.setWindowTitle("TransferLab")
            self.nav.set_project(None)
            self.close_project_action.setEnabled(False)
            if self.nav.current() not in (None, "home"):
                self.show_page("home")
            return
        suffix = " (read-only)" if project.read_only else ""
        self.setWindowTitle(f"{project.name}{suffix} — TransferLab")
        self.nav.set_project(f"{project.name}\n{project.task.capitalize()} project{suffix}")
        self.close_project_action.setEnabled(True)

    # ------------------------------------------------------------ drops and closing

    def files_dropped(self, paths: list[str]) -> None:
        self.services.projects.handle_drop(paths, self)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # Below this width the pages need the navigation's room more than its words.
        self.nav.set_compact(self.width() < COMPACT_BELOW)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.services.settings.set_window_geometry(self.saveGeometry())
        self.services.shutdown()
        super().closeEvent(event)
