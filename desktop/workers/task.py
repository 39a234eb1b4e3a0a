"""A QRunnable running one function on the thread pool, reporting through a signals object.

The function gets a ``progress`` callable as its first argument; whatever it passes arrives on
the GUI thread through ``signals.progress``. Every task ends with ``finished``, after exactly one
of ``result`` (the return value) or ``error`` (a UserError sentence with details).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, Signal

from desktop.workers.errors import describe_error


class TaskSignals(QObject):
    progress = Signal(object)
    result = Signal(object)
    error = Signal(object)  # UserError
    finished = Signal()


class Task(QRunnable):
    def __init__(self, fn: Callable[..., Any], *args, doing: str = "", **kwargs):
        super().__init__()
        self.setAutoDelete(False)  # the owner keeps a reference until `finished`
        self.signals = TaskSignals()  # created on the GUI thread, so its slots run there
        self._fn, self._args, self._kwargs, self._doing = fn, args, kwargs, doing

    def run(self) -> None:
        try:
            value = self._fn(self.signals.progress.emit, *self._args, **self._kwargs)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the user
            self.signals.error.emit(describe_error(exc, self._doing))
        else:
            self.signals.result.emit(value)
        finally:
            self.signals.finished.emit()
