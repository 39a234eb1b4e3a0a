"""Starts, pauses, resumes and stops training runs: one QThread per run with a TrainWorker on it
(or a FewshotWorker, for a few-shot run: no training, so no pausing, but the same thread, states,
stop and ``finished``; or a ZeroshotWorker, attribute detectors in seconds, stopped between batches of its feature extraction).

The page only talks to this controller; the controller re-emits the worker's signals so a page
never holds a thread. Closing the window cancels the run and waits for its thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal

from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.workers.fewshot_worker import FewshotWorker
from desktop.workers.train_worker import TrainWorker
from desktop.workers.zeroshot_worker import ZeroshotWorker

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"


class TrainController(QObject):
    state_changed = Signal(str)  # idle | running | paused | stopping
    fit_start = Signal(object)
    batch_end = Signal(object)
    embed_progress = Signal(object)
    epoch_end = Signal(object)
    warning = Signal(object)
    fit_end = Signal(object)
    failed = Signal(object)  # UserError
    fewshot_progress = Signal(object)  # (samples embedded, samples in all)
    fewshot_end = Signal(object)  # workers.fewshot_worker.FewshotEnd
    zeroshot_end = Signal(object)  # workers.zeroshot_worker.ZeroshotEnd
    finished = Signal()  # the thread is gone; runs on disk may have changed

    def __init__(self, session: ProjectSession, notifier: Notifier, parent: QObject | None = None):
        super().__init__(parent)
        self._session = session
        self._notifier = notifier
        self._thread: QThread | None = None
        self._worker: TrainWorker | None = None
        self._control = None
        self.state = IDLE
        self.kind: str | None = None  # "train", "fewshot" or "zeroshot" while a run is going
        self.spec = None  # a BackboneSpec overriding the registry (tests and benchmarks)
        session.about_to_close.connect(self.shutdown)

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @property
    def can_pause(self) -> bool:
        return self.kind == "train"

    @property
    def can_stop(self) -> bool:
        return self.kind in ("train", "fewshot", "zeroshot")

    def _writable_project(self):
        project = self._session.project
        if project is None or self.busy:
            return None
        if project.read_only:
            self._notifier.post("This project is open read-only, so it cannot be trained here.", "warning")
            return None
        return project

    def start(self, config, *, resume_run: str | None = None) -> bool:
        project = self._writable_project()
        if project is None:
            return False
        from core.train import TrainControl

        self._control = TrainControl()
        worker = TrainWorker(project, config, self._control, spec=self.spec, resume_run=resume_run)
        self._launch(worker, "train", {name: name for name in
                                       ("fit_start", "batch_end", "embed_progress", "epoch_end", "warning",
                                        "fit_end", "failed")})
        return True

    def start_fewshot(self, spec=None) -> bool:
        """Build a few-shot (prototype) model from the labelled samples and save it as a run;
        ``spec``: the backbone (default: the bundled one; ``self.spec`` wins, as for training)."""
        project = self._writable_project()
        if project is None:
            return False
        from core.train import TrainControl

        self._control = TrainControl()
        worker = FewshotWorker(project, self._control, spec=self.spec or spec)
        self._launch(worker, "fewshot", {"progress": "fewshot_progress", "fewshot_end": "fewshot_end",
                                         "failed": "failed"})
        return True

    def start_zeroshot(self, spec=None) -> bool:
        """Train attribute detectors on the described classes' examples and save a model that also
        recognises the classes known only by their description; ``spec`` as for ``start_fewshot``."""
        project = self._writable_project()
        if project is None:
            return False
        from core.train import TrainControl

        self._control = TrainControl()
        worker = ZeroshotWorker(project, self._control, spec=self.spec or spec)
        self._launch(worker, "zeroshot", {"zeroshot_end": "zeroshot_end", "failed": "failed"})
        return True

    def _launch(self, worker, kind: str, signals: dict[str, str]) -> None:
        thread = QThread(self)
        thread.setObjectName("training")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        for theirs, ours in signals.items():
            getattr(worker, theirs).connect(getattr(self, ours))
        worker.done.connect(thread.quit)
        thread.finished.connect(self._thread_finished)
        self._worker, self._thread, self.kind = worker, thread, kind
        self._set_state(RUNNING)
        thread.start()

    def pause(self) -> None:
        if self.state == RUNNING and self._control is not None and self.can_pause:
            self._control.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.state == PAUSED and self._control is not None:
            self._control.resume()
            self._set_state(RUNNING)

    def stop(self) -> None:
        """Cancel: takes effect before the next batch (a paused run wakes up and stops)."""
        if self._control is not None and self.state in (RUNNING, PAUSED):
            self._control.cancel()
            self._set_state(STOPPING)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Cancel and wait (closing the window or the project)."""
        if self._thread is None:
            return
        if self._control is not None:
            self._control.cancel()
        self._thread.quit()
        self._thread.wait(timeout_ms)
        self._thread_finished()

    def _thread_finished(self) -> None:
        if self._thread is None:
            return
        thread, worker = self._thread, self._worker
        self._thread = self._worker = self._control = self.kind = None
        worker.deleteLater()
        thread.deleteLater()
        self._set_state(IDLE)
        self.finished.emit()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
