"""A small owner of Task runnables: starts them, keeps them alive until ``finished``, wires the slots.

    self.jobs = Jobs(self)
    self.jobs.start(fn, arg, on_result=..., on_error=..., doing="exporting the model")
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QThreadPool

from desktop.workers.task import Task


_ENGINE_POOL: QThreadPool | None = None


def engine_pool() -> QThreadPool:
    """One thread for the engine's jobs (evaluate, export, predict, backbone numbers): torch and
    torchvision first imported, or a checkpoint loaded, on two threads at once can deadlock, and on a
    small machine two of these jobs at once are no faster than one after the other."""
    global _ENGINE_POOL
    if _ENGINE_POOL is None:
        _ENGINE_POOL = QThreadPool()
        _ENGINE_POOL.setMaxThreadCount(1)
        _ENGINE_POOL.setExpiryTimeout(-1)
    return _ENGINE_POOL


class Jobs(QObject):
    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None):
        super().__init__(parent)
        self._pool = pool or engine_pool()
        self._running: set[Task] = set()
        # A job may end after its page is gone (the window closed): its slots must not run then.
        alive = self._alive = {"yes": True}
        self.destroyed.connect(lambda *_args: alive.update(yes=False))

    def start(self, fn: Callable, *args, on_result=None, on_error=None, on_progress=None, on_finished=None,
              doing: str = "", **kwargs) -> Task:
        task = Task(fn, *args, doing=doing, **kwargs)
        s = task.signals
        for signal, slot in ((s.result, on_result), (s.error, on_error), (s.progress, on_progress)):
            if slot is not None:
                signal.connect(self._guard(slot))
        s.finished.connect(lambda: self._running.discard(task))
        if on_finished is not None:
            s.finished.connect(self._guard(on_finished))
        self._running.add(task)
        self._pool.start(task)
        return task

    def _guard(self, slot):
        alive = self._alive
        return lambda *args: slot(*args) if alive["yes"] else None

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def wait(self, timeout_ms: int = 30000) -> None:
        self._pool.waitForDone(timeout_ms)
