"""The training worker: a QObject living on its own QThread that runs core's Trainer for one run.

It holds no training logic: it builds the Trainer, calls the blocking ``fit()``, and re-emits the
engine's events (frozen dataclasses of plain values) as Qt signals, which reach the GUI thread
through queued connections.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from core.train import events
from desktop.workers.errors import describe_error


class TrainWorker(QObject):
    fit_start = Signal(object)  # events.FitStart
    batch_end = Signal(object)  # events.BatchEnd (throttled by the engine to about 10 a second)
    embed_progress = Signal(object)  # events.EmbedProgress (a probe's embeddings; a few a second)
    epoch_end = Signal(object)  # events.EpochEnd
    checkpoint = Signal(object)  # events.CheckpointSaved
    warning = Signal(object)  # events.Warning
    fit_end = Signal(object)  # events.FitEnd
    failed = Signal(object)  # UserError: the engine's sentence (its Failure event), or a bug described
    done = Signal()  # always last

    def __init__(self, project, config, control, *, spec=None, resume_run: str | None = None):
        super().__init__()
        self._project, self._config, self._control = project, config, control
        self._spec, self._resume_run = spec, resume_run
        self._routes = {
            events.FitStart: self.fit_start, events.BatchEnd: self.batch_end, events.EpochEnd: self.epoch_end,
            events.EmbedProgress: self.embed_progress,
            events.CheckpointSaved: self.checkpoint, events.Warning: self.warning, events.FitEnd: self.fit_end,
        }

    def on_event(self, event) -> None:
        """Called on the training thread by the engine; the signal crosses to the GUI thread."""
        signal = self._routes.get(type(event))
        if signal is not None:
            signal.emit(event)

    @Slot()
    def run(self) -> None:
        from core.train import Trainer

        try:
            extra = {"spec": self._spec} if self._spec is not None else {}
            if self._resume_run:
                trainer = Trainer.resume(self._project, self._resume_run, callbacks=[self],
                                         control=self._control, **extra)
            else:
                trainer = Trainer(self._project, self._config, callbacks=[self], control=self._control, **extra)
            trainer.fit()
        except BaseException as exc:  # noqa: BLE001 - every failure reaches the person as a sentence
            self.failed.emit(describe_error(exc, "training"))
        finally:
            self.done.emit()
