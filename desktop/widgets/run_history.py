"""The project's runs: when, which backbone and mode, how it ended and its best validation accuracy
(a multi-task run: each extra label set's too).

Selecting one run shows its curves; selecting two (Ctrl+click) compares them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

COLUMNS = ("Run", "Backbone", "Mode", "Status", "Best val. acc.")


def best_accuracy(metrics: dict) -> str:
    """The best validation accuracy, e.g. 93.8%; a multi-task run adds each extra set: 93.8% · mark 95.0%."""
    acc = metrics.get("val_acc")
    text = f"{100 * acc:.1f}%" if isinstance(acc, (int, float)) else "–"
    sets = metrics.get("label_sets_val_acc")
    if isinstance(sets, dict) and sets:
        text += " · " + " · ".join(f"{name} {100 * v:.1f}%" if isinstance(v, (int, float)) and v == v else f"{name} –"
                                   for name, v in sets.items())
    return text


def read_metrics(run_dir) -> list[dict]:
    """runs/<id>/metrics.jsonl: one dict per epoch (a line that cannot be read is left out)."""
    rows = []
    try:
        with open(Path(run_dir) / "metrics.jsonl", encoding="utf-8") as fh:
            for line in fh:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    continue
    except OSError:
        pass
    return rows


def read_config(run_dir) -> dict:
    try:
        return json.loads((Path(run_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def describe_config(cfg: dict) -> str:
    keys = ("backbone", "mode", "epochs", "batch_size", "lr", "augment", "schedule", "device")
    return " · ".join(f"{k.replace('_', ' ')} {cfg[k]}" for k in keys if cfg.get(k) is not None)


class RunHistory(QWidget):
    selection_changed = Signal(object)  # [RunInfo] (0, 1 or 2 of them)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setObjectName("RunHistory")
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the backbone's name gives way (elided, whole in its tooltip): the accuracy must stay readable
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.itemSelectionChanged.connect(self._selection)
        self.detail = QLabel("Select a run to see its curves; select two (Ctrl+click) to compare them.")
        self.detail.setProperty("role", "muted")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        self._runs = {}

    def set_runs(self, runs) -> None:
        selected = [r.id for r in self.selected()]
        self.tree.blockSignals(True)
        self.tree.clear()
        self._runs = {r.id: r for r in runs}
        for r in runs:
            item = QTreeWidgetItem(self.tree, [
                time.strftime("%d %b %H:%M", time.localtime(r.created_at)) if r.created_at else r.id,
                r.backbone or "–", r.mode or "–", r.status.replace("_", " "), best_accuracy(r.metrics),
            ])
            item.setData(0, Qt.ItemDataRole.UserRole, r.id)
            item.setToolTip(0, r.id)
            item.setToolTip(1, r.backbone or "")
            item.setTextAlignment(4, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setSelected(r.id in selected)
        self.tree.blockSignals(False)

    def selected(self):
        ids = [i.data(0, Qt.ItemDataRole.UserRole) for i in self.tree.selectedItems()]
        return [self._runs[i] for i in ids if i in self._runs][:2]

    def select_ids(self, ids: list[str]) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            item.setSelected(item.data(0, Qt.ItemDataRole.UserRole) in ids)

    def _selection(self) -> None:
        runs = self.selected()
        if len(runs) == 1:
            cfg = read_config(runs[0].dir)
            metrics = runs[0].metrics
            best = ", ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in metrics.items() if isinstance(v, (int, float)))
            sets = metrics.get("label_sets_val_acc")
            if isinstance(sets, dict) and sets:
                best += "; " + ", ".join(f"{name} val acc {v:.3f}" for name, v in sets.items()
                                        if isinstance(v, (int, float)))
            self.detail.setText(f"{runs[0].id}: {describe_config(cfg)}" + (f"\nBest: {best}" if best else ""))
        elif len(runs) == 2:
            self.detail.setText(f"Comparing {runs[0].id} (solid) with {runs[1].id} (dashed).")
        else:
            self.detail.setText("Select a run to see its curves; select two (Ctrl+click) to compare them.")
        self.selection_changed.emit(runs)
