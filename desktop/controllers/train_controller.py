"""Starts, pauses, resumes and stops training runs, one at a time, on the training pool
(workers.runner.training_pool: a thread of its own, so the engine's and the thumbnails' jobs go on
beside a run). A few-shot run (no training, so no pausing) and a zero-shot run (attribute detectors
in seconds, stopped between batches of its feature extraction) go the same way, with the same
states, stop and ``finished``.

The page only talks to this controller; the controller re-emits what the job reports as typed
signals, so a page never holds a thread. Closing the window stops the run and waits for it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.train import events
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.workers.errors import UserError
from desktop.workers.runner import Runner, TaskHandle, training_pool
from desktop.workers.training import FewshotEnd, ZeroshotEnd, build_fewshot, build_zeroshot, train

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"


class TrainController(QObject):
    state_changed = Signal(str)  # idle | running | paused | stopping
    fit_start = Signal(events.FitStart)
    batch_end = Signal(events.BatchEnd)  # throttled by the engine to about 10 a second
    embed_progress = Signal(events.EmbedProgress)  # a probe's embeddings; a few a second
    epoch_end = Signal(events.EpochEnd)
    checkpoint = Signal(events.CheckpointSaved)
    warning = Signal(events.Warning)
    fit_end = Signal(events.FitEnd)
    failed = Signal(UserError)  # the engine's sentence, or a bug described
    fewshot_progress = Signal(int, int)  # samples embedded, samples in all
    fewshot_end = Signal(FewshotEnd)
    zeroshot_end = Signal(ZeroshotEnd)
    finished = Signal()  # the run's job is over; runs on disk may have changed

    def __init__(self, session: ProjectSession, notifier: Notifier, parent: QObject | None = None):
        super().__init__(parent)
        self._session = session
        self._notifier = notifier
        self._runner = Runner(self, training_pool())
        self._handle: TaskHandle | None = None
        self._control = None
        self.state = IDLE
        self.kind: str | None = None  # "train", "fewshot" or "zeroshot" while a run is going
        self.spec = None  # a BackboneSpec overriding the registry (tests and benchmarks)
        # The engine's events, by type, to the signal that carries that type.
        self._routes = {
            events.FitStart: self.fit_start, events.BatchEnd: self.batch_end,
            events.EmbedProgress: self.embed_progress, events.EpochEnd: self.epoch_end,
            events.CheckpointSaved: self.checkpoint, events.Warning: self.warning, events.FitEnd: self.fit_end,
        }
        session.about_to_close.connect(self.shutdown)

    @property
    def busy(self) -> bool:
        return self._handle is not None

    @property
    def can_pause(self) -> bool:
        return self.kind == "train"

    @property
    def can_stop(self) -> bool:
        return self.kind in ("train", "fewshot", "zeroshot")

    def start(self, config, *, resume_run: str | None = None) -> bool:
        return self._start("train", train, "training", config, spec=self.spec, resume_run=resume_run,
                           on_partial=self._event)

    def start_fewshot(self, spec=None) -> bool:
        """Build a few-shot (prototype) model from the labelled samples and save it as a run;
        ``spec``: the backbone (default: the bundled one; ``self.spec`` wins, as for training)."""
        return self._start("fewshot", build_fewshot, "building the few-shot model", spec=self.spec or spec,
                           on_progress=self._fewshot_progress, on_result=self.fewshot_end.emit)

    def start_zeroshot(self, spec=None) -> bool:
        """Train attribute detectors on the described classes' examples and save a model that also
        recognises the classes known only by their description; ``spec`` as for ``start_fewshot``."""
        return self._start("zeroshot", build_zeroshot, "training the attribute detectors", spec=self.spec or spec,
                           on_result=self.zeroshot_end.emit)

    def _start(self, kind: str, job, doing: str, *args, **options) -> bool:
        """Submit ``job(ctx, project, *args, control, **options)`` to the training pool with a new
        TrainControl (its token the job's), unless a run is going or the project cannot be written
        (read-only: said, and False)."""
        from core.train import TrainControl

        project = self._session.project
        if project is None or self.busy:
            return False
        if project.read_only:
            self._notifier.post("This project is open read-only, so it cannot be trained here.", "warning")
            return False
        control = self._control = TrainControl()
        handle = self._runner.submit(job, project, *args, control, token=control.token, doing=doing,
                                     on_failed=self.failed.emit, **options)
        handle.finished.connect(lambda h=handle: self._job_finished(h))
        self._handle, self.kind = handle, kind
        self._set_state(RUNNING)
        return True

    def _event(self, event) -> None:
        signal = self._routes.get(type(event))
        if signal is not None:
            signal.emit(event)

    def _fewshot_progress(self, value: tuple[int, int]) -> None:
        self.fewshot_progress.emit(*value)

    def pause(self) -> None:
        if self.state == RUNNING and self._control is not None and self.can_pause:
            self._control.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.state == PAUSED and self._control is not None:
            self._control.resume()
            self._set_state(RUNNING)

    def stop(self) -> None:
        """Stop: takes effect before the next batch (a paused run wakes up and stops); how the run
        ended (its FitEnd, "cancelled") is still reported."""
        if self._control is not None and self.state in (RUNNING, PAUSED):
            self._control.cancel()  # the job's token, and a paused run is woken
            self._set_state(STOPPING)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Stop and wait (closing the window or the project)."""
        handle = self._handle
        if handle is None:
            return
        if self._control is not None:
            self._control.cancel()
        handle.wait(timeout_ms)
        self._job_finished(handle)

    def _job_finished(self, handle: TaskHandle) -> None:
        if handle is not self._handle:  # already done by shutdown()
            return
        self._handle = self._control = self.kind = None
        self._set_state(IDLE)
        self.finished.emit()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
