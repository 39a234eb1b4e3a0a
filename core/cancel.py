"""A cancellation token checked between files and batches (shared by import, training, export)."""

from __future__ import annotations

import threading


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __bool__(self) -> bool:  # `if cancel:` reads naturally but would be always true otherwise
        return self.cancelled
