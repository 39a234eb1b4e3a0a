"""Every keyboard shortcut of the app in one list: the Help menu and the ? key show it, and pages
take their hints from it, so a hint never promises a key that does not work."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout

# (where, keys, what)
SHORTCUTS = [
    ("Everywhere", "Ctrl+N", "New project"),
    ("Everywhere", "Ctrl+O", "Open a project"),
    ("Everywhere", "Ctrl+Z", "Undo a label edit, a deletion or a cut"),
    ("Everywhere", "Ctrl+Shift+Z, Ctrl+Y", "Redo"),
    ("Everywhere", "?  or  F1", "This list"),
    ("Everywhere", "Ctrl+Q", "Quit"),
    ("Label", "1 – 9", "Label with the class of that key and go to the next unlabelled sample"),
    ("Label", "0, Backspace", "Clear the label"),
    ("Label", "Enter", "Accept the suggested label"),
    ("Label", "← → ↑ ↓, Page Up/Down, Home, End", "Move between samples"),
    ("Label", "Shift + arrows, Ctrl+click", "Select several samples (keys then label them all)"),
    ("Label, Data", "Space", "Play or stop the sound (a segment: only its span)"),
    ("Label, Data", "Delete", "Delete the selected samples (undoable; asks first for 10 or more)"),
    ("Label, Data", "Right-click", "Play, show the file in its folder, cut a recording, delete"),
    ("Evaluate", "1 – 9", "Relabel the selected mistake"),
    ("Evaluate", "Space", "Play the selected mistake"),
    ("Evaluate", "Double-click, Enter", "Open the mistake on the Label page"),
    ("Play", "Space", "Play or stop the selected file"),
]


class ShortcutsDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("ShortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 560)
        title = QLabel("Keyboard shortcuts")
        title.setProperty("role", "heading")
        self.table = QTableWidget(len(SHORTCUTS), 3)
        self.table.setHorizontalHeaderLabels(["Where", "Keys", "What"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for row, values in enumerate(SHORTCUTS):
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col == 1:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons, 0, Qt.AlignmentFlag.AlignRight)
