"""The left navigation: one checkable button per page; project pages wait for a project."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QFrame, QLabel, QToolButton, QVBoxLayout, QWidget

from desktop import theme
from desktop.resources import themed_icon


WIDE, NARROW = 184, 60  # the narrow bar (icons only) leaves small windows room for their pages


class NavBar(QFrame):
    page_selected = Signal(str)

    def __init__(self, pages: list[tuple[str, str, bool]], parent: QWidget | None = None):
        """``pages``: (key, title, needs_project) in display order."""
        super().__init__(parent)
        self.setObjectName("NavBar")
        self.setFixedWidth(WIDE)
        self.compact = False
        self._titles = {key: title for key, title, _needs in pages}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[str, QToolButton] = {}
        self._needs_project = {key: needs for key, _title, needs in pages}

        brand = QLabel("TransferLab")
        brand.setObjectName("NavBrand")
        self.brand = brand
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 18, 12, 14)
        layout.setSpacing(2)
        layout.addWidget(brand)
        layout.addSpacing(14)
        for key, title, _needs in pages:
            button = QToolButton()
            button.setObjectName(f"nav_{key}")
            button.setText(f"  {title}")  # QToolButton has no icon-text spacing setting
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setIconSize(QSize(18, 18))
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setSizePolicy(button.sizePolicy().Policy.Expanding, button.sizePolicy().Policy.Fixed)
            button.clicked.connect(lambda _checked=False, k=key: self.page_selected.emit(k))
            self._group.addButton(button)
            self.buttons[key] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.project_label = QLabel()
        self.project_label.setObjectName("NavProject")
        self.project_label.setWordWrap(True)
        layout.addWidget(self.project_label)
        self._refresh_icons()
        self.set_project(None)

    def set_compact(self, compact: bool) -> None:
        """Icons only (names in tooltips), for windows too narrow to give the pages room otherwise."""
        if compact == self.compact:
            return
        self.compact = compact
        self.setFixedWidth(NARROW if compact else WIDE)
        self.layout().setContentsMargins(8 if compact else 12, 18, 8 if compact else 12, 14)
        self.brand.setText("TL" if compact else "TransferLab")
        self.brand.setToolTip("TransferLab" if compact else "")
        self.project_label.setVisible(not compact)
        for key, button in self.buttons.items():
            button.setText("" if compact else f"  {self._titles[key]}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if compact
                                      else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._update_tooltips()

    def _update_tooltips(self) -> None:
        for key, button in self.buttons.items():
            enabled = button.isEnabled()
            name = self._titles[key] if self.compact else ""
            button.setToolTip(name if enabled else f"{name}: open or create a project first" if name
                              else "Open or create a project first")
        self.setToolTip(self.project_label.text().replace("\n", " · ") if self.compact else "")

    def set_current(self, key: str) -> None:
        self.buttons[key].setChecked(True)

    def current(self) -> str | None:
        return next((k for k, b in self.buttons.items() if b.isChecked()), None)

    def set_project(self, description: str | None) -> None:
        """``description`` names the open project, or None when no project is open."""
        for key, button in self.buttons.items():
            enabled = description is not None or not self._needs_project[key]
            button.setEnabled(enabled)
        self.project_label.setText(description or "No project open")
        self._update_tooltips()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._refresh_icons()

    def _refresh_icons(self) -> None:
        name = theme.current_theme()
        for key, button in self.buttons.items():
            button.setIcon(themed_icon(
                key, theme.color(name, "muted"), theme.color(name, "accent"), theme.color(name, "disabled")
            ))
