"""Play: drop files (or pick them) to see what the current model says, with confidence bars; long
audio shows every window's prediction over its waveform. Files dropped here are not imported."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox,
                               QVBoxLayout, QWidget)

from desktop.controllers.playground import predict_files, predict_texts
from desktop.controllers.runs_controller import RunsController
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.widgets.audio_player import NO_OUTPUT_SHORT, AudioPlayer, has_output
from desktop.widgets.background_note import BackgroundNote
from desktop.widgets.drop_zone import DropZone
from desktop.widgets.file_drop import AcceptsFileDrops
from desktop.widgets.prediction_card import PredictionCard
from desktop.widgets.run_picker import RunPicker
from desktop.widgets.section import page_header
from desktop.workers.runner import Runner

FILTERS = {"image": "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff)",
           "audio": "Audio (*.wav *.flac *.ogg *.mp3 *.aiff *.aif)",
           "text": "Texts (*.txt *.text)"}


class PlayPage(AcceptsFileDrops, QWidget):
    def __init__(self, session: ProjectSession, runs: RunsController, notifier: Notifier, edits=None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._session, self._runs, self._notifier, self._edits = session, runs, notifier, edits
        self._jobs = Runner(self)
        self.results = []
        self.cards: list[PredictionCard] = []
        self._current_card: PredictionCard | None = None
        self._playing_card: PredictionCard | None = None
        self.setAcceptDrops(True)
        self.player = AudioPlayer(self)
        self.player.playing_changed.connect(self._playing_changed)
        self.player.failed.connect(lambda text: self._notifier.post(text, "error"))
        space = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        space.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        space.activated.connect(self.play_current)

        title = QLabel("Play")
        title.setProperty("role", "title")
        self.subtitle = QLabel("Try the model on files it has never seen.")
        self.subtitle.setProperty("role", "muted")
        self.run_picker = RunPicker(runs)
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 20)
        self.top_k.setValue(3)
        self.top_k.setPrefix("Top ")
        self.pick_button = QPushButton("Choose files…")
        self.pick_button.setProperty("primary", True)
        self.pick_button.clicked.connect(self._pick)
        head = page_header(title, self.subtitle, self.run_picker, self.top_k, self.pick_button)

        self.background_note = BackgroundNote()
        self.background_note.add_button.clicked.connect(self._add_background)
        self.drop_zone = DropZone("Drop files here", _drop_hint(session.project.task if session.project else None))
        # text projects: type or paste a text (Enter predicts it)
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("Type or paste a text, then press Enter")
        self.text_edit.returnPressed.connect(self.predict_typed)
        self.text_button = QPushButton("Predict text")
        self.text_button.clicked.connect(self.predict_typed)
        self.text_row = QWidget()
        row = QHBoxLayout(self.text_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.text_edit, 1)
        row.addWidget(self.text_button)
        self.list_widget = QWidget()
        self.list_widget.setObjectName("PlayResults")
        self.list_layout = QVBoxLayout(self.list_widget)
        self.list_layout.setContentsMargins(0, 0, 8, 0)
        self.list_layout.setSpacing(10)
        self.list_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(self.list_widget)
        self.scroll.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 20)
        layout.setSpacing(14)
        layout.addLayout(head)
        layout.addWidget(self.background_note)
        layout.addWidget(self.text_row)
        layout.addWidget(self.drop_zone, 1)
        layout.addWidget(self.scroll, 1)
        session.opened.connect(lambda _p: self._clear())
        session.closed.connect(self._clear)
        session.opened.connect(lambda _p: self._update_background_note())
        session.opened.connect(lambda p: self.text_row.setVisible(p is not None and p.task == "text"))
        session.opened.connect(lambda p: self.drop_zone.set_text("Drop files here", _drop_hint(p.task if p else None)))
        session.closed.connect(lambda: self.text_row.setVisible(False))
        self.text_row.setVisible(session.project is not None and session.project.task == "text")
        session.changed.connect(self._update_background_note)
        session.closed.connect(self._update_background_note)
        self._update_background_note()

    # ------------------------------------------------------------ files in

    def _pick(self) -> None:
        project = self._session.project
        task = project.task if project else "image"
        paths, _ = QFileDialog.getOpenFileNames(self, "Files to predict", "", f"{FILTERS[task]};;All files (*)")
        if paths:
            self.predict(paths)

    def files_dropped(self, paths: list[str]) -> None:
        self.predict(paths)

    def predict(self, paths: list[str]) -> bool:
        project, run_id = self._session.project, self._runs.current
        if project is None or run_id is None:
            self._notifier.post("Train a model first: Play tries the current run on new files.", "info")
            return False
        if self._jobs.busy:
            return False
        self.pick_button.setEnabled(False)
        self._jobs.submit(predict_files, project, run_id, list(paths), self.top_k.value(), self._runs.spec,
                          on_progress=self.subtitle.setText, on_result=self._show, on_failed=self._notifier.error,
                          on_finished=lambda: self.pick_button.setEnabled(True), doing="predicting files")
        return True

    def predict_typed(self) -> bool:
        text = self.text_edit.text()
        project, run_id = self._session.project, self._runs.current
        if not text.strip() or project is None or run_id is None or self._jobs.busy:
            if run_id is None and project is not None:
                self._notifier.post("Train a model first: Play tries the current run on new texts.", "info")
            return False
        self.text_button.setEnabled(False)
        self._jobs.submit(predict_texts, project, run_id, [text], self.top_k.value(), self._runs.spec,
                          on_progress=self.subtitle.setText, on_result=lambda r: self._show(r, "texts"),
                          on_failed=self._notifier.error,
                          on_finished=lambda: self.text_button.setEnabled(True), doing="predicting a text")
        return True

    # ------------------------------------------------------------ results

    def _clear(self) -> None:
        self.player.stop()
        self.results = []
        self.cards = []
        self._current_card = self._playing_card = None
        while self.list_layout.count() > 1:
            item = self.list_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.scroll.hide()
        self.drop_zone.show()

    def _show(self, results, noun: str = "files") -> None:
        self._clear()
        self.results = list(results)
        info = self._runs.info(self._runs.current)
        labels = []
        if info is not None:
            from desktop.widgets.run_history import read_config

            labels = list(read_config(info.dir).get("class_names", []))
        for r in self.results:
            if not labels and r.prediction.top:
                labels = [name for name, _p in r.prediction.top]
            card = PredictionCard(r, labels)
            card.play_requested.connect(self.play_card)
            card.span_requested.connect(self.play_span)
            card.selected.connect(self._select_card)
            self.cards.append(card)
            self.list_layout.insertWidget(self.list_layout.count() - 1, card)
        if self.cards:
            self._select_card(self.cards[0])
        ok = sum(1 for r in self.results if not r.prediction.error)
        text = f"{ok} of {len(self.results)} {noun} predicted"
        if any(c.play_button is not None for c in self.cards) and self.player.available:
            text += " · Space plays the selected file" + ("" if has_output() else f" ({NO_OUTPUT_SHORT})")
        self.subtitle.setText(text)
        self.drop_zone.setVisible(not self.results)
        self.scroll.setVisible(bool(self.results))

    # ------------------------------------------------------------ sound

    def _select_card(self, card) -> None:
        if self._current_card is not None and self._current_card is not card:
            self._current_card.set_current(False)
        self._current_card = card
        card.set_current(True)

    def play_current(self) -> None:
        if self._current_card is not None:
            self.play_card(self._current_card)

    def play_card(self, card) -> None:
        """Play (or stop) a card's file; another card playing stops first."""
        if card.play_button is None:
            return
        self._select_card(card)
        if self.player.is_playing() and self._playing_card is card:
            self.player.stop()
            return
        if self._playing_card is not None:
            self._playing_card.set_playing(False)
        self._playing_card = card
        self.player.play(card.path)

    def play_span(self, card, start: float, end: float) -> None:
        """An event of a long recording: a clip of just its span (the file is not in the project)."""
        from core.audio.clips import clip_name, write_clip
        from core.media import MediaError

        project = self._session.project
        if project is None:
            return
        clip = project.cache_dir / "play" / "clips" / clip_name(card.path, start, end)
        try:
            if not clip.exists():
                write_clip(card.path, start, end, clip)
        except (MediaError, OSError) as exc:
            self._notifier.post(f"Cannot play {card.path}: {exc}.", "error")
            return
        self._select_card(card)
        if self._playing_card is not None and self._playing_card is not card:
            self._playing_card.set_playing(False)
        self._playing_card = card
        self.player.play(clip, offset=start)

    # ------------------------------------------------------------ a background class

    def _update_background_note(self) -> None:
        from core.audio.quiet import has_quiet_class

        project = self._session.project
        try:
            show = project is not None and project.task == "audio" and not project.read_only and \
                not has_quiet_class(project.class_names())
        except Exception:  # noqa: BLE001 - the project closed under us
            show = False
        self.background_note.setVisible(bool(show and self._edits is not None))

    def _add_background(self) -> None:
        if self._edits is not None:
            self._edits.add_background(self)
            self._update_background_note()

    def _playing_changed(self, on: bool) -> None:
        if self._playing_card is not None:
            self._playing_card.set_playing(on)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.player.stop()


def _drop_hint(task: str | None) -> str:
    """What the empty Play page takes, in the project's terms."""
    what = {"image": "Pictures", "audio": "Recordings", "text": "Text files (or type a text above)"}.get(task, "Files")
    return f"{what}: they are predicted, not imported. Files dropped later replace them."
