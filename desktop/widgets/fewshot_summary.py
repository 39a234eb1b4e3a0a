"""What the Train page shows instead of curves in the few-shot mode: how such a model is made,
and, once one is built, its examples per class and its leave-one-out accuracy."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from desktop.widgets.mode_card import ModeCard

HOW = ("Nothing is trained, so there are no curves to watch. Each class becomes the average of its labelled "
       "examples' features (its prototype), and a sample goes to the class whose prototype it is closest to. "
       "One example per class is enough to start; a few more make it steadier. The run it saves works on the "
       "Evaluate, Play and Export pages like any other, with the prototypes inside the exported model.")


class FewshotSummary(ModeCard):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("Few-shot model", HOW, parent)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.rows = QGridLayout()
        self.rows.setHorizontalSpacing(12)
        self.rows.setVerticalSpacing(6)
        self.rows.setColumnStretch(1, 1)
        self.content.addWidget(self.result)
        self.content.addLayout(self.rows)
        self.clear()

    def clear(self) -> None:
        self.how.show()  # until a model is built: then its classes and score need the room
        self.result.setText("")
        self.result.hide()
        self.note.setText("")
        self._clear_rows()

    def _clear_rows(self) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

    def show_end(self, end) -> None:
        """A workers.training.FewshotEnd."""
        self.clear()
        if end.status != "completed":
            return
        self.how.hide()
        n = sum(end.examples_per_class)
        self.result.setText(f"<b>Run {end.run_id}</b> · {end.backbone} · built in {end.seconds:.1f} s from "
                            f"{n:,} labelled example{'s' if n != 1 else ''}:")
        self.result.show()
        most = max(end.examples_per_class, default=1)
        for row, (name, count) in enumerate(zip(end.class_names, end.examples_per_class)):
            label = QLabel(name)
            bar = QProgressBar()
            bar.setTextVisible(False)
            bar.setFixedHeight(6)
            bar.setRange(0, most)
            bar.setValue(count)
            amount = QLabel(f"{count:,}")
            amount.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.rows.addWidget(label, row, 0)
            self.rows.addWidget(bar, row, 1)
            self.rows.addWidget(amount, row, 2)
        if end.val_acc is not None:
            self.note.setText(f"Leave-one-out accuracy {100 * end.val_acc:.1f}%: each example classified by the "
                              "prototypes of the others (classes with two or more examples). Evaluate scores the "
                              "examples the same way where there is no test split.")
        else:
            self.note.setText("No accuracy yet: that needs a class with two or more examples.")
