"""A number with a caption, for the counts at the top of the Data page."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


class StatCard(QFrame):
    def __init__(self, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setProperty("role", "card")
        self.value_label = QLabel("–")
        self.value_label.setProperty("role", "stat")
        self.caption_label = QLabel(caption)
        self.caption_label.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 12, 18, 12)
        layout.setSpacing(2)
        layout.addWidget(self.value_label)
        layout.addWidget(self.caption_label)

    def set_value(self, value: int | str) -> None:
        self.value_label.setText(f"{value:,}" if isinstance(value, int) else value)
