"""A card: the rounded, bordered panel the pages group things in."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget


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


def page_header(title: QWidget, subtitle: QWidget, *controls: QWidget) -> QHBoxLayout:
    """A page's title over its subtitle on the left, its controls bottom-aligned on the right."""
    if isinstance(subtitle, QLabel):
        subtitle.setWordWrap(True)  # a long status wraps rather than squeezing the controls beside it
    texts = QVBoxLayout()
    texts.setSpacing(2)
    texts.addWidget(title)
    texts.addWidget(subtitle)
    head = QHBoxLayout()
    head.addLayout(texts, 1)
    for control in controls:
        head.addWidget(control, 0, Qt.AlignmentFlag.AlignBottom)
    return head
