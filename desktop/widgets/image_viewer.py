"""An image at full size: fitted to the space by default; the wheel zooms, dragging pans,
double-click goes back to fit (and from fit to 100 %)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop import theme


class ImageViewer(QWidget):
    zoom_changed = Signal(float)  # scale in use (1.0 = one image pixel per screen pixel)

    MAX_ZOOM = 16.0

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ImageViewer")
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image = QImage()
        self._fit = True
        self._zoom = 1.0
        self._center = QPointF()  # image point shown at the centre of the widget
        self._drag: QPointF | None = None
        self.message = ""

    def set_image(self, image: QImage | None, keep_view: bool = False) -> None:
        self._image = image if image is not None else QImage()
        if not keep_view:
            self._fit = True
        self._center = QPointF(self._image.width() / 2, self._image.height() / 2)
        self.update()
        self.zoom_changed.emit(self.scale())

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def image(self) -> QImage:
        return self._image

    def is_fit(self) -> bool:
        return self._fit

    def fit(self) -> None:
        self._fit = True
        self.update()
        self.zoom_changed.emit(self.scale())

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        if self._image.isNull():
            return
        old = self.scale()
        zoom = max(min(zoom, self.MAX_ZOOM), min(self._fit_scale(), 1.0) / 4)
        if anchor is not None:  # keep the image point under the cursor where it is
            offset = anchor - QPointF(self.width() / 2, self.height() / 2)
            point = self._center + offset / old
            self._center = point - offset / zoom
        self._fit, self._zoom = False, zoom
        self.update()
        self.zoom_changed.emit(zoom)

    def scale(self) -> float:
        return self._fit_scale() if self._fit else self._zoom

    def _fit_scale(self) -> float:
        if self._image.isNull():
            return 1.0
        sx = (self.width() - 16) / self._image.width()
        sy = (self.height() - 16) / self._image.height()
        return max(min(sx, sy, 4.0), 0.01)  # small images grow a little, never to mush

    # ------------------------------------------------------------ painting and input

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        name = theme.current_theme()
        if self._image.isNull():
            painter.setPen(theme.color(name, "muted"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        scale = self.scale()
        center = QPointF(self._image.width() / 2, self._image.height() / 2) if self._fit else self._center
        w, h = self._image.width() * scale, self._image.height() * scale
        target = QRectF(self.width() / 2 - center.x() * scale, self.height() / 2 - center.y() * scale, w, h)
        smooth = scale < 2.0  # past 200 % show the pixels as they are
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawImage(target, self._image)

    def wheelEvent(self, event) -> None:
        if self._image.isNull():
            return
        steps = event.angleDelta().y() / 120
        self.set_zoom(self.scale() * (1.25 ** steps), event.position())
        event.accept()

    def mouseDoubleClickEvent(self, _event) -> None:
        if self._fit:
            self.set_zoom(1.0)
        else:
            self.fit()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and not self._fit:
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:
        if self._drag is not None:
            delta = event.position() - self._drag
            self._drag = event.position()
            self._center -= delta / self.scale()
            self.update()

    def mouseReleaseEvent(self, _event) -> None:
        self._drag = None
        self.unsetCursor()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.zoom_changed.emit(self.scale())
