"""Qt views of the bundled resources (themed icons); finding them is core.resources' job.

core.resources is the one resolver, from a checkout or a PyInstaller bundle (``sys._MEIPASS``); this
module re-exports it so the GUI keeps a single import.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

# One resolver for the whole app: core's (Qt-free, also used by the self-test and `transferlab demo`).
from core.resources import read_text, resource_path, resource_root  # noqa: F401  (re-exported)


@lru_cache(maxsize=None)
def _svg(name: str) -> str:
    return read_text("icons", f"{name}.svg")


def icon_pixmap(name: str, color: QColor | str, size: int = 20, ratio: float = 2.0) -> QPixmap:
    """An icon from resources/icons drawn in ``color`` (the SVGs use currentColor for theming)."""
    svg = _svg(name).replace("currentColor", QColor(color).name())
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixmap.width(), pixmap.height()))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def themed_icon(name: str, normal: QColor, checked: QColor | None = None, disabled: QColor | None = None) -> QIcon:
    icon = QIcon()
    icon.addPixmap(icon_pixmap(name, normal), QIcon.Mode.Normal, QIcon.State.Off)
    icon.addPixmap(icon_pixmap(name, checked or normal), QIcon.Mode.Normal, QIcon.State.On)
    if disabled is not None:
        icon.addPixmap(icon_pixmap(name, disabled), QIcon.Mode.Disabled, QIcon.State.Off)
        icon.addPixmap(icon_pixmap(name, disabled), QIcon.Mode.Disabled, QIcon.State.On)
    return icon
