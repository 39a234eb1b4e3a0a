"""Two-line rows for recent projects: the name, and the kind and place (or that it is missing)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop import theme
from desktop.qtmodels.recent_projects import DETAIL_ROLE, MISSING_ROLE


class RecentProjectDelegate(QStyledItemDelegate):
    ROW_HEIGHT = 54

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(option.rect.width(), self.ROW_HEIGHT)

    def paint(self, painter, option: QStyleOptionViewItem, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget else None
        if style:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        missing = bool(index.data(MISSING_ROLE))
        name = theme.current_theme()
        text_color = opt.palette.color(QPalette.ColorRole.HighlightedText) if selected else opt.palette.color(QPalette.ColorRole.Text)
        muted = text_color if selected else theme.color(name, "muted")
        if missing and not selected:
            text_color = theme.color(name, "muted")
        rect = opt.rect.adjusted(14, 8, -14, -8)
        half = rect.height() // 2
        painter.save()
        title_font = QFont(opt.font)
        title_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(title_font)
        painter.setPen(text_color)
        title = painter.fontMetrics().elidedText(str(index.data() or ""), Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), half), Qt.AlignmentFlag.AlignVCenter, title)
        detail_font = QFont(opt.font)
        detail_font.setPointSizeF(max(opt.font.pointSizeF() - 1, 7))
        painter.setFont(detail_font)
        painter.setPen(theme.color(name, "error") if missing and not selected else muted)
        detail = painter.fontMetrics().elidedText(str(index.data(DETAIL_ROLE) or ""), Qt.TextElideMode.ElideMiddle, rect.width())
        painter.drawText(QRect(rect.left(), rect.top() + half, rect.width(), half), Qt.AlignmentFlag.AlignVCenter, detail)
        painter.restore()
