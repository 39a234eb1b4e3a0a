"""Which trained run a page works with; shared through the RunsController, so all pages agree."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QComboBox, QWidget

from desktop.controllers.runs_controller import RunsController


def run_title(r) -> str:
    acc = r.metrics.get("val_acc")
    when = time.strftime("%d %b %H:%M", time.localtime(r.created_at)) if r.created_at else r.id
    score = f" · {100 * acc:.1f}%" if isinstance(acc, (int, float)) else ""
    return f"{when} · {r.backbone or '?'} · {r.mode or '?'}{score}"


MIN_WIDTH = 220  # px: the date, the backbone's first letters and the mode


class RunPicker(QComboBox):
    def __init__(self, runs: RunsController, parent: QWidget | None = None):
        super().__init__(parent)
        self._runs = runs
        # As wide as its longest title (cut at 440 px, whole in the list and the tooltip): a fixed
        # 34-character box cut "· 100.0%" off the end of every title.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setMaximumWidth(440)
        self.currentIndexChanged.connect(lambda _i: self.setToolTip(self.currentText()))
        runs.runs_changed.connect(self._fill)
        runs.current_changed.connect(self._show_current)
        self.currentIndexChanged.connect(lambda _i: runs.select(self.currentData()))
        self._fill()

    def minimumSizeHint(self) -> QSize:
        """Narrower than its longest title where the page has less room (the title is then cut;
        the list and the tooltip show it whole): a pair backbone's title ("efficientnet_lite0_lite1") made the Export page's
        left column wider than its half of the default window, and cut its panels off at the right."""
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), MIN_WIDTH), hint.height())

    def _fill(self) -> None:
        self.blockSignals(True)
        self.clear()
        for r in self._runs.usable():
            self.addItem(run_title(r), r.id)
            self.setItemData(self.count() - 1, r.id, role=3)  # tooltip: the run id
        if not self.count():
            self.addItem("No trained model yet", None)
        self.blockSignals(False)
        self._show_current(self._runs.current)

    def _show_current(self, run_id) -> None:
        index = self.findData(run_id)
        if index >= 0 and index != self.currentIndex():
            self.blockSignals(True)
            self.setCurrentIndex(index)
            self.blockSignals(False)
