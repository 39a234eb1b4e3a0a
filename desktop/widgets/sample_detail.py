"""The current sample, large: an image (fit, zoom) or, for audio, waveform and spectrogram with
play and stop. Files are decoded in the background; the thumbnail stands in meanwhile.

A segment of a long recording shows the whole recording with every segment cut from it marked
(WaveformView spans, coloured by label, the current one highlighted); the recording is read once
and kept while the person moves between its segments."""

from __future__ import annotations

import os

from PySide6.QtCore import QThreadPool, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from core.audio.segment import LONG_RECORDING
from core.errors import MediaError, TransferLabError
from core.media import decode_image
from core.text.decode import read_text_file
from desktop import theme
from desktop.thumbnails.audio_view import analyse
from desktop.thumbnails.loader import ThumbnailLoader, to_qimage
from desktop.widgets.audio_player import NO_MULTIMEDIA, NO_OUTPUT, AudioPlayer, has_output
from desktop.widgets.image_viewer import ImageViewer
from desktop.widgets.waveform_view import Span, WaveformView
from desktop.workers.errors import UserError
from desktop.workers.runner import Runner

SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}


TEXT_SHOWN = 200_000  # characters of a text shown whole; the model reads far fewer (256 tokens)


def _load(_ctx, kind, path, name=""):
    try:
        if kind == "image":
            return to_qimage(decode_image(path))
        if kind == "text":
            text = read_text_file(path)
            return text if len(text) <= TEXT_SHOWN else text[:TEXT_SHOWN] + "\n…"
        return analyse(path)
    except MediaError as exc:  # a file damaged or replaced in the project: a sentence, not a bug report
        raise TransferLabError(f"{name or os.path.basename(path)} cannot be shown: {exc}.") from None


def describe(sample) -> str:
    bits = []
    if sample.kind == "image" and sample.width:
        bits.append(f"{sample.width} × {sample.height}")
    if sample.kind == "text":
        bits.append("text")
    if sample.kind == "audio" and sample.duration is not None:
        bits.append(f"{sample.duration:.1f} s")
        if sample.sample_rate:
            bits.append(f"{sample.sample_rate / 1000:g} kHz")
    if sample.size_bytes:
        size = sample.size_bytes
        if size < 1024:  # a short text is a few dozen bytes, not "0 KB"
            bits.append(f"{size} bytes")
        else:
            bits.append(f"{size / 1024:.0f} KB" if size < 1 << 20 else f"{size / (1 << 20):.1f} MB")
    bits.append(f"{SPLIT_NAMES[sample.split]} set" if sample.split else "no split yet")
    return " · ".join(bits)


