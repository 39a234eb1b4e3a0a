"""The progress of a running import, with Cancel."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget


class ImportProgressPanel(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setProperty("role", "card")
        self.title_label = QLabel("Importing…")
        self.title_label.setProperty("role", "strong")
        self.detail_label = QLabel("Looking for files")
        self.detail_label.setProperty("role", "muted")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.cancel_button = QPushButton("Cancel")
        top = QHBoxLayout()
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.title_label)
        texts.addWidget(self.detail_label)
        top.addLayout(texts, 1)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 12, 18, 14)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.bar)

    def reset(self) -> None:
        self.bar.setRange(0, 0)
        self.title_label.setText("Importing…")
        self.detail_label.setText("Looking for files")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")

    def update_progress(self, p) -> None:
        """``p`` is a core.importer.ImportProgress."""
        if p.total:
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.done)
        self.title_label.setText(f"Importing {p.done:,} of {p.total:,} files")
        bits = [f"{p.added:,} added"]
        if p.duplicates:
            bits.append(f"{p.duplicates:,} duplicates")
        if p.rejected:
            bits.append(f"{p.rejected:,} rejected")
        current = os.path.basename(p.path) if p.path else ""
        self.detail_label.setText(" · ".join(bits) + (f" — {current}" if current else ""))
