"""An empty state that invites a drop (the window itself receives the drop)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from desktop import theme
from desktop.resources import icon_pixmap


class DropZone(QFrame):
    def __init__(self, title: str, hint: str = "", icon: str = "drop", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("DropZone")
        self._icon_name = icon
        self.icon_label = QLabel()
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label = QLabel(title)
        self.title_label.setProperty("role", "heading")
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label = QLabel(hint)
        self.hint_label.setProperty("role", "muted")
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        layout.setSpacing(8)
        layout.addStretch(1)
        layout.addWidget(self.icon_label)
        layout.addWidget(self.title_label)
        layout.addWidget(self.hint_label)
        layout.addStretch(1)
        self._refresh_icon()

    def set_text(self, title: str, hint: str) -> None:
        self.title_label.setText(title)
        self.hint_label.setText(hint)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._refresh_icon()

    def _refresh_icon(self) -> None:
        self.icon_label.setPixmap(icon_pixmap(self._icon_name, theme.color(theme.current_theme(), "muted"), 40))
