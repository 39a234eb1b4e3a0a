#!/usr/bin/env python
"""Render the app icon resources/icons/transferlab.svg to PNG (256 px) and ICO (16-256 px).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_icons.py

Qt's SVG renderer draws it (PySide6 is a dependency already); Pillow writes the multi-size .ico
that build.spec gives the Windows executable. Rerun after editing the SVG.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def render(svg: Path, size: int) -> Image.Image:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data))).convert("RGBA")


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (Qt needs one)
    svg = ICONS / "transferlab.svg"
    big = render(svg, 256)
    big.save(ICONS / "transferlab.png", optimize=True)
    big.save(ICONS / "transferlab.ico", sizes=ICO_SIZES)
    print(f"Wrote {ICONS / 'transferlab.png'} and {ICONS / 'transferlab.ico'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
