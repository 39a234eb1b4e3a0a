"""A message strip at the top of the window: a sentence, optional actions, details on demand."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from desktop.notifier import Message, Notifier


class MessageBanner(QFrame):
    def __init__(self, notifier: Notifier, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MessageBanner")
        self.message: Message | None = None
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QPushButton("Show details")
        self.details_button.setProperty("flat", True)
        self.details_button.clicked.connect(self._toggle_details)
        self.close_button = QPushButton("Dismiss")
        self.close_button.setProperty("flat", True)
        self.close_button.clicked.connect(self.hide_message)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(160)
        self.details.hide()

        self._row = QHBoxLayout()
        self._row.setSpacing(8)
        self._row.addWidget(self.text_label, 1)
        self._actions = QHBoxLayout()
        self._actions.setSpacing(6)
        self._row.addLayout(self._actions)
        self._row.addWidget(self.details_button)
        self._row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(self._row)
        layout.addWidget(self.details)
        self.hide()
        notifier.posted.connect(self.show_message)
        notifier.cleared.connect(self.hide_message)

    def show_message(self, message: Message) -> None:
        self.message = message
        self.setProperty("level", message.level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.text_label.setText(message.text)
        while self._actions.count():
            item = self._actions.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for title, callback in message.actions:
            button = QPushButton(title)
            button.clicked.connect(lambda _checked=False, cb=callback: cb())
            self._actions.addWidget(button)
        self.details.setPlainText(message.detail or "")
        self.details.hide()
        self.details_button.setText("Show details")
        self.details_button.setVisible(bool(message.detail))
        self.show()

    def hide_message(self) -> None:
        self.message = None
        self.hide()

    def action_buttons(self) -> list[QPushButton]:
        return [self._actions.itemAt(i).widget() for i in range(self._actions.count())]

    def _toggle_details(self) -> None:
        visible = not self.details.isVisible()
        self.details.setVisible(visible)
        self.details_button.setText("Hide details" if visible else "Show details")
