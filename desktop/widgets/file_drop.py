"""Accepting files and folders dropped from the file manager, for any widget."""

from __future__ import annotations


def local_paths(event) -> list[str]:
    return [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]


class AcceptsFileDrops:
    """Mixed into a QWidget (call ``setAcceptDrops(True)``): dropped local files and folders go to
    ``files_dropped(paths)``, which the widget defines."""

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = local_paths(event)
        if paths:
            event.acceptProposedAction()
            self.files_dropped(paths)

    def files_dropped(self, paths: list[str]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError
