"""The project's training runs as a shared service: the list, the run the pages work with, and
whether labels changed since that run was trained (its model is then "stale").

Evaluate, Play, Export and the label suggestions all act on ``current``; picking a run on one page
picks it on all. Unless a person picks one, ``current`` is core.run_catalogue.best_run: the best
finished run, not the newest (a stopped experiment must not take over the exported model or the
suggestions).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.errors import TransferLabError
from desktop.session import ProjectSession


class RunsController(QObject):
    runs_changed = Signal()
    current_changed = Signal(object)  # run id or None
    stale_changed = Signal(bool)

    def __init__(self, session: ProjectSession, parent: QObject | None = None):
        super().__init__(parent)
        self._session = session
        self._runs = []
        self.current: str | None = None
        self.stale = False
        self.spec = None  # a BackboneSpec overriding the registry when loading runs (tests)
        session.opened.connect(lambda _p: self.refresh(select_best=True))
        session.closed.connect(lambda: self.refresh(select_best=True))

    def runs(self):
        """core.run_catalogue.RunInfo list, newest first."""
        return list(self._runs)

    def usable(self):
        """Runs with a trained model (best.pt)."""
        return [r for r in self._runs if r.has_model]

    def info(self, run_id: str | None):
        return next((r for r in self._runs if r.id == run_id), None)

    def best(self):
        """core.run_catalogue.best_run of the listed runs (None without a trained model)."""
        from core.run_catalogue import best_run

        return best_run(self._runs)

    def refresh(self, select_best: bool = False) -> None:
        from core.run_catalogue import list_runs

        project = self._session.project
        try:
            self._runs = list_runs(project) if project is not None else []
        except TransferLabError:
            self._runs = []
        self.runs_changed.emit()
        ids = [r.id for r in self.usable()]
        if select_best or self.current not in ids:
            if select_best:
                self._set_stale(False)
            best = self.best()
            self.select(best.id if best is not None else None)

    def select(self, run_id: str | None) -> None:
        if run_id != self.current:
            self.current = run_id
            self.current_changed.emit(run_id)

    def run_finished(self) -> None:
        """A training run ended: the best finished run becomes current again (the new one if it is
        better; a cancelled or worse run does not replace a better model). Only a new current run
        is fresh: an older one stays as stale as it was."""
        self.refresh()
        best, usable = self.best(), self.usable()
        if best is not None and best.id == usable[0].id:
            self._set_stale(False)
        self.select(best.id if best is not None else None)

    def labels_changed(self) -> None:
        if self.current is not None:
            self._set_stale(True)

    def _set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self.stale_changed.emit(stale)
