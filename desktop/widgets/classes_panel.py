"""The classes panel: every class with its number key, colour, live count and attributes; add, rename,
recolour, describe, merge and delete (deleting says first what happens to the class's samples).
Describing (zero-shot) types a class's attributes; "Describe new…" adds a class known only by them.

In an extra label set (multi-task) it lists that set's classes, adds to that set, and renames and
deletes that set's classes (deleting unlabels their samples in that set only); recolouring,
describing and merging are for the main set's classes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QColorDialog, QFrame, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QListView,
    QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

from desktop.controllers.label_controller import LabelController
from desktop.qtmodels.classes_list import ClassListModel
from desktop.widgets.class_delegate import ClassDelegate
from desktop.widgets.describe_dialog import DescribeDialog


def delete_question(name: str, count: int, label_set: str | None = None) -> str:
    """The confirmation for deleting a class of the main set, or of the extra set ``label_set``."""
    what = f"the class '{name}' of the label set '{label_set}'" if label_set else f"the class '{name}'"
    if count == 0:
        return f"Delete {what}? No samples have this label."
    samples = "Its 1 sample becomes" if count == 1 else f"Its {count:,} samples become"
    if label_set:
        return (f"Delete {what}? {samples} unlabelled in '{label_set}'; their labels in other sets stay, "
                "and so do the files.")
    return f"Delete {what}? {samples} unlabelled. Labelled files stay in the project."


HINT = "Number keys label, 0 clears.\nDouble-click a class to use it."
EMPTY = "No classes yet. Add one below, or import folders: each folder becomes a class."


class ClassesPanel(QFrame):
    label_requested = Signal(str)  # a class was double-clicked: label the selection with it

    def __init__(self, labels: LabelController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setProperty("role", "card")
        self._labels = labels

        self.title = title = QLabel("Classes")
        title.setProperty("role", "section")
        self.hint = QLabel(HINT)
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)

        self.model = ClassListModel(self)
        self.view = QListView()
        self.view.setObjectName("ClassList")
        self.view.setModel(self.model)
        self.view.setItemDelegate(ClassDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setMouseTracking(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.doubleClicked.connect(lambda index: self.label_requested.emit(self.model.class_at(index.row()).name))
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.empty = QLabel(EMPTY)
        self.empty.setProperty("role", "muted")
        self.empty.setWordWrap(True)

        self.add_edit = QLineEdit()
        self.add_edit.setPlaceholderText("New class name")
        self.add_edit.returnPressed.connect(self._add)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self._add)
        add_row = QHBoxLayout()
        add_row.setSpacing(6)
        add_row.addWidget(self.add_edit, 1)
        add_row.addWidget(self.add_button)

        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(self._rename)
        self.color_button = QPushButton("Colour…")
        self.color_button.clicked.connect(self._recolor)
        self.merge_button = QPushButton("Merge…")
        self.merge_button.clicked.connect(self._merge)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self._delete)
        self.describe_button = QPushButton("Describe…")
        self.describe_button.setToolTip("Type what the class looks like (e.g. 'green, square'), for the zero-shot mode")
        self.describe_button.clicked.connect(lambda: self.open_describe(self._selected_info()))
        self.new_described_button = QPushButton("Describe new…")
        self.new_described_button.setToolTip("Add a class defined only by its attributes, without examples")
        self.new_described_button.clicked.connect(lambda: self.open_describe(None))
        self.dialog: DescribeDialog | None = None  # the open Describe dialog
        self._edits = edits = QGridLayout()
        edits.setSpacing(6)
        self._edit_buttons = (self.rename_button, self.color_button, self.merge_button, self.delete_button,
                              self.describe_button, self.new_described_button)
        self._set_buttons = (self.rename_button, self.delete_button)  # what an extra set's classes offer
        self._place_buttons(self._edit_buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(self.hint)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addLayout(add_row)
        layout.addLayout(edits)

        labels.classes_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_classes(self._labels.active_classes(),
                               self._labels.class_attributes() if self._labels.active_set is None else {})
        label_set = self._labels.active_set
        self.title.setText(f"Classes of '{label_set}'" if label_set else "Classes")
        self.add_edit.setPlaceholderText(f"New class in '{label_set}'" if label_set else "New class name")
        self.empty.setText(f"No classes in '{label_set}' yet. Type one below and press Add (for example "
                           "'yes' and 'no')." if label_set else EMPTY)
        shown = self._edit_buttons if label_set is None else self._set_buttons
        for button in self._edit_buttons:
            button.setVisible(button in shown)
        self._place_buttons(shown)
        has = self.model.rowCount() > 0
        self.view.setVisible(has)
        self.empty.setVisible(not has)
        self._update_buttons()

    def _place_buttons(self, shown) -> None:
        """The shown edit buttons two to a row, in order (so an extra set's Rename and Delete sit side by side)."""
        for button in self._edit_buttons:
            self._edits.removeWidget(button)
        for i, button in enumerate(shown):
            self._edits.addWidget(button, i // 2, i % 2)

    def selected_names(self) -> list[str]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        return [self.model.class_at(r).name for r in rows]

    def _update_buttons(self) -> None:
        n = len(self.selected_names())
        self.rename_button.setEnabled(n == 1)
        self.color_button.setEnabled(n == 1)
        self.delete_button.setEnabled(n == 1)
        self.describe_button.setEnabled(n == 1)
        self.merge_button.setEnabled(n >= 1 and self.model.rowCount() >= 2)

    # ------------------------------------------------------------ edits

    def _add(self) -> None:
        name = self.add_edit.text().strip()
        if name and self._labels.add_active_class(name):
            self.add_edit.clear()

    def _selected_info(self):
        rows = [i.row() for i in self.view.selectionModel().selectedRows()]
        return self.model.class_at(rows[0]) if len(rows) == 1 else None

    def _rename(self) -> None:
        info = self._selected_info()
        if info is None:
            return
        label_set = self._labels.active_set
        where = f" in the label set '{label_set}'" if label_set else ""
        new, ok = QInputDialog.getText(self, "Rename class", f"New name for '{info.name}'{where}:", text=info.name)
        if not ok or not new.strip() or new.strip() == info.name:
            return
        if label_set is None:
            self._labels.rename_class(info.name, new)
        else:
            self._labels.rename_set_class(label_set, info.name, new)

    def _recolor(self) -> None:
        info = self._selected_info()
        if info is None:
            return
        color = QColorDialog.getColor(QColor(info.color or "#888888"), self, f"Colour of '{info.name}'")
        if color.isValid():
            self._labels.set_color(info.name, color.name())

    def open_describe(self, info) -> DescribeDialog:
        """The Describe dialog for the class ``info`` (a ClassInfo), or for a new class when None;
        opened without blocking, saved when the person presses Save."""
        name = info.name if info is not None else None
        self.dialog = dialog = DescribeDialog(name, self._labels.class_attributes().get(name, []), self,
                                              new_name=self.add_edit.text().strip())
        dialog.accepted.connect(lambda: self._described(dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _described(self, dialog: DescribeDialog) -> None:
        name = dialog.class_name()
        if self._labels.describe_class(name, dialog.attributes()) is not None and name == " ".join(self.add_edit.text().split()):
            self.add_edit.clear()  # its name was typed there first

    def _merge(self) -> None:
        sources = self.selected_names()
        if not sources:
            return
        choices = [n for n in self.model.names() if n not in sources] if len(sources) == 1 else self.model.names()
        listed = ", ".join(f"'{s}'" for s in sources)
        into, ok = QInputDialog.getItem(self, "Merge classes", f"Move every sample of {listed} into:", choices, 0, False)
        if ok and into:
            self._labels.merge_classes(sources, into)

    def _delete(self) -> None:
        info = self._selected_info()
        if info is None:
            return
        label_set = self._labels.active_set
        box = QMessageBox(QMessageBox.Icon.Question, "Delete class", delete_question(info.name, info.count, label_set),
                          QMessageBox.StandardButton.Cancel, self)
        delete = box.addButton("Delete class", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is not delete:
            return
        if label_set is None:
            self._labels.delete_class(info.name)
        else:
            self._labels.delete_set_class(label_set, info.name)
