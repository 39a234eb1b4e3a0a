"""The card the Train page shows instead of curves for a mode that builds its model without
epochs (few-shot, zero-shot): a heading, how such a model is made, what the mode adds, a note."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


class ModeCard(QFrame):
    """Subclasses add their widgets to ``content``, between the explanation and ``note``."""

    def __init__(self, title: str, how: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setProperty("role", "card")
        heading = QLabel(title)
        heading.setProperty("role", "section")
        self.how = QLabel(how)
        self.how.setWordWrap(True)
        self.how.setProperty("role", "muted")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")
        self.content = QVBoxLayout()
        self.content.setContentsMargins(0, 0, 0, 0)
        self.content.setSpacing(10)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.how)
        layout.addSpacing(6)
        layout.addLayout(self.content)
        layout.addWidget(self.note)
        layout.addStretch(1)
