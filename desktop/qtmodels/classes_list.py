"""The project's classes in shortcut order, each with its colour, key, live count and attributes."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt

CLASS_ROLE = Qt.ItemDataRole.UserRole + 1  # core ClassInfo
ATTRIBUTES_ROLE = Qt.ItemDataRole.UserRole + 2  # [attributes] the class is described by (zero-shot), or []


class ClassListModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._classes = []
        self._attributes: dict[str, list[str]] = {}

    def set_classes(self, classes, attributes: dict[str, list[str]] | None = None) -> None:
        classes = list(classes)
        self._attributes = dict(attributes or {})
        if [c.name for c in classes] == [c.name for c in self._classes]:
            self._classes = classes  # same classes, new counts or colours: no reset, selection stays
            if classes:
                self.dataChanged.emit(self.index(0), self.index(len(classes) - 1))
            return
        self.beginResetModel()
        self._classes = classes
        self.endResetModel()

    def class_at(self, row: int):
        return self._classes[row] if 0 <= row < len(self._classes) else None

    def names(self) -> list[str]:
        return [c.name for c in self._classes]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._classes)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        info = self._classes[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return info.name
        if role == CLASS_ROLE:
            return info
        if role == ATTRIBUTES_ROLE:
            return list(self._attributes.get(info.name, []))
        if role == Qt.ItemDataRole.ToolTipRole:
            key = f"press {info.shortcut} or double-click" if info.shortcut else "double-click"
            tip = f"{info.name}: {info.count:,} samples — {key} to label the selected samples"
            if info.name in self._attributes:
                tip += f"\nDescribed as: {', '.join(self._attributes[info.name]) or 'no attributes'}"
            return tip
        return None
