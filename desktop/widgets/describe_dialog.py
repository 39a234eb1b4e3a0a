"""Describe a class by its attributes ("green, square"), or add a class known only by them.

A class described this way can be recognised by the zero-shot mode on the Train page without a
single example: attribute detectors learn from the other described classes' examples.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.controllers.label_controller import parse_attributes

HINT = ("What the class looks like, separated by commas or spaces: colours, patterns, shapes, parts "
        "(for example 'yellow, spotted' or 'green square'). Describe at least two classes, and label examples "
        "of some: the zero-shot mode on the Train page then recognises the others by their description alone.")


class DescribeDialog(QDialog):
    """``name=None``: a new class (its name typed here too); otherwise that class, prefilled."""

    def __init__(self, name: str | None, attributes: list[str], parent: QWidget | None = None, *, new_name: str = ""):
        super().__init__(parent)
        self.setObjectName("DescribeDialog")
        self.setWindowTitle(f"Describe '{name}'" if name else "Add a described class")
        self.setMinimumWidth(420)
        self.name_edit = QLineEdit(name or new_name)
        self.name_edit.setPlaceholderText("Class name, e.g. green square")
        self.name_edit.setReadOnly(name is not None)
        self.attributes_edit = QLineEdit(", ".join(attributes))
        self.attributes_edit.setPlaceholderText("e.g. green, square")
        hint = QLabel(HINT)
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        self.preview = QLabel()
        self.preview.setProperty("role", "muted")
        self.preview.setWordWrap(True)
        form = QFormLayout()
        if name is None:
            form.addRow("Class", self.name_edit)
        form.addRow("Attributes", self.attributes_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._update)
        self.attributes_edit.textChanged.connect(self._update)
        (self.attributes_edit if name or new_name else self.name_edit).setFocus()
        self._update()

    def class_name(self) -> str:
        return " ".join(self.name_edit.text().split())

    def attributes(self) -> list[str]:
        return parse_attributes(self.attributes_edit.text())

    def _update(self) -> None:
        attrs = sorted({a.lower() for a in self.attributes()})
        self.preview.setText(f"{len(attrs)} attribute{'s' if len(attrs) != 1 else ''}: {', '.join(attrs)}" if attrs
                             else "Type at least one attribute.")
        ok = bool(attrs) and bool(self.class_name())
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)
