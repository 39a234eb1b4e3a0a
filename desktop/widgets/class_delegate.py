"""A row of the classes panel: shortcut key, colour, name and count, and under the name in a muted
smaller line the attributes the class is described by (zero-shot), when it has any."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

from desktop import theme
from desktop.qtmodels.classes_list import ATTRIBUTES_ROLE, CLASS_ROLE


class ClassDelegate(QStyledItemDelegate):
    HEIGHT = 36

    def sizeHint(self, option, index) -> QSize:
        return QSize(0, self.HEIGHT)  # as wide as the view, never wider

    def paint(self, painter: QPainter, option, index) -> None:
        info = index.data(CLASS_ROLE)
        if info is None:
            return
        name = theme.current_theme()
        c = lambda key: theme.color(name, key)  # noqa: E731
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        row = QRectF(option.rect).adjusted(2, 1, -2, -1)
        if selected or hovered:
            fill = QColor(c("accent")) if selected else c("alt")
            if selected:
                fill.setAlpha(50 if name == "dark" else 32)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(row, 6, 6)
        r = option.rect
        key_box = QRect(r.left() + 8, r.center().y() - 10, 20, 20)
        if info.shortcut:
            painter.setPen(QPen(c("border"), 1))
            painter.setBrush(c("base"))
            painter.drawRoundedRect(QRectF(key_box), 4, 4)
            small = QFont(option.font)
            small.setPointSizeF(max(option.font.pointSizeF() - 1.5, 7))
            small.setWeight(QFont.Weight.DemiBold)
            painter.setFont(small)
            painter.setPen(c("muted"))
            painter.drawText(key_box, Qt.AlignmentFlag.AlignCenter, info.shortcut)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(info.color) if info.color else c("muted"))
        painter.drawEllipse(QRectF(key_box.right() + 10, r.center().y() - 5, 10, 10))
        painter.setFont(option.font)
        count = f"{info.count:,}"
        metrics = painter.fontMetrics()
        count_width = metrics.horizontalAdvance(count) + 4
        painter.setPen(c("muted"))
        count_rect = QRect(r.right() - 10 - count_width, r.top(), count_width, r.height())
        painter.drawText(count_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, count)
        text_left = key_box.right() + 28
        text_rect = QRect(text_left, r.top(), count_rect.left() - 8 - text_left, r.height())
        attributes = index.data(ATTRIBUTES_ROLE)
        if attributes:  # name in the upper half, attributes in the lower
            text_rect = QRect(text_left, r.top() + 2, text_rect.width(), r.height() // 2)
        painter.setPen(c("text"))
        text = metrics.elidedText(info.name, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        if attributes:
            small = QFont(option.font)
            small.setPointSizeF(max(option.font.pointSizeF() - 1.5, 7))
            painter.setFont(small)
            painter.setPen(c("muted"))
            below = QRect(text_left, r.center().y(), text_rect.width(), r.height() // 2 - 2)
            line = painter.fontMetrics().elidedText(", ".join(attributes), Qt.TextElideMode.ElideRight, below.width())
            painter.drawText(below, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, line)
        painter.restore()
