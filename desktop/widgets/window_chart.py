"""A recording's waveform with what the model heard in it: merged events (class colour, name at the
start), stretches of silence (grey), and on hover the time and the model's view of that window.

Colours follow the theme when it changes (the chart is redrawn from the palette, not fixed at
creation); the time axis is plain seconds (pyqtgraph's automatic SI prefix wrote "x0.001" under a
0.7 s clip).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent

from desktop import theme

PALETTE = ["#2f6fed", "#e8833a", "#1f8a4c", "#c4362c", "#8e44ad", "#16a2b8", "#b8860b", "#d63384", "#5a6b7d"]


def class_colour(label: str, labels: list[str]) -> str:
    return PALETTE[labels.index(label) % len(PALETTE)] if label in labels else PALETTE[-1]


class WindowChart(pg.PlotWidget):
    def __init__(self, envelope, duration: float, labels: list[str], parent=None):
        super().__init__(parent)
        self.setObjectName("WindowChart")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setFixedHeight(150)
        self._labels = labels
        self._duration = duration
        self._scan = None
        self._quiet = None
        self.hover_text = ""
        item = self.getPlotItem()
        item.hideAxis("left")
        item.setLabel("bottom", "seconds")
        item.getAxis("bottom").enableAutoSIPrefix(False)
        times, low, high = envelope
        self._top = float(max(np.max(np.abs(high), initial=0.0), np.max(np.abs(low), initial=0.0), 1e-3))
        self._top_curve = self.plot(times, high)
        self._bottom_curve = self.plot(times, low)
        self._fill = pg.FillBetweenItem(self._top_curve, self._bottom_curve)
        self.addItem(self._fill)
        self.setXRange(0, max(duration, 1e-3), padding=0.01)
        self.setYRange(-self._top, self._top * 1.35, padding=0)
        self.regions: list[pg.LinearRegionItem] = []
        self._texts: list[tuple[pg.TextItem, str]] = []
        self._silence: list[pg.LinearRegionItem] = []
        self._cursor = pg.InfiniteLine(angle=90, movable=False)
        self._cursor.hide()
        self._hover = pg.TextItem("", anchor=(0, 0))
        self._hover.hide()
        self.addItem(self._cursor, ignoreBounds=True)
        self.addItem(self._hover, ignoreBounds=True)
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.apply_theme()

    # ------------------------------------------------------------ content

    def set_scan(self, scan, quiet: np.ndarray) -> None:
        """Every window's probabilities (core.predict.detect.WindowScan) and which are silent: grey
        stretches where nothing is heard; hover reads them."""
        self._scan, self._quiet = scan, quiet
        self._draw_silence([])

    def _draw_silence(self, events) -> None:
        """Grey where nothing is heard, left out where an event is drawn (a window of silence can
        overlap the edge of an event's windows)."""
        for region in self._silence:
            self.removeItem(region)
        self._silence = []
        if self._scan is None:
            return
        spans = [(max(e.start, 0.0), e.end) for e in events]
        for start, end in _runs(self._quiet, self._scan.times, self._scan.window_seconds / 2):
            for a, b in _subtract((start, min(end, self._duration)), spans):
                region = pg.LinearRegionItem((a, b), movable=False, pen=pg.mkPen(None))
                region.setZValue(-20)
                self.addItem(region)
                self._silence.append(region)
        self.apply_theme()

    def set_events(self, events) -> None:
        """Merged events (core.predict.detect.Detection): one region and one name each."""
        for region in self.regions:
            self.removeItem(region)
        for text, _label in self._texts:
            self.removeItem(text)
        self.regions, self._texts = [], []
        for ev in events:
            region = pg.LinearRegionItem((max(ev.start, 0.0), min(ev.end, self._duration)), movable=False,
                                         pen=pg.mkPen(None))
            region.setZValue(-10)
            region.setToolTip(f"{ev.start:.2f}–{ev.end:.2f} s: {ev.label} ({100 * ev.confidence:.0f}%)")
            self.addItem(region)
            text = pg.TextItem(ev.label, anchor=(0, 0))
            text.setPos(max(ev.start, 0.0), self._top * 1.33)
            self.addItem(text)
            self.regions.append(region)
            self._texts.append((text, ev.label))
        self._draw_silence(events)

    # ------------------------------------------------------------ look

    def apply_theme(self) -> None:
        name = theme.current_theme()
        c = lambda key: theme.color(name, key)  # noqa: E731
        self.setBackground(c("base"))
        axis = self.getPlotItem().getAxis("bottom")
        axis.setPen(pg.mkPen(c("border")))
        axis.setTextPen(pg.mkPen(c("muted")))
        axis.setLabel("seconds", color=c("muted").name())
        pen = pg.mkPen(c("muted"))
        self._top_curve.setPen(pen)
        self._bottom_curve.setPen(pen)
        self._fill.setBrush(pg.mkBrush(c("muted")))
        grey = pg.mkColor(c("border"))
        grey.setAlpha(160)
        for region in self._silence:
            region.setBrush(pg.mkBrush(grey))
        for region, (text, label) in zip(self.regions, self._texts):
            colour = pg.mkColor(class_colour(label, self._labels))
            colour.setAlpha(110)
            region.setBrush(pg.mkBrush(colour))
            text.setColor(c("text"))
        self._cursor.setPen(pg.mkPen(c("text"), width=1))
        self._hover.setColor(c("text"))
        self._hover.fill = pg.mkBrush(c("base"))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and hasattr(self, "_hover"):
            self.apply_theme()  # (Qt sends style events while the plot is still being built: skipped)

    # ------------------------------------------------------------ hover

    def describe(self, seconds: float) -> str:
        """What the model heard around ``seconds``: the window nearest it."""
        scan = self._scan
        if scan is None or not len(scan.times):
            return f"{seconds:.2f} s"
        k = int(np.argmin(np.abs(scan.times - seconds)))
        if self._quiet is not None and self._quiet[k]:
            return f"{seconds:.2f} s · silence ({scan.levels_db[k]:.0f} dBFS)"
        order = np.argsort(-scan.probs[k])[:2]
        names = " · ".join(f"{self._labels[i]} {100 * scan.probs[k][i]:.0f}%" for i in order if i < len(self._labels))
        return f"{seconds:.2f} s · {names}"

    def _mouse_moved(self, pos) -> None:
        view = self.getPlotItem().vb
        if not self.sceneBoundingRect().contains(pos):
            return
        x = float(view.mapSceneToView(pos).x())
        if not 0 <= x <= self._duration:
            self._cursor.hide()
            self._hover.hide()
            return
        self.hover_text = self.describe(x)
        self._cursor.setPos(x)
        self._cursor.show()
        self._hover.setText(self.hover_text)
        self._hover.setAnchor((1, 0) if x > self._duration * 0.6 else (0, 0))
        self._hover.setPos(x, -self._top * 0.35)
        self._hover.show()

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self._cursor.hide()
        self._hover.hide()


def _runs(mask: np.ndarray, times: np.ndarray, half: float):
    """(start, end) seconds of each run of True windows (a window covers centre ± half)."""
    if mask is None or not len(mask):
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(max(0.0, float(times[s]) - half), float(times[e]) + half) for s, e in zip(starts, ends)]


def _subtract(span, others):
    """``span`` minus the ``others`` spans, as a list of what is left."""
    left = [span]
    for a, b in others:
        left = [piece for s, e in left for piece in ((s, min(e, a)), (max(s, b), e)) if piece[1] - piece[0] > 1e-6]
    return left
