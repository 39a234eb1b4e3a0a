"""What the Export page shows about an export: the check, and each variant's measured size, latency and
accuracy (or why it was not written). Only numbers an export measured; nothing is a fixed claim."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from core.export.files import percent_of, unseen_line
from core.run_catalogue import accuracy_name, val_acc

RULE = ("A variant is written only if it is smaller, within 1 point of fp32's accuracy, gives fp32's class on "
        "at least 9 in 10 samples the model did not learn from and, for int8, is faster on this computer.")
TITLES = {"fp32": "fp32", "fp16": "fp16", "int8": "int8", "split": "split"}  # split: front end + classifier


def run_summary(info, best) -> str:
    """One line on the run the page exports (the picker names it): how good, and whether it is the best."""
    if info is None:
        return "No trained model yet: train one on the Train page."
    acc, name = val_acc(info.metrics), accuracy_name(info.metrics)
    score = f"{name} {acc:.1%}" if acc is not None else f"no {name}"
    if best is not None and best.id == info.id:
        return f"<b>The best finished run</b> · {score} · {info.status}"
    if best is None:
        return f"{score} · {info.status}"
    best_acc = val_acc(best.metrics)
    better = f" ({best_acc:.1%})" if best_acc is not None else ""
    return f"{score} · {info.status} · <span style='color:#d97706'>not the best: run {best.id}{better} is</span>"


def check_text(report, *, earlier: str = "") -> str:
    """The check of an export, as rich text (``earlier``: a note when it is a past export shown again)."""
    lines = []
    if earlier:
        lines.append(f"<i>{earlier}</i>")
    lines.append(f"<b>{os.path.basename(report.path)}</b> · run {report.run_id} · {report.seconds:.0f} s · wrote "
                 + ", ".join(os.path.basename(p) for p in report.files()))
    lines.append(f"onnxruntime vs PyTorch: max difference {report.parity_max_diff:.1e} on {report.parity_samples} "
                 "samples ✓ · ONNX checker, full check: every file ✓")
    if report.preprocessing_top1_agreement is not None:
        lines.append(f"Raw files vs the training-time preprocessing: top-1 agrees on "
                     f"{100 * report.preprocessing_top1_agreement:.0f}% (max diff {report.preprocessing_max_diff:.1e})")
    for kind, reason in report.not_written.items():
        what = "the front end as its own file" if kind == "split" else kind
        lines.append(f"<span style='color:#d97706'>{what} not written: {reason}.</span>")
    if report.removed:
        lines.append("Removed from an earlier export of this name: " + ", ".join(os.path.basename(p) for p in report.removed))
    return "<br>".join(lines)


class VariantsTable(QTableWidget):
    """One row per variant: whether it was written, size, latency on one thread, accuracy, and how
    often it gives fp32's class on samples the model did not learn from."""

    COLUMNS = ["Variant", "Size", "Latency", "Accuracy", "As fp32"]

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(self.COLUMNS), parent)
        self.setObjectName("VariantsTable")
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        # every column as wide as its text, the last taking what is left: always the card's width,
        # and no number or word cut short (six columns fit the card at the default window size)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(36)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.setWordWrap(False)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.note = ""
        self._fit()

    def _fit(self) -> None:
        """As tall as its rows (three or four), so the card below gets the rest."""
        rows = max(self.rowCount(), 3)
        row_height = self.verticalHeader().defaultSectionSize()
        self.setFixedHeight(self.horizontalHeader().sizeHint().height() + rows * row_height + 2 * self.frameWidth() + 2)

    def show_report(self, report) -> None:
        self.setRowCount(0)
        for kind, v in report.variants.items():
            row = self.rowCount()
            self.insertRow(row)
            size = v.get("size_bytes")
            if kind == "split" and v.get("frontend_size_bytes"):
                size = size + v["frontend_size_bytes"]  # the two files together (each in the tooltip)
            size_text = f"{size / 2**20:.1f} MiB" if size else "–"
            latency = f"{v['latency_ms']:.2f} ms" if v.get("latency_ms") is not None else "–"
            acc, same = percent_of(v, "accuracy"), percent_of(v, "unseen_agreement_vs_fp32")
            mark = "✓" if v.get("written") else "✗"  # why not: the Check panel, and this row's tooltip
            cells = [f"{TITLES.get(kind, kind)} {mark}", size_text, latency, acc, same]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column in (1, 2, 3, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                files = [f"{os.path.basename(p)}" + (f" ({n / 2**20:.1f} MiB)" if n else "")
                         for p, n in ((v.get("frontend_path"), v.get("frontend_size_bytes")),
                                      (v.get("path"), v.get("size_bytes"))) if p]
                item.setToolTip(" + ".join(files) + (f": {v['reason']}" if v.get("reason") else ""))
                self.setItem(row, column, item)
        m = report.measured or {}
        self.note = (f"Latency: best of {m.get('latency_runs')} runs of one {m.get('latency_input')}, batch 1, 1 CPU "
                     f"thread. Accuracy: {m.get('samples')} labelled samples ({m.get('splits')}). "
                     f"{unseen_line(m)} ") if m else ""
        self.note += "✓ written, ✗ not written (the Check panel says why). " + RULE
        self._fit()

    def clear_rows(self) -> None:
        self.setRowCount(0)
        self.note = ""
        self._fit()

    def cell_text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item is not None else ""
