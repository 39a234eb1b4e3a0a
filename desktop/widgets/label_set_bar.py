"""The Label page's label set picker (multi-task): which set the number keys label in, and the
"Label sets" menu to add one (a name dialog), rename the main one, or delete the extra set worked in
(confirmed first, saying how many labels go with it; the page goes back to the main set).

The picker shows only when the project has extra label sets; the menu is always there, so the
first extra set can be added from here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QInputDialog, QLabel, QMenu, QMessageBox, QPushButton, QWidget,
)

from desktop.controllers.label_controller import LabelController

MENU_TIP = ("Label sets: more than one question per sample (for example 'species' and 'has spots'). "
            "One model learns every set, with a head per set.")


class LabelSetBar(QWidget):
    def __init__(self, labels: LabelController, parent: QWidget | None = None):
        super().__init__(parent)
        self._labels = labels
        self.dialog: QInputDialog | QMessageBox | None = None  # the open name or confirmation dialog (tests answer it)
        self.caption = QLabel("Label set")
        self.caption.setProperty("role", "muted")
        self.combo = QComboBox()
        self.combo.setObjectName("LabelSetCombo")
        self.combo.setMinimumContentsLength(12)
        self.combo.setToolTip("The label set the number keys, the class list and the strip work in")
        self.combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # number keys stay with the strip
        self.combo.currentIndexChanged.connect(self._picked)
        self.menu = QMenu(self)
        self.add_action = self.menu.addAction("Add label set…", self.ask_new_set)
        self.rename_action = self.menu.addAction("Rename the main set…", self.ask_rename_main)
        self.delete_action = self.menu.addAction("Delete label set…", self.ask_delete_active)
        self.menu_button = QPushButton("Label sets ▾")
        self.menu_button.setObjectName("LabelSetsButton")
        self.menu_button.setToolTip(MENU_TIP)
        self.menu_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.menu_button.clicked.connect(
            lambda: self.menu.popup(self.menu_button.mapToGlobal(self.menu_button.rect().bottomLeft())))
        self.picker = QWidget()  # caption and combo, level with the page's other combo boxes
        row = QHBoxLayout(self.picker)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self.caption)
        row.addWidget(self.combo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.picker, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addWidget(self.menu_button)
        labels.label_sets_changed.connect(self.refresh)
        labels.active_set_changed.connect(lambda _name: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        labels = self._labels
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(f"{labels.main_set} (main)", None)
        self.combo.setItemData(0, "The main label set: the project's classes, used by every page", Qt.ItemDataRole.ToolTipRole)
        for name in labels.label_sets():
            self.combo.addItem(name, name)
        self.combo.setCurrentIndex(max(self.combo.findData(labels.active_set), 0) if labels.active_set else 0)
        self.combo.blockSignals(False)
        has_sets = bool(labels.label_sets())
        self.picker.setVisible(has_sets)
        self.rename_action.setText(f"Rename the main set '{labels.main_set}'…")
        active = labels.active_set
        self.delete_action.setVisible(active is not None)  # the extra set worked in
        self.delete_action.setText(f"Delete label set '{active}'…" if active else "Delete label set…")

    def _picked(self, _index: int) -> None:
        self._labels.set_active_set(self.combo.currentData())

    # ------------------------------------------------------------ dialogs

    def _ask(self, title: str, prompt: str, text: str, done) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(prompt)
        dialog.setTextValue(text)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(lambda value: value.strip() and done(value.strip()))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def ask_new_set(self) -> QInputDialog:
        return self._ask("Add label set", "Name of the new label set (a question to answer about every sample, "
                         "for example 'has spots'):", "", self._labels.add_label_set)

    def ask_rename_main(self) -> QInputDialog:
        main = self._labels.main_set
        return self._ask("Rename the main label set", f"New name for the main label set '{main}':", main,
                         lambda name: name != main and self._labels.rename_main_set(name))

    def ask_delete_active(self) -> QMessageBox | None:
        """Confirm deleting the extra set worked in, saying how many labels go with it."""
        name = self._labels.active_set
        if name is None:
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Delete label set", delete_set_question(
            name, self._labels.set_label_count(name), self._labels.main_set), QMessageBox.StandardButton.Cancel, self)
        box.addButton("Delete label set", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: box.buttonRole(button) == QMessageBox.ButtonRole.DestructiveRole
                                and self._labels.delete_label_set(name))
        box.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = box
        box.open()
        return box


def delete_set_question(name: str, labels: int, main: str) -> str:
    gone = ("No sample is labelled in it yet." if labels == 0 else
            "Its 1 label goes with it." if labels == 1 else f"Its {labels:,} labels go with it.")
    return (f"Delete the label set '{name}' and its classes? {gone} The main set '{main}' and the files "
            "stay as they are.")
