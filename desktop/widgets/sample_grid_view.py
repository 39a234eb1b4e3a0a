"""A virtualised grid (or one-row strip) of samples: QListView in icon mode, uniform cells,
laid out in batches, so 20,000 samples cost no more than the ones on screen."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from desktop.qtmodels.sample_grid import SampleGridModel
from desktop.widgets.sample_delegate import SampleDelegate


class SampleGridView(QListView):
    def __init__(self, model: SampleGridModel, *, strip: bool = False, thumb: int = 128,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SampleGrid")
        self.delegate = SampleDelegate(thumb, self)
        self.setItemDelegate(self.delegate)
        self.setModel(model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setGridSize(self.delegate.cell_size() + QSize(6, 6))
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(True)
        self.setUniformItemSizes(True)
        self.setWordWrap(False)
        self.setDragEnabled(False)
        if strip:
            self.setFlow(QListView.Flow.LeftToRight)
            self.setWrapping(False)
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.setFixedHeight(self.gridSize().height() + 18)
        else:
            self.setFlow(QListView.Flow.LeftToRight)
            self.setWrapping(True)
        self.verticalScrollBar().setSingleStep(24)

    def keyboardSearch(self, search: str) -> None:
        # Typing jumps nowhere: number keys label samples (the pages' shortcuts), letters do nothing.
        pass
