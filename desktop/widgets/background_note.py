"""The Play page's suggestion for an audio project without a background class."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

TEXT = ("<b>No background class yet.</b> Without one the model must call every sound one of your classes, "
        "silence and noise included. A class taught from the quiet parts of your recordings gives it another answer.")


class BackgroundNote(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("DropHint")  # the calm tinted box the home page's tip uses
        self.text = QLabel(TEXT)
        self.text.setWordWrap(True)
        self.add_button = QPushButton("Add a background class")
        self.add_button.setToolTip("Cut quiet stretches of the imported recordings into samples labelled 'background' "
                                   "(undoable)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.add_button)
