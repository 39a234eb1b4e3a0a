"""The app's one way to work off the GUI thread: ``Runner.submit(fn, *args) -> TaskHandle``.

``fn`` runs on a thread pool and gets a ``TaskContext`` first: ``ctx.progress(value)`` and
``ctx.partial(value)`` report as it goes, ``ctx.token`` is core's CancelToken (hand it to the
engine, which checks it between files and batches), ``ctx.should_stop`` is the same question as
a callable (for engine functions that take one) and ``ctx.cancelled`` asks it directly. What
it returns arrives as ``result``, what it raises as ``failed`` with the same UserError sentence
as everywhere else (errors.describe_error); ``finished`` always comes last, once.

Everything reaches the GUI thread through queued signals of the handle, in the order it was sent,
and is checked there, so two kinds of ending are exact:

- ``handle.cancel()`` makes the job obsolete: the token is set and from that moment nothing of it
  is delivered but ``finished``. A job submitted with a ``key`` cancels the earlier job of that key
  (a newer question replaces an older one: stale results cannot arrive, with no counters).
- ``handle.stop()`` asks the job to end early and still hear how it ended (training's FitEnd with
  status "cancelled", an import's report of what it added).

The pool is the caller's choice, because kinds of work must not wait for each other: the engine
pool (one thread: evaluate, export, predict, suggestions; torch's first import and checkpoint loads
on two threads at once can deadlock), the training pool (one thread of its own: a run lasts minutes
and must not hold the others up), and the thumbnail loader's, the import's and the detail view's
own pools (quick file work that must never queue behind the engine).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from core.cancel import CancelToken
from desktop.workers.errors import UserError, describe_error

_ENGINE_POOL: QThreadPool | None = None
_TRAINING_POOL: QThreadPool | None = None


def _one_thread() -> QThreadPool:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    pool.setExpiryTimeout(-1)  # torch keeps per-thread state; one long-lived thread keeps it warm
    return pool


def engine_pool() -> QThreadPool:
    """One thread for the engine's short jobs (evaluate, export, predict, suggestions, backbone
    numbers): torch and torchvision first imported, or a checkpoint loaded, on two threads at once
    can deadlock, and on a small machine two of these jobs at once are no faster than one after the other."""
    global _ENGINE_POOL
    if _ENGINE_POOL is None:
        _ENGINE_POOL = _one_thread()
    return _ENGINE_POOL


def training_pool() -> QThreadPool:
    """One thread for training runs (and few-shot and zero-shot builds): a run takes minutes, and
    the engine's and the thumbnails' jobs go on beside it."""
    global _TRAINING_POOL
    if _TRAINING_POOL is None:
        _TRAINING_POOL = _one_thread()
    return _TRAINING_POOL


class TaskContext:
    """What the job's function gets first (on its own thread)."""

    def __init__(self, handle: "TaskHandle"):
        self._handle = handle
        self.token: CancelToken = handle.token

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def should_stop(self) -> bool:
        """For engine functions that take a ``should_stop`` callable."""
        return self.token.cancelled

    def progress(self, value: Any) -> None:
        self._handle._sent.emit("progress", value)

    def partial(self, value: Any) -> None:
        """A piece of the answer ahead of the whole (a thumbnail, a training event)."""
        self._handle._sent.emit("partial", value)


class TaskHandle(QObject):
    """One submitted job. Lives on the GUI thread; its public signals are emitted there."""

    # The payloads are the job's own (one runner serves every kind of job); the owner that knows
    # them re-emits typed signals (TrainController, ImportController).
    progress = Signal(object)
    partial = Signal(object)
    result = Signal(object)
    failed = Signal(UserError)
    finished = Signal()  # always, exactly once, last (also after cancel)

    # (the public signal's name, its value), emitted on the job's thread and queued, in the order
    # sent, to _deliver, which drops what came too late
    _sent = Signal(str, object)

    def __init__(self, doing: str, token: CancelToken | None, key: str | None):
        super().__init__()
        self.doing, self.key = doing, key
        self.token = token or CancelToken()
        self.obsolete = False  # cancel()ed: nothing more is delivered but ``finished``
        self.done = False  # ``finished`` has been emitted
        self._ended = threading.Event()  # the function returned (set on the job's thread)
        self._sent.connect(self._deliver)

    def cancel(self) -> None:
        """Stop the job where it checks the token, and drop whatever it still sends."""
        self.obsolete = True
        self.token.cancel()

    def stop(self) -> None:
        """Ask the job to end early; what it reports about its ending still arrives."""
        self.token.cancel()

    def wait(self, timeout_ms: int) -> bool:
        """Block until the function has returned (its signals may still be queued)."""
        return self._ended.wait(max(timeout_ms, 0) / 1000)

    @Slot(str, object)
    def _deliver(self, name: str, value) -> None:
        """Re-emit on the GUI thread: ``finished`` always, once; the others (progress, partial,
        result, failed) unless the job was cancel()ed."""
        if name == "finished":
            if not self.done:
                self.done = True
                self.finished.emit()
        elif not self.obsolete:
            getattr(self, name).emit(value)


