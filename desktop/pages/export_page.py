"""Export: the selected run (the best finished one unless a person picks another) as a self-describing
ONNX model, optionally with fp16 and int8 variants and, for audio, the front end as its own file;
checked against PyTorch and measured. Every panel describes the selected run: its last export (from
runs/<id>/export.json) or nothing yet. An existing file is replaced only after a question."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QMessageBox, QPlainTextEdit, QProgressBar, QPushButton, QScrollArea, QSizePolicy,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.controllers.runs_controller import RunsController
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.settings import AppSettings
from desktop.widgets.export_panels import RULE, VariantsTable, check_text, run_summary
from desktop.widgets.run_picker import RunPicker
from desktop.widgets.section import card
from desktop.workers.runner import Runner


def export(ctx, project, out: str, run_id: str, fp16: bool, int8: bool, split: bool, overwrite: bool, spec=None):
    from core.export.exporter import export_run

    return export_run(project, out, run_id, fp16=fp16, int8=int8, split_frontend=split, overwrite=overwrite,
                      spec=spec, progress=ctx.progress)


def snippet(report) -> str:
    from core.export.snippets import snippet as code

    meta = report.metadata or {}
    try:
        spec = json.loads(meta.get("input_spec", "{}"))
    except ValueError:
        spec = {}
    return code(os.path.basename(report.path), meta.get("task", "image"), spec.get("name", "image"),
                spec.get("sample_rate"))


def last_export(info):
    """The ExportReport of the run's latest export (runs/<id>/export.json), or None."""
    from core.export.report import ExportReport

    try:
        return ExportReport.from_json(json.loads((info.dir / "export.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


class _Column(QScrollArea):
    """A column that scrolls up and down only, and is never made narrower than its content needs
    (a plain QScrollArea may be squeezed until its form is cut off at the right)."""

    def __init__(self, content: QWidget):
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(content)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        need = self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        return QSize(max(hint.width(), need), hint.height())


class ExportPage(QWidget):
    def __init__(self, session: ProjectSession, runs: RunsController, settings: AppSettings, notifier: Notifier,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._session, self._runs, self._settings, self._notifier = session, runs, settings, notifier
        self._jobs = Runner(self)
        self.report = None
        self.dialog: QMessageBox | None = None  # the open "replace?" question (tests answer it)

        title = QLabel("Export")
        title.setProperty("role", "title")
        subtitle = QLabel("One ONNX file with the preprocessing and the labels inside, checked against PyTorch and "
                          "measured on your samples.")
        subtitle.setProperty("role", "muted")
        self.run_picker = RunPicker(runs)
        self.run_info = QLabel()
        self.run_info.setObjectName("RunSummary")
        self.run_info.setProperty("role", "muted")
        self.run_info.setWordWrap(True)  # fitting: the run's numbers wrap rather than widen the column
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("ExportPath")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.fp16 = QCheckBox("Also fp16 (half-precision weights)")
        self.int8 = QCheckBox("Also int8 (quantised, calibrated on your samples)")
        self.split = QCheckBox("Also the front end as its own file (for OpenCV)")
        self.split.setToolTip("NAME.frontend.onnx turns the waveform into the log-mel picture and "
                              "NAME.classifier.onnx classifies that picture: for runtimes without the STFT operator, "
                              "such as OpenCV's DNN module.")
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
        form.setVerticalSpacing(6)
        run_box = QVBoxLayout()  # a wrapping label in a form row of its own is given stray height
        run_box.setSpacing(4)
        run_box.addWidget(self.run_picker)
        run_box.addWidget(self.run_info)
        form.addRow("Run", run_box)
        form.addRow("File", path_row)
        form.addRow("Variants", self.fp16)
        form.addRow("", self.int8)
        form.addRow("", self.split)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.busy, 1)
        options = QWidget()
        options_layout = QVBoxLayout(options)
        options_layout.setContentsMargins(0, 0, 0, 0)
        options_layout.addLayout(form)
        options_layout.addLayout(buttons)

        self.check_label = QLabel()
        self.check_label.setObjectName("ParityCheck")
        self.check_label.setWordWrap(True)
        self.open_button = QPushButton("Open folder")
        self.open_button.clicked.connect(self._open_folder)
        self.copy_button = QPushButton("Copy snippet")
        self.copy_button.clicked.connect(self._copy)
        actions = QHBoxLayout()
        actions.addWidget(self.open_button)
        actions.addWidget(self.copy_button)
        actions.addStretch(1)
        self.code = QPlainTextEdit()
        self.code.setObjectName("Snippet")
        self.code.setReadOnly(True)
        self.code.setMinimumHeight(64)  # the snippet card takes what the column has left, and gives way first
        self.code.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.variants = VariantsTable()
        self.variants_note = QLabel()
        self.variants_note.setProperty("role", "muted")
        self.variants_note.setWordWrap(True)
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
        use = QWidget()
        use_layout = QVBoxLayout(use)
        use_layout.setContentsMargins(0, 0, 0, 0)
        use_layout.addWidget(self.code, 1)
        use_layout.addLayout(actions)
        left.addWidget(card(use, title="Use it (Python)"), 1)
        right = QVBoxLayout()
        right.setSpacing(12)
        right.addWidget(card(self.variants, self.variants_note, title="Variants, measured on this computer"))
        right.addWidget(card(self.meta, title="Inside the file"), 1)
        body = QHBoxLayout()
        body.setSpacing(16)
        # Fitting only (issue 15): below about 700 px high the model-file column scrolls instead of
        # squeezing its form's rows into each other.
        self.left_column = _Column(left_widget)
        body.addWidget(self.left_column, 5)
        body.addLayout(right, 6)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 20)
        layout.setSpacing(14)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addLayout(body, 1)
        runs.current_changed.connect(lambda _r: self._run_changed())
        runs.runs_changed.connect(self._show_run_info)
        session.opened.connect(lambda _p: self._run_changed())
        self._run_changed()

    # ------------------------------------------------------------ the selected run

    def _run_changed(self) -> None:
        """Every panel follows the selected run: its last export, or nothing yet."""
        self._show_run_info()
        info = self._runs.info(self._runs.current)
        report = last_export(info) if info is not None else None
        if report is not None and report.run_id == info.id:
            exists = Path(report.path).exists()
            note = "The last export of this run" + ("" if exists else " (its file has since been moved or deleted)")
            self._show(report, earlier=note + ":")
            self.path_edit.setText(report.path)
        else:
            self._clear(f"Run {info.id} has not been exported yet." if info is not None else "Nothing exported yet.")
            self._suggest_path()
        self.split.setVisible(bool(self._session.project and self._session.project.task == "audio"))
        if info is not None and self.split.isVisible():
            from core.export.split import backbone_supports_split

            self.split.setEnabled(backbone_supports_split(info.backbone))

    def _show_run_info(self) -> None:
        self.run_info.setText(run_summary(self._runs.info(self._runs.current), self._runs.best()))

    def _suggest_path(self) -> None:
        project = self._session.project
        if project is None:
            return
        stem = f"{project.name.replace(' ', '_').lower()}"
        self.path_edit.setText(str(Path(project.root) / "exports" / f"{stem}.onnx"))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the model as", self.path_edit.text(), "ONNX model (*.onnx)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path_edit.setText(path if path.endswith(".onnx") else path + ".onnx")

    # ------------------------------------------------------------ exporting

    def export(self) -> bool:
        """Export the selected run; when files of that name exist, ask first (``self.dialog``)."""
        from core.export.files import existing_files

        project, run_id = self._session.project, self._runs.current
        if project is None or run_id is None:
            self._notifier.post("Train a model first: Export writes the selected run.", "info")
            return False
        if self._jobs.busy or self.dialog is not None:
            return False
        out = self.path_edit.text().strip()
        there = existing_files(out) if out else []
        if there:
            self._ask_replace(out, there)
            return False
        return self._start(out, overwrite=False)

    def _ask_replace(self, out: str, there: list[Path]) -> None:
        names = "\n".join(f"  {p.name}" for p in there)
        box = QMessageBox(QMessageBox.Icon.Question, "Replace the exported model?",
                          f"These files of {Path(out).name} already exist in {Path(out).parent}:\n{names}\n\n"
                          "Replace them with this export? Files of the earlier export that this one does not "
                          "write are removed, so none describes another model.",
                          QMessageBox.StandardButton.Cancel, self)
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda button: button is replace and self._start(out, overwrite=True))
        box.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = box
        box.open()

    def _start(self, out: str, *, overwrite: bool) -> bool:
        project, run_id = self._session.project, self._runs.current
        if project is None or run_id is None or self._jobs.busy:
            return False
        self.export_button.setEnabled(False)
        self.busy.show()
        self.check_label.setText("Exporting and checking against PyTorch…")
        split = self.split.isVisible() and self.split.isEnabled() and self.split.isChecked()
        self._jobs.submit(export, project, out, run_id, self.fp16.isChecked(), self.int8.isChecked(), split, overwrite,
                          self._runs.spec, on_result=self._exported, on_failed=self._failed,
                          on_progress=lambda text: self.check_label.setText(str(text)), on_finished=self._done,
                          doing="exporting the model")
        return True

    def _done(self) -> None:
        self.export_button.setEnabled(True)
        self.busy.hide()

    def _failed(self, error) -> None:
        self.check_label.setText(error.message)
        self._notifier.error(error)

    def _exported(self, report) -> None:
        self._show(report)
        missing = report.not_written
        if missing:
            self._notifier.post("Exported the model to " + report.path + "; " + "; ".join(
                f"{kind} not written: {reason}" for kind, reason in missing.items()) + ".", "warning")
        else:
            self._notifier.post(f"Exported the model to {report.path}.", "success")

    # ------------------------------------------------------------ panels

    def _show(self, report, earlier: str = "") -> None:
        self.report = report
        self.check_label.setText(check_text(report, earlier=earlier))
        self.variants.show_report(report)
        self.variants_note.setText(self.variants.note)
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

    def _clear(self, text: str) -> None:
        self.report = None
        self.check_label.setText(text)
        self.variants.clear_rows()
        self.variants_note.setText("Nothing measured yet: each export measures its files. " + RULE)
        self.meta.setRowCount(0)
        self.code.setPlainText("")
        for b in (self.open_button, self.copy_button):
            b.setEnabled(False)

    def _open_folder(self) -> None:
        if self.report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(self.report.path)))

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code.toPlainText())
