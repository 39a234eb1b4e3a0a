"""Counts per class and split (core's ProjectStatus) as a table."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from core.project import ProjectStatus

COLUMNS = (("Class", None), ("Total", "total"), ("Train", "train"), ("Validation", "val"),
           ("Test", "test"), ("No split", "unassigned"))


class ClassCountsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[tuple[str, object]] = []

    def set_status(self, status: ProjectStatus | None) -> None:
        self.beginResetModel()
        self._rows = list(status.classes.items()) if status else []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return (Qt.AlignmentFlag.AlignRight if section else Qt.AlignmentFlag.AlignLeft) | Qt.AlignmentFlag.AlignVCenter
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        name, counts = self._rows[index.row()]
        field = COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            return name if field is None else f"{getattr(counts, field):,}"
        if role == Qt.ItemDataRole.TextAlignmentRole and field is not None:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None