class _Job(QRunnable):
    def __init__(self, handle: TaskHandle, fn: Callable, args: tuple, kwargs: dict):
        super().__init__()
        self.setAutoDelete(False)  # the runner keeps it until the handle's ``finished``
        self._handle, self._fn, self._args, self._kwargs = handle, fn, args, kwargs

    def run(self) -> None:
        handle = self._handle
        try:
            if handle.obsolete:  # cancel()ed while queued: never started. A job stop()ped while
                return  # queued still runs, sees its token at once and says how it ended (an import's report)
            try:
                value = self._fn(TaskContext(handle), *self._args, **self._kwargs)
            except BaseException as exc:  # noqa: BLE001 - every failure reaches the person as a sentence
                handle._sent.emit("failed", describe_error(exc, handle.doing))
            else:
                handle._sent.emit("result", value)
        finally:
            handle._ended.set()
            handle._sent.emit("finished", None)


class Runner(QObject):
    """Submits jobs to one pool and keeps them until they finish; one per owner (page, controller).

    Callbacks given to ``submit`` are not called once the runner's owner is gone (a window closed
    under a running job)."""

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None):
        super().__init__(parent)
        self._pool = pool or engine_pool()
        self._jobs: dict[TaskHandle, _Job] = {}
        self._keys: dict[str, TaskHandle] = {}
        alive = self._alive = {"yes": True}
        self.destroyed.connect(lambda *_args: alive.update(yes=False))

    def submit(self, fn: Callable, *args, key: str | None = None, doing: str = "", token: CancelToken | None = None,
               on_result: Callable | None = None, on_failed: Callable | None = None,
               on_progress: Callable | None = None, on_partial: Callable | None = None,
               on_finished: Callable | None = None, **kwargs) -> TaskHandle:
        """Run ``fn(ctx, *args, **kwargs)`` on the pool. ``key``: the earlier job of that key is
        cancelled (its late results dropped). ``doing`` completes "... went wrong while {doing}".
        ``token``: the engine's own token to share (a TrainControl's), else a new one."""
        if key is not None:
            self.cancel(key)
        handle = TaskHandle(doing, token, key)
        for signal, slot in ((handle.progress, on_progress), (handle.partial, on_partial),
                             (handle.result, on_result), (handle.failed, on_failed)):
            if slot is not None:
                signal.connect(self._guard(slot))
        handle.finished.connect(lambda h=handle: self._forget(h))
        if on_finished is not None:
            handle.finished.connect(self._guard(on_finished))
        job = _Job(handle, fn, args, kwargs)
        self._jobs[handle] = job
        if key is not None:
            self._keys[key] = handle
        self._pool.start(job)
        return handle

    def _guard(self, slot: Callable) -> Callable:
        alive = self._alive
        return lambda *args: slot(*args) if alive["yes"] else None

    def _forget(self, handle: TaskHandle) -> None:
        self._jobs.pop(handle, None)
        if handle.key is not None and self._keys.get(handle.key) is handle:
            del self._keys[handle.key]

    def cancel(self, key: str) -> None:
        """Cancel the job of ``key`` (if any): it stops where it checks, and nothing of it arrives."""
        handle = self._keys.pop(key, None)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        self._keys.clear()
        for handle in list(self._jobs):
            handle.cancel()

    @property
    def busy(self) -> bool:
        """Some job of this runner has not finished (cancelled ones that still run included)."""
        return bool(self._jobs)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until every job of this runner has returned (closing a project, tests)."""
        import time

        deadline = time.monotonic() + timeout_ms / 1000
        for handle in list(self._jobs):
            if not handle.wait(int((deadline - time.monotonic()) * 1000)):
                return False
        return True
