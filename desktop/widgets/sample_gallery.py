"""A gallery of samples with a caption each (the mistakes of a model, or one confusion-matrix cell).

Number keys 1-9 relabel the current sample at once with the class of that key (``relabel``), and
the next one becomes current, so a person can clean labels as fast as they can read. Space asks to
play the current sample (``play_requested``); a double-click or Enter asks to open it where it can
be labelled (``open_requested``).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from desktop.thumbnails.loader import ThumbnailLoader

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class SampleGallery(QListWidget):
    relabel = Signal(int, int)  # sample id, number key
    play_requested = Signal(int)  # sample id
    open_requested = Signal(int)  # sample id

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SampleGallery")
        self._loader = loader
        self._samples: dict[str, list[QListWidgetItem]] = {}
        self._by_hash = {}
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(112, 112))
        self.setGridSize(QSize(150, 172))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setWordWrap(True)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._thumbnails = True
        loader.ready.connect(self._thumbnail_ready)
        self.itemActivated.connect(lambda item: self.open_requested.emit(item.data(ID_ROLE)))

    def set_text_mode(self, on: bool) -> None:
        """Texts: one row per sample whose caption holds the text's opening lines, no thumbnail (a
        picture of a few words at icon size is harder to read than the words)."""
        self._thumbnails = not on
        if on:
            self.setViewMode(QListWidget.ViewMode.ListMode)
            self.setIconSize(QSize(0, 0))
            self.setGridSize(QSize())
            self.setUniformItemSizes(False)
            self.setSpacing(2)
            self.setTextElideMode(Qt.TextElideMode.ElideRight)
        else:
            self.setViewMode(QListWidget.ViewMode.IconMode)
            self.setIconSize(QSize(112, 112))
            self.setGridSize(QSize(150, 172))
            self.setUniformItemSizes(True)
            self.setSpacing(0)
        self.setWordWrap(True)

    def set_samples(self, entries: list[tuple[object, str, str]]) -> None:
        """(Sample, caption, tooltip) in display order."""
        self.clear()
        self._samples.clear()
        for sample, caption, tip in entries:
            item = QListWidgetItem(caption)
            item.setData(ID_ROLE, sample.id)
            item.setToolTip(tip)
            if self._thumbnails:
                item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.addItem(item)
            if not self._thumbnails:
                continue
            self._samples.setdefault(sample.hash, []).append(item)
            image = self._loader.get(sample)
            if image is not None and not image.isNull():
                item.setIcon(QIcon(QPixmap.fromImage(image)))
        if self.count():
            self.setCurrentRow(0)

    def ids(self) -> list[int]:
        return [self.item(i).data(ID_ROLE) for i in range(self.count())]

    def set_caption(self, sample_id: int, caption: str) -> None:
        for i in range(self.count()):
            if self.item(i).data(ID_ROLE) == sample_id:
                self.item(i).setText(caption)

    def _thumbnail_ready(self, sample_hash: str) -> None:
        image = self._loader.cached(sample_hash)
        for item in self._samples.get(sample_hash, []):
            if image is not None and not image.isNull():
                item.setIcon(QIcon(QPixmap.fromImage(image)))

    def current_id(self) -> int | None:
        item = self.currentItem()
        return item.data(ID_ROLE) if item is not None else None

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space and self.currentItem() is not None:
            self.play_requested.emit(self.currentItem().data(ID_ROLE))
            return
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and self.currentItem() is not None:
            row = self.currentRow()
            self.relabel.emit(self.currentItem().data(ID_ROLE), key - Qt.Key.Key_0)
            self.setCurrentRow(min(row + 1, self.count() - 1))
            return
        super().keyPressEvent(event)
