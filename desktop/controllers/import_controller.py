"""Runs core.importer in the background for the open project; one import at a time.

Cancel asks the importer to stop between files (the job's token); the report of what was added
still arrives, so a cancelled import says what it did."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QThreadPool, Signal

from core.importer import ImportProgress, ImportReport, import_files
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.workers import UserError
from desktop.workers.runner import Runner, TaskHandle


def _import(ctx, project, paths, labels, segment=None):
    return import_files(project, paths, labels=labels, progress=ctx.progress, cancel=ctx.token, segment=segment)


class ImportController(QObject):
    started = Signal()
    progress = Signal(ImportProgress)
    finished = Signal(object)  # ImportReport, or None when the import failed
    rejections_requested = Signal()  # the person asked to see the rejected files

    def __init__(self, session: ProjectSession, notifier: Notifier, pool: QThreadPool | None = None):
        super().__init__()
        self._session = session
        self._notifier = notifier
        # Its own pool: files are read and hashed beside the engine's work, never queued behind it.
        self._runner = Runner(self, pool or QThreadPool(self))
        self._handle: TaskHandle | None = None
        self._running = False
        self.last_report: ImportReport | None = None
        # Asked when an audio import brings long recordings: given [(path, seconds)], returns
        # SegmentSettings (cut them), None (import them whole) or False (do not import).
        self.cut_asker = None
        session.opened.connect(self._forget_report)

    def start(self, paths, labels: str = "folder", segment=None, ask_cut: bool = True) -> bool:
        project = self._session.project
        if project is None:
            self._notifier.post("Open or create a project first, then import files into it.", "warning")
            return False
        if project.read_only:
            self._notifier.post(
                f"This project is open read-only ({project.read_only_reason}), so nothing can be imported.",
                "warning",
            )
            return False
        if self.is_running:
            self._notifier.post("An import is already running; wait for it or cancel it first.", "info")
            return False
        paths = [os.fspath(p) for p in paths]
        if project.task == "audio" and segment is None and ask_cut and self.cut_asker is not None:
            from core.audio.segment import find_long_recordings

            long = find_long_recordings(paths)
            if long:
                segment = self.cut_asker(long)
                if segment is False:
                    return False
        self._running = True
        self._notifier.clear()
        self.started.emit()
        self._handle = self._runner.submit(
            _import, project, paths, labels, segment, doing="importing files", on_progress=self.progress.emit,
            on_result=self._on_result, on_failed=self._on_error)
        return True

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.stop()  # the report of what was imported until then still comes

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Cancel and wait: the project must not close under a running import."""
        self.cancel()
        self._runner.wait(timeout_ms)

    def _forget_report(self, _project=None) -> None:
        self.last_report = None

    def _done(self) -> None:
        # Not running any more before anyone hears `finished` (a slot may start the next import).
        self._handle = None
        self._running = False

    @property
    def is_running(self) -> bool:
        return self._running

    def _on_result(self, report: ImportReport) -> None:
        self._done()
        self.last_report = report
        self._session.notify_changed()
        files = "file" if report.added == 1 else "files"
        text = f"Import {'cancelled' if report.cancelled else 'finished'}: {report.added} {files} added"
        if report.duplicates:
            text += f", {len(report.duplicates)} duplicates skipped"
        if report.rejected:
            text += f", {len(report.rejected)} rejected, each with its reason"
        level = "warning" if report.rejected or report.cancelled else "success"
        actions = [("Show rejected files", self.rejections_requested.emit)] if report.rejected else []
        self._notifier.post(text + ".", level, actions=actions)
        self.finished.emit(report)

    def _on_error(self, error: UserError) -> None:
        self._done()
        self._notifier.error(error)
        self._session.notify_changed()  # whatever was committed before the failure is shown
        self.finished.emit(None)
