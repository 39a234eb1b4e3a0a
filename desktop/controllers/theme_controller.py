"""The theme choice (system / light / dark): remembered, applied, and kept in step with the desktop."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from desktop.settings import AppSettings
from desktop.theme import apply_theme


class ThemeController(QObject):
    changed = Signal(str)  # the theme in use: light | dark

    def __init__(self, settings: AppSettings):
        super().__init__()
        self._settings = settings
        app = QApplication.instance()
        if app is not None:
            app.styleHints().colorSchemeChanged.connect(self._system_changed)

    @property
    def choice(self) -> str:
        return self._settings.theme

    def set_choice(self, choice: str) -> str:
        self._settings.theme = choice
        return self.apply()

    def apply(self) -> str:
        app = QApplication.instance()
        name = apply_theme(app, self._settings.theme)
        self.changed.emit(name)
        return name

    def _system_changed(self, *_args) -> None:
        if self._settings.theme == "system":
            self.apply()
