"""What a person can do to the samples of a grid or strip besides labelling them: play, show the
file in its folder, cut a recording into samples, delete (the Delete key; a confirmation when many
go at once, and Undo either way). The Data and Label pages share it.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from desktop.controllers.sample_edits import SampleEdits, count_text

CONFIRM_FROM = 10  # deleting this many samples or more at once asks first


def confirm_delete(parent: QWidget, n: int) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, "Delete samples",
                      f"Delete {count_text(n)} from this project?", parent=parent)
    box.setObjectName("ConfirmDelete")
    box.setInformativeText("Their labels go with them. Edit ▸ Undo (Ctrl+Z) brings them back until the "
                           "project is closed.")
    delete = box.addButton(f"Delete {count_text(n)}", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is delete


class SampleActions(QObject):
    """Wires a page: ``selected`` gives the samples acted on (the current one first when alone),
    ``play`` plays the current one, ``cut`` (optional) opens "Cut into samples…" for a recording,
    ``next_after`` says which sample id to show after a deletion."""

    def __init__(self, page: QWidget, view, edits: SampleEdits, *, selected: Callable[[], list],
                 play: Callable[[], None] | None = None, cut: Callable[[object], None] | None = None,
                 show_after: Callable[[int | None], None] | None = None, next_after: Callable[[list], int | None] = None):
        super().__init__(page)
        self._page, self._view, self._edits = page, view, edits
        self._selected, self._play, self._cut = selected, play, cut
        self._show_after, self._next_after = show_after, next_after
        shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), page)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.delete_selected)
        self.delete_shortcut = shortcut
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._menu_at)
        self.last_menu: QMenu | None = None  # for tests: the menu last shown

    def menu(self) -> QMenu:
        samples = [s for s in self._selected() if s is not None]
        menu = QMenu(self._view)
        menu.setObjectName("SampleMenu")
        one = samples[0] if len(samples) == 1 else None
        if one is not None and one.kind == "audio" and self._play is not None:
            menu.addAction("Play / stop\tSpace", self._play)
        if one is not None:
            menu.addAction("Show file in folder", lambda: self._edits.reveal(one))
        if one is not None and self._cut is not None and one.kind == "audio" and not one.is_segment:
            menu.addAction("Cut into samples…", lambda: self._cut(one))
        if samples:
            menu.addSeparator()
            action = menu.addAction(f"Delete {count_text(len(samples))}", self.delete_selected)
            action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        return menu

    def _menu_at(self, pos) -> None:
        index = self._view.indexAt(pos)
        if index.isValid() and not self._view.selectionModel().isSelected(index):
            self._view.setCurrentIndex(index)  # right-click on another sample acts on it
        menu = self.menu()
        self.last_menu = menu
        if not menu.isEmpty():
            menu.popup(self._view.viewport().mapToGlobal(pos))

    def delete_selected(self) -> bool:
        samples = [s for s in self._selected() if s is not None]
        if not samples:
            return False
        if len(samples) >= CONFIRM_FROM and not confirm_delete(self._page, len(samples)):
            return False
        ids = [s.id for s in samples]
        after = self._next_after(ids) if self._next_after is not None else None
        if not self._edits.delete(ids):
            return False
        if self._show_after is not None:
            self._show_after(after)
        return True
