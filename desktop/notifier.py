"""Messages for the person using the app, shown in the window (never a bare traceback)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from PySide6.QtCore import QObject, Signal

from desktop.workers.errors import UserError


@dataclass(frozen=True)
class Message:
    text: str
    level: str = "info"  # info | success | warning | error
    detail: str | None = None
    actions: tuple[tuple[str, Callable[[], None]], ...] = field(default_factory=tuple)


class Notifier(QObject):
    posted = Signal(object)  # Message
    cleared = Signal()

    def post(self, text: str, level: str = "info", detail: str | None = None, actions=()) -> None:
        self.posted.emit(Message(text, level, detail, tuple(actions)))

    def error(self, error: UserError, actions=()) -> None:
        self.post(error.message, "error", error.detail, actions)

    def clear(self) -> None:
        self.cleared.emit()
