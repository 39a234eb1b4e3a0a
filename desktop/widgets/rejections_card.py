"""The import report: every file an import turned away, with the reason, in a card."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from desktop.qtmodels.rejections import RejectionsModel


class RejectionsCard(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setProperty("role", "card")
        self.model = RejectionsModel(self)
        self.view = QTableView()
        self.view.setObjectName("RejectionsView")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        title = QLabel("Rejected files")
        title.setProperty("role", "section")
        self.report_label = QLabel()
        self.report_label.setWordWrap(True)
        self.report_label.setProperty("role", "muted")
        self.empty_label = QLabel(
            "Nothing has been rejected. Unreadable or unsupported files would be listed here with the reason.")
        self.empty_label.setProperty("role", "muted")
        self.empty_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 16)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(self.report_label)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty_label)
        layout.addStretch(0)

    def set_rows(self, rows, last_report) -> None:
        self.model.set_rows(rows)
        self.view.setVisible(bool(rows))
        self.empty_label.setVisible(not rows)
        self.report_label.setText(f"Last import: {last_report.summary()}." if last_report else "")
        self.report_label.setVisible(last_report is not None)
