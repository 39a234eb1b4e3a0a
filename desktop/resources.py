"""The one way to find bundled resources (themes, icons), from a checkout or a PyInstaller bundle.

A frozen app unpacks its data under ``sys._MEIPASS``; build.spec puts the ``resources`` folder there
under the same name, so every lookup goes through ``resource_path`` and works in both cases.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer


def resource_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    path = resource_root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"TransferLab's resource '{'/'.join(parts)}' is missing (looked in {path}).")
    return path


def read_text(*parts: str) -> str:
    return resource_path(*parts).read_text(encoding="utf-8")


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
