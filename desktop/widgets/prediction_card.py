"""One file's prediction: a picture (thumbnail or waveform) and the top classes with confidence
bars; for a long recording, the events heard in it with their times (LongAudioView); for a clip too
short or silent to judge, a note saying so instead of a guess."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
                               QWidget)

from desktop.widgets.long_audio_view import LongAudioView
from desktop.widgets.window_chart import WindowChart


class PredictionCard(QFrame):
    play_requested = Signal(object)  # this card (Play pressed)
    span_requested = Signal(object, float, float)  # this card, start and end seconds of an event
    selected = Signal(object)  # this card (clicked): Space plays it

    def __init__(self, result, labels: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setObjectName("PredictionCard")
        self.result = result
        p = result.prediction
        self.path = p.path
        name = QLabel(p.path if result.kind == "text" else os.path.basename(p.path))  # a typed text: its words
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
        self.long_view = None
        self.no_answer = None
        if p.error:
            error = QLabel(f"Cannot predict: {p.error}")
            error.setProperty("role", "error")
            error.setWordWrap(True)
            right.addWidget(error)
        elif result.long is not None:  # a recording: events with times instead of one label
            self.long_view = LongAudioView(result)
            self.long_view.play_span.connect(lambda start, end: self.span_requested.emit(self, start, end))
            right.addWidget(self.long_view)
        elif p.label is None:  # empty, too short or silent: the model is not asked to guess
            self.no_answer = QLabel((p.note or "no answer")[:1].upper() + (p.note or "no answer")[1:] + ".")
            self.no_answer.setObjectName("NoAnswer")
            self.no_answer.setProperty("role", "note")
            self.no_answer.setWordWrap(True)
            right.addWidget(self.no_answer)
        else:
            right.addLayout(self._bars(p))
            if p.note:
                note = QLabel(p.note)
                note.setProperty("role", "muted")
                note.setWordWrap(True)
                right.addWidget(note)
        if result.envelope is not None and result.long is None:
            self.chart = WindowChart(result.envelope, result.duration, labels)
            self.chart.setFixedHeight(110)
            right.addWidget(self.chart)
        layout.addLayout(right, 1)

    def _bars(self, p) -> QGridLayout:
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
        return grid

    def set_playing(self, playing: bool) -> None:
        if self.play_button is not None:
            self.play_button.setText("Stop" if playing else "Play")

    def set_current(self, current: bool) -> None:
        self.setProperty("current", current)
        self.style().polish(self)

    def mousePressEvent(self, event) -> None:
        self.selected.emit(self)
        super().mousePressEvent(event)
