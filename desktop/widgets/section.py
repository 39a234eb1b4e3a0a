"""A card: the rounded, bordered panel the pages group things in."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


def card(*widgets: QWidget, title: str | None = None, margins=(16, 14, 16, 16), spacing: int = 8) -> QFrame:
    frame = QFrame()
    frame.setProperty("role", "card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(*margins)
    layout.setSpacing(spacing)
    if title:
        heading = QLabel(title)
        heading.setProperty("role", "section")
        layout.addWidget(heading)
    for widget in widgets:
        layout.addWidget(widget)
    return frame
