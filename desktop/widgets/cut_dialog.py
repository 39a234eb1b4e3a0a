"""Cut long recordings into samples: by where sound is heard, or in fixed windows, with the cuts
drawn on the recording's waveform before anything is committed.

Used when an import brings long recordings (cut them, or import them whole) and by "Cut into
samples…" on a recording already in the project. The cuts are worked out off the GUI thread
(core.audio.segment, the same code as ``transferlab import --segment``); a newer setting replaces
an older computation, never the other way round.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QThreadPool, QTimer, Qt
from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QDoubleSpinBox, QGridLayout, QHBoxLayout,
                               QLabel, QListWidget, QPushButton, QRadioButton, QVBoxLayout, QWidget)

from core.audio.segment import SegmentSettings, segment_recording
from desktop import theme
from desktop.thumbnails.audio_view import analyse
from desktop.widgets.waveform_view import Span, WaveformView
from desktop.workers.runner import Runner


def seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _cuts(_ctx, recordings, settings):
    out = {}
    for path, seconds in recordings:
        try:
            out[path] = segment_recording(path, settings, seconds)
        except Exception:  # noqa: BLE001 - a file that cannot be read shows no cuts; the import names it
            out[path] = []
    return out


def _picture(_ctx, path):
    return analyse(path)


class CutDialog(QDialog):
    """``recordings``: [(path, seconds)]. After exec(): ``choice`` is 'cut', 'whole' or None,
    ``settings()`` the SegmentSettings, ``cuts`` {path: [(start, end)]} as previewed."""

    def __init__(self, parent: QWidget | None, recordings, *, importing: bool, longer_than: float | None = None):
        super().__init__(parent)
        self.setObjectName("CutDialog")
        self.setWindowTitle("Cut recordings into samples")
        self.setMinimumSize(720, 520)
        self.recordings = [(os.fspath(p), float(s)) for p, s in recordings]
        self.longer_than = longer_than
        self.choice: str | None = None
        self.cuts: dict[str, list] = {}
        self._pictures: dict[str, object] = {}
        pool = QThreadPool(self)
        pool.setMaxThreadCount(1)  # one recording read at a time
        self._runner = Runner(self, pool)

        n = len(self.recordings)
        title = QLabel("Cut long recordings into samples" if n > 1 else f"Cut {os.path.basename(self.recordings[0][0])}")
        title.setProperty("role", "heading")
        total = sum(s for _p, s in self.recordings)
        self.intro = intro = QLabel(
            (f"{n} of the files are long recordings ({seconds_text(total)} in all). " if n > 1 and importing else
             f"This recording is {seconds_text(total)} long. " if n == 1 else "")
            + "A model learns from short clips: cut each recording into one sample per sound, or into windows of "
            "a fixed length. The cuts are shaded on the waveform." + (" A label the file has goes to every sample."
                                                                      if not importing else ""))
        intro.setWordWrap(True)
        intro.setProperty("role", "muted")

        self.files = QListWidget()
        self.files.setObjectName("CutFiles")
        for path, seconds in self.recordings:
            self.files.addItem(f"{os.path.basename(path)} · {seconds_text(seconds)}")
        self.files.setMaximumWidth(240)
        self.files.setVisible(n > 1)
        self.files.currentRowChanged.connect(lambda _row: self._show_current())
        self.preview = WaveformView()
        self.preview.setMinimumHeight(200)
        self.preview.set_message("Reading the recording…")
        self.preview_note = QLabel()
        self.preview_note.setProperty("role", "muted")
        self.preview_note.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addWidget(self.preview_note)
        body = QHBoxLayout()
        body.addWidget(self.files)
        body.addLayout(right, 1)

        self.activity = QRadioButton("One sample per sound heard")
        self.activity.setToolTip("Stretches louder than the recording's own background noise, with short pauses bridged")
        self.fixed = QRadioButton("Windows of a fixed length")
        self._method = QButtonGroup(self)
        self._method.addButton(self.activity)
        self._method.addButton(self.fixed)
        self.activity.setChecked(True)
        self.padding = self._spin(0.1, 0.0, 2.0, 0.05, " s before and after")
        self.length = self._spin(1.0, 0.1, 60.0, 0.1, " s long")
        self.hop = self._spin(1.0, 0.05, 60.0, 0.1, " s apart")
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.addWidget(self.activity, 0, 0)
        grid.addWidget(QLabel("keep"), 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.padding, 0, 2)
        grid.addWidget(self.fixed, 1, 0)
        grid.addWidget(self.length, 1, 2)
        grid.addWidget(self.hop, 1, 3)
        grid.setColumnStretch(4, 1)
        for w in (self.activity, self.fixed):
            w.toggled.connect(self._changed)
        for w in (self.padding, self.length, self.hop):
            w.valueChanged.connect(self._changed)

        self.summary = QLabel()
        self.summary.setObjectName("CutSummary")
        self.summary.setProperty("role", "strong")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.whole_button = None
        if importing:
            self.whole_button = self.buttons.addButton("Import whole", QDialogButtonBox.ButtonRole.ActionRole)
            self.whole_button.setToolTip("Each long recording becomes one sample, uncut")
            self.whole_button.clicked.connect(self._whole)
        self.cut_button: QPushButton = self.buttons.addButton("Cut", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cut_button.setProperty("primary", True)
        self.cut_button.setDefault(True)
        self.buttons.accepted.connect(self._cut)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 18)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(body, 1)
        layout.addLayout(grid)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)

        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self._compute)
        self._update_enabled()
        self.files.setCurrentRow(0)
        self._show_current()
        self._compute()

    def _spin(self, value, low, high, step, suffix) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setDecimals(2)
        spin.setValue(value)
        spin.setSuffix(suffix)
        return spin

    # ------------------------------------------------------------ settings and cuts

    def settings(self) -> SegmentSettings:
        if self.fixed.isChecked():
            return SegmentSettings(method="fixed", length=self.length.value(), hop=self.hop.value(),
                                   longer_than=self.longer_than)
        return SegmentSettings(method="activity", padding=self.padding.value(), longer_than=self.longer_than)

    def _update_enabled(self) -> None:
        fixed = self.fixed.isChecked()
        self.padding.setEnabled(not fixed)
        self.length.setEnabled(fixed)
        self.hop.setEnabled(fixed)

    def _changed(self, *_args) -> None:
        self._update_enabled()
        self._debounce.start()

    def _compute(self) -> None:
        self.cut_button.setEnabled(False)
        self.summary.setText("Working out the cuts…")
        # key: an older setting's cuts never arrive once a newer computation is asked for
        self._runner.submit(_cuts, self.recordings, self.settings(), key="cuts", doing="reading the recording",
                            on_result=self._cuts_ready)

    def _cuts_ready(self, cuts: dict) -> None:
        self.cuts = cuts
        count = sum(len(c) for c in cuts.values())
        files = len(self.recordings)
        where = f" from {files} recordings" if files > 1 else ""
        self.summary.setText(f"{count:,} samples{where}." if count else "No sound found to cut with these settings.")
        self.cut_button.setText(f"Cut into {count:,} samples" if count else "Cut")
        self.cut_button.setEnabled(count > 0)
        for row, (path, seconds) in enumerate(self.recordings):
            n = len(cuts.get(path, []))
            self.files.item(row).setText(f"{os.path.basename(path)} · {seconds_text(seconds)} · {n} cut{'s' * (n != 1)}")
        self._show_spans()

    def _show_current(self) -> None:
        row = max(self.files.currentRow(), 0)
        path = self.recordings[row][0]
        if path in self._pictures:
            self.preview.set_picture(self._pictures[path])
        else:
            self.preview.set_picture(None)
            self.preview.set_message("Reading the recording…")
            self._runner.submit(_picture, path, doing="reading the recording",
                                on_result=lambda picture, p=path: self._picture_ready(p, picture))
        self._show_spans()

    def _picture_ready(self, path: str, picture) -> None:
        self._pictures[path] = picture
        if self.recordings[max(self.files.currentRow(), 0)][0] == path:
            self.preview.set_picture(picture)
            self._show_spans()

    def _show_spans(self) -> None:
        path, seconds = self.recordings[max(self.files.currentRow(), 0)]
        spans = self.cuts.get(path, [])
        accent = theme.COLORS[theme.current_theme()]["accent"]
        self.preview.set_spans([Span(s, e, accent, current=False) for s, e in spans])
        picture = self._pictures.get(path)
        shown = f" (the first {seconds_text(picture.seconds)} are drawn)" if picture and picture.seconds < seconds - 0.5 else ""
        n = len(spans)
        self.preview_note.setText(f"{n} cut{'s' * (n != 1)} in {os.path.basename(path)}{shown}." if path in self.cuts else "")

    # ------------------------------------------------------------ ending

    def _cut(self) -> None:
        if self.cut_button.isEnabled():
            self.choice = "cut"
            self.accept()

    def _whole(self) -> None:
        self.choice = "whole"
        self.accept()

    def done(self, result: int) -> None:
        self._runner.cancel_all()  # late results are ignored
        self._runner.wait(10000)
        super().done(result)


def ask_cut_for_import(parent: QWidget | None, recordings):
    """The import flow's question: SegmentSettings to cut the long recordings (shorter files stay
    whole), None to import them whole, False to import nothing."""
    from core.audio.segment import LONG_RECORDING

    dialog = CutDialog(parent, recordings, importing=True, longer_than=LONG_RECORDING)
    dialog.exec()
    if dialog.choice == "cut":
        return dialog.settings()
    return None if dialog.choice == "whole" else False
