"""A friendly page for work that is planned: what it will do, so the navigation is never a dead end."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from desktop import theme
from desktop.resources import icon_pixmap


class PlaceholderPage(QWidget):
    def __init__(self, key: str, title: str, summary: str, coming: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self._key = key
        heading = QLabel(title)
        heading.setProperty("role", "title")
        lead = QLabel(summary)
        lead.setWordWrap(True)
        lead.setProperty("role", "lead")

        card = QFrame()
        card.setProperty("role", "card")
        card.setMaximumWidth(760)
        self.icon_label = QLabel()
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignLeft)
        badge = QLabel("Coming soon")
        badge.setProperty("role", "badge")
        items = QLabel("".join(f"<p style='margin:0 0 6px 0'>•&nbsp; {line}</p>" for line in coming))
        items.setWordWrap(True)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(24, 20, 24, 20)
        inner.setSpacing(10)
        inner.addWidget(self.icon_label)
        inner.addWidget(badge, 0, Qt.AlignmentFlag.AlignLeft)
        inner.addWidget(items)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(36, 28, 36, 28)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(lead)
        layout.addSpacing(10)
        layout.addWidget(card)
        layout.addStretch(1)
        self._refresh_icon()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._refresh_icon()

    def _refresh_icon(self) -> None:
        self.icon_label.setPixmap(icon_pixmap(self._key, theme.color(theme.current_theme(), "accent"), 32))