class SampleDetail(QWidget):
    cut_requested = Signal(object)  # the Sample: "Cut into samples…" pressed on a long recording

    def __init__(self, session, loader: ThumbnailLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SampleDetail")
        self._session = session
        self._loader = loader
        pool = QThreadPool(self)
        pool.setMaxThreadCount(1)  # one decode at a time, beside the engine's work, never behind it
        self._runner = Runner(self, pool)
        self._recording = None  # (path, AudioPicture) of the last audio file read
        self.sample = None
        self._label_set = None  # (name, {class: colour}, label_of(sample id)) of an extra label set shown

        self.name_label = QLabel()
        self.name_label.setProperty("role", "strong")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label = QLabel()
        self.meta_label.setProperty("role", "muted")
        self.meta_label.setWordWrap(True)
        self.label_chip = QLabel()
        self.label_chip.setObjectName("LabelChip")
        head = QHBoxLayout()
        head.setSpacing(10)
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(self.name_label)
        names.addWidget(self.meta_label)
        head.addLayout(names, 1)
        head.addWidget(self.label_chip, 0, Qt.AlignmentFlag.AlignTop)

        self.image_view = ImageViewer()
        self.wave_view = WaveformView()
        self.empty = QLabel("Select a sample to see it here.")
        self.empty.setProperty("role", "muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_view = QPlainTextEdit()  # a text sample, whole (selectable, not editable)
        self.text_view.setReadOnly(True)
        self.stack = QStackedWidget()
        for w in (self.empty, self.image_view, self.wave_view, self.text_view):
            self.stack.addWidget(w)

        self.player = AudioPlayer(self)
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play or stop (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.player.playing_changed.connect(self._playing_changed)
        self.player.position_changed.connect(self.wave_view.set_position)
        self.player.failed.connect(self._play_failed)
        self.player.status_changed.connect(lambda _s: self._update_sound_note())
        self.cut_button = QPushButton("Cut into samples…")
        self.cut_button.setToolTip("Cut this long recording into one sample per sound, or into windows")
        self.cut_button.clicked.connect(lambda: self.cut_requested.emit(self.sample))
        self.fit_button = QPushButton("Fit")
        self.fit_button.clicked.connect(self.image_view.fit)
        self.actual_button = QPushButton("100 %")
        self.actual_button.clicked.connect(lambda: self.image_view.set_zoom(1.0))
        self.zoom_label = QLabel()
        self.zoom_label.setProperty("role", "muted")
        self.image_view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        tools = QHBoxLayout()
        tools.setSpacing(6)
        tools.addWidget(self.play_button)
        tools.addWidget(self.cut_button)
        tools.addWidget(self.fit_button)
        tools.addWidget(self.actual_button)
        tools.addWidget(self.zoom_label)
        tools.addStretch(1)
        # Said only where nothing can be heard: no QtMultimedia, no sound output, or a file that fails.
        self.no_playback = QLabel()
        self.no_playback.setProperty("role", "muted")
        self.no_playback.setWordWrap(True)
        self._play_error = ""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)
        layout.addLayout(tools)
        layout.addWidget(self.no_playback)
        self.show_sample(None)

    # ------------------------------------------------------------ showing

    def show_sample(self, sample) -> None:
        if sample is not None and self.sample is not None and (sample.id, sample.hash) == (self.sample.id, self.sample.hash):
            self.sample = sample  # same file, new label: no need to decode again
            self._show_text(sample)
            self.refresh_spans()
            return
        self.player.stop()
        self.sample = sample
        self._runner.cancel("load")  # the file shown before is no longer wanted
        self._play_error = ""
        audio = sample is not None and sample.kind == "audio"
        image = sample is not None and sample.kind == "image"
        self.play_button.setVisible(audio and self.player.available)
        self.cut_button.setVisible(audio and not sample.is_segment and (sample.duration or 0) > LONG_RECORDING
                                   and self._session.project is not None and not self._session.project.read_only)
        self._update_sound_note()
        self.fit_button.setVisible(image)
        self.actual_button.setVisible(image)
        self.zoom_label.setVisible(image)
        self.image_view.setToolTip("Scroll to zoom, drag to move, double-click for 100 %" if image else "")
        if sample is None:
            self.name_label.setText("")
            self.meta_label.setText("")
            self.label_chip.hide()
            self.stack.setCurrentWidget(self.empty)
            return
        self._show_text(sample)
        if sample.status != "ok":
            self.stack.setCurrentWidget(self.image_view)
            self.image_view.set_image(None)
            self.image_view.set_message(f"This file cannot be read: {sample.status_reason or 'unknown reason'}.")
            return
        if sample.kind == "text":
            self.stack.setCurrentWidget(self.text_view)
            self.text_view.setPlainText("Loading…")
        elif image:
            self.stack.setCurrentWidget(self.image_view)
            preview = self._loader.cached(sample.hash)
            self.image_view.set_image(preview if preview is not None and not preview.isNull() else None)
            self.image_view.set_message("Loading…")
        else:
            self.stack.setCurrentWidget(self.wave_view)
            self.refresh_spans()
            path = self._session.project.path_of(sample) if self._session.project is not None else None
            if self._recording is not None and path is not None and self._recording[0] == path:
                self.wave_view.set_picture(self._recording[1])  # another segment of the same recording
                return
            self.wave_view.set_picture(None)
            self.wave_view.set_message("Loading…")
        self._start_load(sample)

    def set_label_set(self, name: str | None, colors: dict[str, str] | None = None, label_of=None) -> None:
        """Show labels of the extra label set ``name`` (the sample's ``label`` is already that set's;
        ``label_of(sample_id)`` gives other segments' labels), or with None the main set's."""
        self._label_set = (name, dict(colors or {}), label_of) if name else None
        if self.sample is not None:
            self._show_text(self.sample)
            self.refresh_spans()

    def _show_text(self, sample) -> None:
        self.name_label.setText(sample.display_name)
        self.name_label.setToolTip(sample.original_path or sample.media_path)
        self.meta_label.setText(describe(sample))
        name = theme.current_theme()
        color = QColor(self._class_color(sample.label) or theme.COLORS[name]["muted"])
        text = sample.label or "Unlabelled"
        if self._label_set is not None:
            where = self._label_set[0]
            text = f"{where}: {sample.label}" if sample.label else f"Unlabelled in {where}"
        self.label_chip.setText(f"<span style='color:{color.name()}'>●</span>&nbsp; {text}")
        self.label_chip.show()

    def refresh_spans(self) -> None:
        """Mark the segments of the current sample's recording (none for a whole file)."""
        sample, project = self.sample, self._session.project
        if sample is None or project is None or sample.kind != "audio" or not sample.is_segment:
            self.wave_view.set_spans([])
            return
        try:
            segments = project.segments_of(sample.source_hash)
            colors = {c.name: c.color for c in project.classes()}
        except Exception:  # noqa: BLE001 - the project closed under us: no marks, nothing else lost
            segments, colors = [], {}
        label_of = lambda s: s.label  # noqa: E731
        if self._label_set is not None:
            _, colors, in_set = self._label_set
            label_of = lambda s: in_set(s.id)  # noqa: E731
        self.wave_view.set_spans([
            Span(s.start or 0.0, s.end or 0.0, colors.get(label_of(s)) if label_of(s) else None, s.id == sample.id, s.id)
            for s in segments])
        number = next((k for k, s in enumerate(segments, 1) if s.id == sample.id), None)
        if number is not None:
            self.meta_label.setText(f"segment {number} of {len(segments)} of its recording · {describe(sample)}")

    def _class_color(self, label):
        project = self._session.project
        if not label or project is None:
            return None
        if self._label_set is not None:
            return self._label_set[1].get(label)
        return next((c.color for c in project.classes() if c.name == label), None)

    def _start_load(self, sample) -> None:
        """One decode at a time (a pool of one thread); a newer request cancels the one waiting, so
        holding an arrow key down never queues a decode for every sample passed (one is decoding,
        the newest waits, the rest are skipped)."""
        project = self._session.project
        if project is None:
            return
        self._runner.submit(_load, sample.kind, project.path_of(sample), sample.display_name, key="load",
                            doing=f"opening {sample.display_name}", on_result=self._loaded, on_failed=self._failed)

    def _loaded(self, value) -> None:
        if self.sample.kind == "image":
            self.image_view.set_image(value, keep_view=True)
        elif self.sample.kind == "text":
            self.text_view.setPlainText(value)
        else:
            project = self._session.project
            if project is not None:
                self._recording = (project.path_of(self.sample), value)
            self.wave_view.set_picture(value)

    def _failed(self, error: UserError) -> None:
        if self.sample.kind == "text":
            self.text_view.setPlainText(f"This file cannot be read: {error.message}")
            return
        view = self.image_view if self.sample.kind == "image" else self.wave_view
        if view is self.image_view:
            self.image_view.set_image(None)
        else:
            self.wave_view.set_picture(None)
        view.set_message(error.message)

    # ------------------------------------------------------------ audio

    def toggle_play(self) -> None:
        project = self._session.project
        if self.sample is None or self.sample.kind != "audio" or project is None or not self.player.available:
            return
        self._play_error = ""
        self.player.toggle_sample(project, self.sample)
        self._update_sound_note()

    def _playing_changed(self, on: bool) -> None:
        self.play_button.setText("Stop" if on else "Play")
        if not on:
            self.wave_view.set_position(None)

    def _play_failed(self, text: str) -> None:
        self._play_error = text
        self._update_sound_note()

    def _update_sound_note(self) -> None:
        audio = self.sample is not None and self.sample.kind == "audio"
        text = self._play_error or (NO_MULTIMEDIA if not self.player.available else "" if has_output() else NO_OUTPUT)
        self.no_playback.setProperty("role", "error" if self._play_error else "muted")
        self.no_playback.style().polish(self.no_playback)
        self.no_playback.setText(text)
        self.no_playback.setVisible(audio and bool(text))

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.player.stop()  # a page left behind falls silent

    def shutdown(self) -> None:
        self.player.stop()
        self._runner.cancel_all()
        self._runner.wait(5000)
