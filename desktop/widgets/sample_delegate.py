"""One cell of the sample grid: the thumbnail (or a calm placeholder), a colour chip and the label."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop import theme


class SampleDelegate(QStyledItemDelegate):
    PAD = 6
    TEXT_HEIGHT = 22

    def __init__(self, thumb: int = 128, parent=None):
        super().__init__(parent)
        self.thumb = thumb

    def cell_size(self) -> QSize:
        return QSize(self.thumb + 2 * self.PAD, self.thumb + 2 * self.PAD + self.TEXT_HEIGHT)

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return self.cell_size()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        name = theme.current_theme()
        c = lambda key: theme.color(name, key)  # noqa: E731
        # Straight Python calls on the model: no QVariant round trip per paint (faster, and it
        # sidesteps a PySide refcount fault seen when data() hands back None at a high rate).
        model = index.model()
        sample = model.sample_at(index.row())
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        current = bool(option.state & QStyle.StateFlag.State_HasFocus)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        cell = QRectF(option.rect).adjusted(2, 2, -2, -2)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)

        if selected:
            fill = QColor(c("accent"))
            fill.setAlpha(48 if name == "dark" else 30)
            painter.setPen(QPen(c("accent"), 2))
            painter.setBrush(fill)
            painter.drawRoundedRect(cell.adjusted(1, 1, -1, -1), 8, 8)
        elif hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(c("alt"))
            painter.drawRoundedRect(cell, 8, 8)
        if current and not selected:
            painter.setPen(QPen(c("accent"), 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(cell.adjusted(1, 1, -1, -1), 8, 8)

        box = QRect(option.rect.left() + self.PAD, option.rect.top() + self.PAD, self.thumb, self.thumb)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c("alt") if not hovered or selected else c("border"))
        painter.drawRoundedRect(QRectF(box), 6, 6)
        image = model.thumbnail(sample) if sample is not None else None
        if sample is not None and sample.status != "ok":
            self._hint(painter, box, "Cannot be read", c("error"))
        elif image is not None and not image.isNull():
            size = image.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            if image.width() <= box.width() and image.height() <= box.height():
                size = image.size()  # never blow small pictures up into a blur
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(box.center())
            painter.drawImage(target, image)
        elif image is not None:
            self._hint(painter, box, "Cannot show", c("muted"))

        text_rect = QRect(box.left(), box.bottom() + 4, box.width(), self.TEXT_HEIGHT - 4)
        label = sample.label if sample is not None else None
        chip = model.color_of(label)
        dot = QRectF(text_rect.left() + 1, text_rect.center().y() - 4, 9, 9)
        if label:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(chip) if chip else c("muted"))
        else:
            painter.setPen(QPen(c("disabled"), 1.2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(dot)
        font = QFont(option.font)
        if label:
            font.setWeight(QFont.Weight.Medium)
        painter.setFont(font)
        painter.setPen(c("text") if label else c("muted"))
        words = text_rect.adjusted(16, 0, 0, 0)
        text = painter.fontMetrics().elidedText(label or "Unlabelled", Qt.TextElideMode.ElideRight, words.width())
        painter.drawText(words, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        painter.restore()

    @staticmethod
    def _hint(painter: QPainter, box: QRect, text: str, color: QColor) -> None:
        painter.setPen(color)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
