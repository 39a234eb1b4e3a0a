"""A long recording on the Play page: the events the model heard with their times (merged the way
`transferlab detect` merges them), a threshold to report them at, the waveform with events and
silence drawn and hover details, and a list of events; double-clicking one plays its span."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.controllers.playground import summarise
from desktop.widgets.window_chart import WindowChart

DEFAULT_THRESHOLD = 60  # percent: DetectSettings' default


class LongAudioView(QWidget):
    play_span = Signal(float, float)  # seconds: the person asked to hear an event

    def __init__(self, result, parent: QWidget | None = None):
        super().__init__(parent)
        self.long = result.long
        self.duration = result.duration
        self.events = []
        self.summary = QLabel()
        self.summary.setObjectName("EventSummary")
        self.summary.setProperty("role", "strong")
        self.summary.setWordWrap(True)
        self.threshold = QSpinBox()
        self.threshold.setRange(5, 99)
        self.threshold.setValue(DEFAULT_THRESHOLD)
        self.threshold.setSuffix(" %")
        self.threshold.setToolTip("An event is reported where a class's smoothed confidence reaches this")
        self.threshold.valueChanged.connect(lambda _v: self.refresh())
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        caption = QLabel("Report events at or above")
        caption.setProperty("role", "muted")
        head.addWidget(caption)
        head.addWidget(self.threshold)

        self.chart = WindowChart(result.envelope, result.duration, self.long.labels)
        self.chart.set_scan(self.long.scan, self.long.quiet)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("EventList")
        self.table.setHorizontalHeaderLabels(["Time", "Class", "Confidence", "From – to"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setToolTip("Double-click an event to hear it")
        self.table.cellDoubleClicked.connect(self._play_row)
        self.table.setMaximumHeight(150)
        self.hint = QLabel("Hover over the waveform for what the model heard there; grey is silence. "
                           "Double-click an event to hear it.")
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.chart)
        layout.addWidget(self.table)
        layout.addWidget(self.hint)
        self.refresh()

    def refresh(self) -> None:
        self.events = self.long.events(self.threshold.value() / 100)
        self.summary.setText(summarise(self.events, self.duration, self.long.silent_seconds()))
        self.chart.set_events(self.events)
        self.table.setRowCount(len(self.events))
        for row, ev in enumerate(self.events):
            for col, text in enumerate((f"{ev.time:.2f} s", ev.label, f"{100 * ev.confidence:.0f}%",
                                        f"{max(ev.start, 0):.2f} – {min(ev.end, self.duration):.2f} s")):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.setVisible(bool(self.events))

    def _play_row(self, row: int, _col: int = 0) -> None:
        ev = self.events[row]
        self.play_span.emit(max(ev.start, 0.0), min(ev.end, self.duration))
