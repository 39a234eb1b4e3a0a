"""The audio detail's pictures: a waveform above a spectrogram, with a playhead while playing.

For a segment of a long recording the picture is the whole recording, and every segment cut from it
is a shaded span in its class colour; the current one is stronger and outlined."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop import theme


@dataclass(frozen=True)
class Span:
    start: float  # seconds into the recording
    end: float
    color: str | None  # the label's class colour; None when unlabelled
    current: bool = False
    sample_id: int | None = None


class WaveformView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("WaveformView")
        self.setMinimumSize(200, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._picture = None
        self._spectrum = QImage()
        self._position = None  # seconds, while playing
        self._spans: list[Span] = []
        self.message = ""

    def set_picture(self, picture) -> None:
        """``picture``: desktop.thumbnails.audio_view.AudioPicture, or None."""
        self._picture = picture
        self._spectrum = QImage()
        if picture is not None:
            rgb = np.ascontiguousarray(picture.spectrogram)
            h, w, _ = rgb.shape
            self._spectrum = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self._position = None
        self.update()

    def picture(self):
        return self._picture

    def set_spans(self, spans) -> None:
        """Segments of the recording to mark (Span list; empty for a whole file)."""
        self._spans = list(spans)
        self.update()

    def spans(self) -> list[Span]:
        return list(self._spans)

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def set_position(self, seconds: float | None) -> None:
        self._position = seconds
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        name = theme.current_theme()
        if self._picture is None:
            painter.setPen(theme.color(name, "muted"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        wave_rect = QRectF(area.left(), area.top(), area.width(), area.height() * 0.38)
        spec_rect = QRectF(area.left(), wave_rect.bottom() + 10, area.width(), area.bottom() - wave_rect.bottom() - 10)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.color(name, "alt"))
        painter.drawRoundedRect(wave_rect, 6, 6)
        self._draw_wave(painter, wave_rect.adjusted(4, 6, -4, -6), theme.color(name, "accent"))
        if not self._spectrum.isNull():
            clip = QPainterPath()
            clip.addRoundedRect(spec_rect, 6, 6)
            painter.save()
            painter.setClipPath(clip)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(spec_rect, self._spectrum)
            painter.restore()
        if self._spans and self._picture.seconds > 0:
            self._draw_spans(painter, name, wave_rect, spec_rect)
        if self._position is not None and self._picture.seconds > 0:
            x = area.left() + area.width() * min(self._position / self._picture.seconds, 1.0)
            painter.setPen(QPen(theme.color(name, "text"), 1.5))
            painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))

    def _draw_wave(self, painter: QPainter, rect: QRectF, color: QColor) -> None:
        p = self._picture
        n = len(p.lows)
        if n == 0:
            return
        mid = rect.center().y()
        scale = (rect.height() / 2) / max(p.peak, 1e-6)
        columns = max(int(rect.width()), 1)
        pick = np.linspace(0, n, columns + 1).astype(int)
        painter.setPen(QPen(color, 1))
        for x in range(columns):
            lo = p.lows[pick[x]:max(pick[x + 1], pick[x] + 1)].min()
            hi = p.highs[pick[x]:max(pick[x + 1], pick[x] + 1)].max()
            px = rect.left() + x
            painter.drawLine(QPointF(px, mid - hi * scale), QPointF(px, mid - min(lo, hi - 1 / scale) * scale))

    def _draw_spans(self, painter: QPainter, name: str, wave_rect: QRectF, spec_rect: QRectF) -> None:
        seconds = self._picture.seconds
        left, width = wave_rect.left(), wave_rect.width()
        for span in sorted(self._spans, key=lambda sp: sp.current):  # the current one on top
            if span.start >= seconds:
                continue  # past the part of a very long recording that is drawn
            x0 = left + width * max(span.start, 0.0) / seconds
            x1 = left + width * min(span.end, seconds) / seconds
            color = QColor(span.color) if span.color else theme.color(name, "muted")
            for rect, alpha in ((wave_rect, 110 if span.current else 45), (spec_rect, 70 if span.current else 0)):
                if alpha == 0:
                    continue
                shade = QColor(color)
                shade.setAlpha(alpha)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(shade)
                painter.drawRect(QRectF(x0, rect.top(), max(x1 - x0, 1.0), rect.height()))
            # a thin boundary at each segment's edges, so neighbours stay apart
            edge = QColor(color)
            edge.setAlpha(200 if span.current else 120)
            painter.setPen(QPen(edge, 2.0 if span.current else 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if span.current:
                painter.drawRect(QRectF(x0, wave_rect.top(), max(x1 - x0, 1.0), spec_rect.bottom() - wave_rect.top()))
            else:
                painter.drawLine(QPointF(x0, wave_rect.top()), QPointF(x0, wave_rect.bottom()))
