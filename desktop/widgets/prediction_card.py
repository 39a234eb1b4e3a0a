"""One file's prediction: a picture (thumbnail or waveform), the top classes with confidence bars,
and for long audio the prediction of every window drawn over the waveform."""

from __future__ import annotations

import os

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
                               QWidget)

from desktop import theme

PALETTE = ["#2f6fed", "#e8833a", "#1f8a4c", "#c4362c", "#8e44ad", "#16a2b8", "#b8860b", "#d63384", "#5a6b7d"]


class PredictionCard(QFrame):
    play_requested = Signal(object)  # this card (Play pressed)
    selected = Signal(object)  # this card (clicked): Space plays it

    def __init__(self, result, labels: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setObjectName("PredictionCard")
        self.result = result
        p = result.prediction
        self.path = p.path
        name = QLabel(os.path.basename(p.path))
        name.setProperty("role", "strong")
        name.setToolTip(p.path)
        title = QHBoxLayout()
        title.addWidget(name, 1)
        self.play_button = None
        if result.kind == "audio" and not p.error:
            self.play_button = QPushButton("Play")
            self.play_button.setToolTip("Play or stop this file (Space plays the selected card)")
            self.play_button.clicked.connect(lambda: self.play_requested.emit(self))
            title.addWidget(self.play_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(16)
        right = QVBoxLayout()
        right.setSpacing(6)
        right.addLayout(title)
        self.bars: list[QProgressBar] = []
        if result.thumbnail is not None:
            picture = QLabel()
            picture.setFixedSize(120, 120)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setPixmap(QPixmap.fromImage(result.thumbnail).scaled(
                120, 120, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
            layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
        if p.error:
            error = QLabel(f"Cannot predict: {p.error}")
            error.setProperty("role", "error")
            error.setWordWrap(True)
            right.addWidget(error)
        elif p.label is None:  # empty, too short or silent: the model is not asked to guess
            self.no_answer = QLabel((p.note or "no answer")[:1].upper() + (p.note or "no answer")[1:] + ".")
            self.no_answer.setObjectName("NoAnswer")
            self.no_answer.setProperty("role", "note")
            self.no_answer.setWordWrap(True)
            right.addWidget(self.no_answer)
        else:
            grid = QGridLayout()
            grid.setHorizontalSpacing(10)
            grid.setVerticalSpacing(4)
            for row, (label, prob) in enumerate(p.top):
                text = QLabel(label)
                if row == 0:
                    text.setProperty("role", "strong")
                bar = QProgressBar()
                bar.setRange(0, 1000)
                bar.setValue(int(round(prob * 1000)))
                bar.setTextVisible(False)
                bar.setFixedHeight(10)
                bar.setObjectName("ConfidenceBar")
                value = QLabel(f"{100 * prob:.1f}%")
                value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                value.setMinimumWidth(52)
                grid.addWidget(text, row, 0)
                grid.addWidget(bar, row, 1)
                grid.addWidget(value, row, 2)
                self.bars.append(bar)
            grid.setColumnStretch(1, 1)
            right.addLayout(grid)
            if p.note:
                note = QLabel(p.note)
                note.setProperty("role", "muted")
                note.setWordWrap(True)
                right.addWidget(note)
        if result.envelope is not None:
            right.addWidget(self._waveform(result, labels))
        layout.addLayout(right, 1)

    def set_playing(self, playing: bool) -> None:
        if self.play_button is not None:
            self.play_button.setText("Stop" if playing else "Play")

    def set_current(self, current: bool) -> None:
        self.setProperty("current", current)
        self.style().polish(self)

    def mousePressEvent(self, event) -> None:
        self.selected.emit(self)
        super().mousePressEvent(event)

    def _waveform(self, result, labels: list[str]) -> pg.PlotWidget:
        name = theme.current_theme()
        times, low, high = result.envelope
        plot = pg.PlotWidget()
        plot.setObjectName("WindowPlot")
        plot.setBackground(theme.color(name, "base"))
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setFixedHeight(130)
        item = plot.getPlotItem()
        item.hideAxis("left")
        item.setLabel("bottom", "seconds")
        item.getAxis("bottom").setTextPen(pg.mkPen(theme.color(name, "muted")))
        item.getAxis("bottom").setPen(pg.mkPen(theme.color(name, "border")))
        pen = pg.mkPen(theme.color(name, "muted"))
        top_curve = plot.plot(times, high, pen=pen)
        bottom_curve = plot.plot(times, low, pen=pen)
        plot.addItem(pg.FillBetweenItem(top_curve, bottom_curve, brush=pg.mkBrush(theme.color(name, "muted"))))
        self.windows = []
        for w in result.prediction.windows or []:
            colour = pg.mkColor(PALETTE[labels.index(w.label) % len(PALETTE)] if w.label in labels else PALETTE[-1])
            colour.setAlpha(int(50 + 110 * w.confidence))
            region = pg.LinearRegionItem((w.start, w.end), movable=False, brush=pg.mkBrush(colour), pen=pg.mkPen(None))
            region.setZValue(-10)
            region.setToolTip(f"{w.start:.1f}–{w.end:.1f} s: {w.label} ({100 * w.confidence:.0f}%)")
            plot.addItem(region)
            text = pg.TextItem(w.label, color=theme.color(name, "text"), anchor=(0, 0))
            text.setPos(w.start, float(high.max()) if len(high) else 1.0)
            plot.addItem(text)
            self.windows.append(region)
        return plot
