"""Export: the current run as a self-describing ONNX model (fp32, optionally fp16 and int8 next to
it), checked against PyTorch; shows the check, the metadata, and the five lines that use it."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPlainTextEdit, QProgressBar, QPushButton, QScrollArea, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from desktop.controllers.runs_controller import RunsController
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.settings import AppSettings
from desktop.widgets.run_picker import RunPicker
from desktop.widgets.section import card
from desktop.workers.jobs import Jobs

SNIPPET = """import json, numpy as np, onnxruntime as ort
from PIL import Image
s = ort.InferenceSession("{name}")
labels = json.loads(s.get_modelmeta().custom_metadata_map["labels"])
print(labels[int(np.argmax(s.run(None, {{"{input}": np.asarray(Image.open("photo.jpg").convert("RGB"))[None]}})[0]))])"""
AUDIO_SNIPPET = """import json, numpy as np, onnxruntime as ort, soundfile as sf
s = ort.InferenceSession("{name}")
labels = json.loads(s.get_modelmeta().custom_metadata_map["labels"])
wave, rate = sf.read("clip.wav", dtype="float32")  # mono, at {rate} Hz
print(labels[int(np.argmax(s.run(None, {{"{input}": wave[None]}})[0]))])"""


def export(_progress, project, out: str, run_id: str, fp16: bool, int8: bool, spec=None):
    from core.export.exporter import export_run

    return export_run(project, out, run_id, fp16=fp16, int8=int8, spec=spec)


def snippet(report) -> str:
    import json

    meta = report.metadata or {}
    try:
        spec = json.loads(meta.get("input_spec", "{}"))
    except ValueError:
        spec = {}
    name = os.path.basename(report.path)
    if meta.get("task") == "audio":
        return AUDIO_SNIPPET.format(name=name, input=spec.get("name", "waveform"), rate=spec.get("sample_rate", 16000))
    return SNIPPET.format(name=name, input=spec.get("name", "image"))


class ExportPage(QWidget):
    def __init__(self, session: ProjectSession, runs: RunsController, settings: AppSettings, notifier: Notifier,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._session, self._runs, self._settings, self._notifier = session, runs, settings, notifier
        self._jobs = Jobs(self)
        self.report = None

        title = QLabel("Export")
        title.setProperty("role", "title")
        subtitle = QLabel("One ONNX file with the preprocessing and the labels inside: runs anywhere onnxruntime does.")
        subtitle.setProperty("role", "muted")
        self.run_picker = RunPicker(runs)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("ExportPath")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.fp16 = QCheckBox("Also fp16 (half the size)")
        self.int8 = QCheckBox("Also int8 (a quarter of the size, fastest on CPU)")
        self.export_button = QPushButton("Export")
        self.export_button.setProperty("primary", True)
        self.export_button.clicked.connect(self.export)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setFixedHeight(6)
        self.busy.setTextVisible(False)
        self.busy.hide()
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.addRow("Run", self.run_picker)
        form.addRow("File", path_row)
        form.addRow("Variants", self.fp16)
        form.addRow("", self.int8)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.busy, 1)
        options = QWidget()
        options_layout = QVBoxLayout(options)
        options_layout.setContentsMargins(0, 0, 0, 0)
        options_layout.addLayout(form)
        options_layout.addLayout(buttons)

        self.check_label = QLabel("Nothing exported yet.")
        self.check_label.setObjectName("ParityCheck")
        self.check_label.setWordWrap(True)
        self.open_button = QPushButton("Open folder")
        self.open_button.clicked.connect(self._open_folder)
        self.copy_button = QPushButton("Copy snippet")
        self.copy_button.clicked.connect(self._copy)
        for b in (self.open_button, self.copy_button):
            b.setEnabled(False)
        actions = QHBoxLayout()
        actions.addWidget(self.open_button)
        actions.addWidget(self.copy_button)
        actions.addStretch(1)
        self.code = QPlainTextEdit()
        self.code.setObjectName("Snippet")
        self.code.setReadOnly(True)
        self.code.setMinimumHeight(64)  # gives way in a 700 px window (issue 15: fitting only)
        self.code.setMaximumHeight(118)
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.meta = QTableWidget(0, 2)
        self.meta.setObjectName("MetadataTable")
        self.meta.setHorizontalHeaderLabels(["Metadata", "Value"])
        self.meta.verticalHeader().hide()
        self.meta.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.meta.horizontalHeader().setStretchLastSection(True)
        self.meta.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.meta.setAlternatingRowColors(True)
        self.meta.setWordWrap(False)

        left_widget = QWidget()
        left = QVBoxLayout(left_widget)
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(12)
        left.addWidget(card(options, title="Model file"))
        left.addWidget(card(self.check_label, title="Check"))
        left.addWidget(card(self.code, title="Use it (Python)"), 1)
        left.addLayout(actions)
        left.addStretch(1)
        body = QHBoxLayout()
        body.setSpacing(16)
        # Fitting only (issue 15): 3:2 gives the file path room at 1024 px, and below 700 px high the
        # column scrolls instead of squeezing its form's rows into each other.
        left_scroll = QScrollArea()
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_scroll.setWidget(left_widget)
        body.addWidget(left_scroll, 3)
        body.addWidget(card(self.meta, title="Inside the file"), 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 20)
        layout.setSpacing(14)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addLayout(body, 1)
        runs.current_changed.connect(lambda _r: self._suggest_path())
        session.opened.connect(lambda _p: self._suggest_path())

    def _suggest_path(self) -> None:
        project = self._session.project
        if project is None:
            return
        stem = f"{project.name.replace(' ', '_').lower()}"
        self.path_edit.setText(str(Path(project.root) / "exports" / f"{stem}.onnx"))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the model as", self.path_edit.text(), "ONNX model (*.onnx)")
        if path:
            self.path_edit.setText(path if path.endswith(".onnx") else path + ".onnx")

    def export(self) -> bool:
        project, run_id = self._session.project, self._runs.current
        if project is None or run_id is None:
            self._notifier.post("Train a model first: Export writes the current run.", "info")
            return False
        if self._jobs.busy:
            return False
        self.export_button.setEnabled(False)
        self.busy.show()
        self.check_label.setText("Exporting and checking against PyTorch…")
        self._jobs.start(export, project, self.path_edit.text().strip(), run_id, self.fp16.isChecked(),
                         self.int8.isChecked(), self._runs.spec, on_result=self._show, on_error=self._failed,
                         on_finished=self._done, doing="exporting the model")
        return True

    def _done(self) -> None:
        self.export_button.setEnabled(True)
        self.busy.hide()

    def _failed(self, error) -> None:
        self.check_label.setText(error.message)
        self._notifier.error(error)

    def _show(self, report) -> None:
        self.report = report
        lines = [f"<b>{os.path.basename(report.path)}</b> · {report.size_bytes / 1e6:.1f} MB · {report.seconds:.1f} s",
                 f"onnxruntime vs PyTorch on {report.parity_samples} samples: max difference {report.parity_max_diff:.1e} ✓"]
        if report.preprocessing_top1_agreement is not None:
            lines.append(f"Preprocessing inside the model vs training: top-1 agrees on "
                         f"{100 * report.preprocessing_top1_agreement:.0f}% (max diff {report.preprocessing_max_diff:.1e})")
        for name, v in report.variants.items():
            bits = [f"{v.get('size_bytes', 0) / 1e6:.1f} MB" if v.get("size_bytes") else ""]
            if v.get("max_diff_vs_fp32") is not None:
                bits.append(f"max diff vs fp32 {v['max_diff_vs_fp32']:.1e}")
            if v.get("top1_agreement_vs_fp32") is not None:
                bits.append(f"top-1 agrees {100 * v['top1_agreement_vs_fp32']:.0f}%")
            if v.get("accuracy_change") is not None:
                bits.append(f"accuracy change {100 * v['accuracy_change']:+.1f} pt")
            if v.get("quantised"):
                bits.append(f"quantised: {v['quantised']}")
            lines.append(f"{name}: " + ", ".join(b for b in bits if b))
        self.check_label.setText("<br>".join(lines))
        self.meta.setRowCount(0)
        for key, value in sorted(report.metadata.items()):
            row = self.meta.rowCount()
            self.meta.insertRow(row)
            self.meta.setItem(row, 0, QTableWidgetItem(key))
            item = QTableWidgetItem(str(value))
            item.setToolTip(str(value)[:2000])
            self.meta.setItem(row, 1, item)
        self.code.setPlainText(snippet(report))
        for b in (self.open_button, self.copy_button):
            b.setEnabled(True)
        self._notifier.post(f"Exported the model to {report.path}.", "success")

    def _open_folder(self) -> None:
        if self.report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(self.report.path)))

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code.toPlainText())
