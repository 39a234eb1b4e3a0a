"""The confusion matrix as a heat map (rows: true class, columns: predicted); click a cell for its samples.

Cells are shaded by the share of their row (recall-normalised), so a small class's errors show as
clearly as a big one's; the count is written in the cell.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop import theme


def blend(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(*(int(round(x + (y - x) * t)) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3])))


class ConfusionModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.classes: list[str] = []
        self.matrix: list[list[int]] = []

    def set_matrix(self, classes: list[str], matrix: list[list[int]]) -> None:
        self.beginResetModel()
        self.classes, self.matrix = list(classes), [list(r) for r in matrix]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.classes)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.classes)

    def share(self, row: int, col: int) -> float:
        total = sum(self.matrix[row])
        return self.matrix[row][col] / total if total else 0.0

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        value = self.matrix[r][c]
        name = theme.current_theme()
        diagonal = r == c
        if role == Qt.ItemDataRole.DisplayRole:
            return str(value) if value else ""
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{value} '{self.classes[r]}' sample{'s' if value != 1 else ''} predicted as '{self.classes[c]}' ({100 * self.share(r, c):.0f}% of the row)"
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            share = self.share(r, c)
            hot = theme.color(name, "accent" if diagonal else "error")
            background = blend(theme.color(name, "base"), hot, 0.12 + 0.88 * share if value else 0.0)
            if role == Qt.ItemDataRole.BackgroundRole:
                return background
            return QColor("#ffffff") if share > 0.55 else theme.color(name, "text")
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.classes):
            return self.classes[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return ("predicted: " if orientation == Qt.Orientation.Horizontal else "true: ") + self.classes[section]
        return None


class ConfusionView(QTableView):
    cell_clicked = Signal(str, str)  # true class, predicted class

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ConfusionMatrix")
        self.matrix_model = ConfusionModel(self)
        self.setModel(self.matrix_model)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(True)
        self.setCornerButtonEnabled(False)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(36)
        self.clicked.connect(self._clicked)

    def set_matrix(self, classes: list[str], matrix: list[list[int]]) -> None:
        self.matrix_model.set_matrix(classes, matrix)

    def _clicked(self, index: QModelIndex) -> None:
        c = self.matrix_model.classes
        self.cell_clicked.emit(c[index.row()], c[index.column()])

    def click_cell(self, true: str, predicted: str) -> None:
        c = self.matrix_model.classes
        index = self.matrix_model.index(c.index(true), c.index(predicted))
        self.setCurrentIndex(index)
        self._clicked(index)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self.viewport().update()
