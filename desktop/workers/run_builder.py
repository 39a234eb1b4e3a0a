"""What the few-shot and zero-shot workers share: build a run in one call on the training thread,
report the outcome as a signal carrying plain values, every failure as a sentence, then ``done``."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal, Slot

from desktop.workers.errors import describe_error


class RunBuilderWorker(QObject):
    failed = Signal(object)  # UserError
    done = Signal()  # always last

    doing = "building the model"  # completes "... stopped while {doing}" sentences

    def __init__(self, project, control, *, spec=None):
        super().__init__()
        self._project, self._control, self._spec = project, control, spec

    @Slot()
    def run(self) -> None:
        from core import backbones

        started = time.perf_counter()
        try:
            self.build(self._spec or backbones.default_for(self._project.task), started)
        except BaseException as exc:  # noqa: BLE001 - every failure reaches the person as a sentence
            self.failed.emit(describe_error(exc, self.doing))
        finally:
            self.done.emit()

    def build(self, spec, started: float) -> None:
        """Build the run and emit its end signal (subclasses)."""
        raise NotImplementedError
