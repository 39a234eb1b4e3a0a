"""What happened during a run, one timestamped line each (mode chosen, backoffs, skipped files)."""

from __future__ import annotations

import html
import time

from PySide6.QtWidgets import QTextBrowser, QWidget

from desktop import theme

LEVEL_COLORS = {"warning": "warning", "error": "error", "success": "success"}


class EventLog(QTextBrowser):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("EventLog")
        self.setOpenLinks(False)
        self.lines: list[str] = []

    def add(self, text: str, level: str = "info") -> None:
        self.lines.append(text)
        name = theme.current_theme()
        stamp = f"<span style='color:{theme.color(name, 'muted').name()}'>{time.strftime('%H:%M:%S')}</span>"
        body = html.escape(text)
        if level in LEVEL_COLORS:
            body = f"<span style='color:{theme.color(name, LEVEL_COLORS[level]).name()}'>{body}</span>"
        self.append(f"{stamp}&nbsp;&nbsp;{body}")

    def clear(self) -> None:
        self.lines.clear()
        super().clear()
