"""TrainControl: cancel, pause and resume a run from another thread (GUI button, Ctrl+C, a test).

The trainer calls ``wait_if_paused()`` between batches: a paused run blocks there (no busy loop)
until ``resume()`` or ``cancel()``. Cancelling also wakes a paused run, so closing the window
while paused never hangs.
"""

from __future__ import annotations

import threading

from core.cancel import CancelToken


class TrainControl:
    def __init__(self, cancel_token: CancelToken | None = None):
        self.token = cancel_token or CancelToken()
        self._running = threading.Event()
        self._running.set()
        self._wake = threading.Condition()

    def cancel(self) -> None:
        self.token.cancel()
        with self._wake:
            self._wake.notify_all()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        with self._wake:
            self._running.set()
            self._wake.notify_all()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_if_paused(self) -> bool:
        """Block while paused; return True when the run should stop (cancelled)."""
        with self._wake:
            while not self._running.is_set() and not self.token.cancelled:
                self._wake.wait(timeout=0.5)
        return self.token.cancelled
