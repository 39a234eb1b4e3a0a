"""Search and filters over the samples: file name, class (or unlabelled), split, and what to show
(usable samples, broken ones, or the report of rejected files)."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from desktop.qtmodels.sample_query import UNLABELLED_FILTER, SampleFilter

SPLITS = [("Any split", None), ("Training", "train"), ("Validation", "val"), ("Test", "test"), ("No split", "none")]
SHOW_USABLE, SHOW_BROKEN, SHOW_REJECTED = "ok", "broken", "rejected"


class FilterBar(QWidget):
    changed = Signal(object)  # SampleFilter
    rejected_toggled = Signal(bool)  # "Rejected files" chosen: show the report instead of the grid

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search file names")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(180)
        self._search_timer = QTimer(self, singleShot=True, interval=250)  # a query per pause, not per key
        self._search_timer.timeout.connect(self._emit)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_edit.returnPressed.connect(self._emit)

        self.class_combo = QComboBox()
        self.class_combo.setMinimumContentsLength(14)
        self.split_combo = QComboBox()
        for text, value in SPLITS:
            self.split_combo.addItem(text, value)
        self.show_combo = QComboBox()
        self.show_combo.addItem("Usable samples", SHOW_USABLE)
        self.show_combo.addItem("Broken samples", SHOW_BROKEN)
        self.show_combo.addItem("Rejected files", SHOW_REJECTED)
        self.count_label = QLabel()
        self.count_label.setProperty("role", "muted")
        self.set_classes([], 0)

        for combo in (self.class_combo, self.split_combo, self.show_combo):
            combo.currentIndexChanged.connect(lambda _i: self._emit())
        self.show_combo.currentIndexChanged.connect(lambda _i: self._show_changed())

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.search_edit, 2)
        layout.addWidget(self.class_combo, 1)
        layout.addWidget(self.split_combo)
        layout.addWidget(self.show_combo)
        layout.addSpacing(6)
        layout.addWidget(self.count_label)
        self._last = self.current()

    def set_classes(self, classes, unlabelled: int) -> None:
        """``classes``: core ClassInfo list; counts are shown in the menu."""
        keep = self.class_combo.currentData()
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        self.class_combo.addItem("All classes", None)
        self.class_combo.addItem(f"Unlabelled ({unlabelled:,})", UNLABELLED_FILTER)
        for info in classes:
            self.class_combo.addItem(f"{info.name} ({info.count:,})", info.name)
        index = self.class_combo.findData(keep)
        self.class_combo.setCurrentIndex(max(index, 0))
        self.class_combo.blockSignals(False)
        if index < 0 and keep is not None:
            self._emit()  # the class that was chosen is gone

    def current(self) -> SampleFilter:
        show = self.show_combo.currentData()
        return SampleFilter(
            label=self.class_combo.currentData(),
            split=self.split_combo.currentData(),
            status=SHOW_BROKEN if show == SHOW_BROKEN else "ok",
            search=self.search_edit.text().strip(),
        )

    def showing_rejected(self) -> bool:
        return self.show_combo.currentData() == SHOW_REJECTED

    def set_count(self, shown: int) -> None:
        self.count_label.setText("1 sample" if shown == 1 else f"{shown:,} samples")

    def _show_changed(self) -> None:
        rejected = self.showing_rejected()
        for w in (self.search_edit, self.class_combo, self.split_combo):
            w.setEnabled(not rejected)
        self.count_label.setVisible(not rejected)
        self.rejected_toggled.emit(rejected)

    def _emit(self) -> None:
        f = self.current()
        if f != self._last:
            self._last = f
            self.changed.emit(f)
