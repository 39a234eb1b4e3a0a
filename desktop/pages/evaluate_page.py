"""Evaluate: how good the current run is, where it is wrong, and one key press to fix a wrong label.

The run is evaluated in the background when the page is first shown (core's evaluate_run on the
held-out samples); the confusion matrix filters the gallery by cell, and number keys in the gallery
relabel a sample at once (saved, undoable; the model is then marked stale).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.controllers.evaluation import EvaluationView, evaluate
from desktop.controllers.label_controller import LabelController
from desktop.controllers.runs_controller import RunsController
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.thumbnails.loader import ThumbnailLoader
from desktop.widgets.audio_player import NO_OUTPUT_SHORT, AudioPlayer, has_output
from desktop.widgets.confusion_view import ConfusionView
from desktop.widgets.run_picker import RunPicker
from desktop.widgets.sample_gallery import SampleGallery
from desktop.widgets.section import card, page_header
from desktop.widgets.stat_card import StatCard
from desktop.workers.runner import Runner

def short_name(name: str, limit: int = 22) -> str:
    """A file name that fits under a thumbnail: the middle gives way, the start and extension stay."""
    return name if len(name) <= limit else name[: limit - 9] + "…" + name[-8:]


def opening_lines(text: str, lines: int = 2, width: int = 90) -> str:
    """A text's first ``lines`` lines of at most ``width`` characters (its line breaks kept, long lines
    cut), with "…" where more follows: enough to tell one text from another in a list."""
    out = []
    for line in text.strip().splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        out.append(line if len(line) <= width else line[: width - 1].rstrip() + "…")
        if len(out) == lines:
            break
    rest = len(text.strip().splitlines()) > lines
    if out and rest and not out[-1].endswith("…"):
        out[-1] += " …"
    return "\n".join(out)


def tooltip_text(text: str, limit: int = 1200) -> str:
    """A text as a tooltip shows it: wrapped (rich text wraps, plain text does not), at most ``limit``
    characters."""
    from html import escape

    cut = text if len(text) <= limit else text[:limit].rstrip() + " …"
    return "<p style='white-space:pre-wrap'>" + escape(cut) + "</p>"


STALE = "Labels changed since this run was trained: its numbers describe the old labels. Train again to use them."


class EvaluatePage(QWidget):
    open_sample = Signal(int)  # the person asked to see this sample on the Label page

    def __init__(self, session: ProjectSession, runs: RunsController, labels: LabelController,
                 thumbnails: ThumbnailLoader, notifier: Notifier, parent: QWidget | None = None):
        super().__init__(parent)
        self._session, self._runs, self._labels, self._notifier = session, runs, labels, notifier
        self._jobs = Runner(self)
        self.view: EvaluationView | None = None
        self._evaluated_run = None
        self._again = False  # evaluate once more when the running evaluation ends (the run changed)

        title = QLabel("Evaluate")
        title.setProperty("role", "title")
        self.subtitle = QLabel("Train a model first: its results show here.")
        self.subtitle.setProperty("role", "muted")
        self.run_picker = RunPicker(runs)
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.setProperty("primary", True)
        self.evaluate_button.clicked.connect(self.evaluate)
        head = page_header(title, self.subtitle, self.run_picker, self.evaluate_button)
        self.stale_note = QLabel(STALE)
        self.stale_note.setObjectName("StaleNote")
        self.stale_note.setProperty("role", "note")
        self.stale_note.setWordWrap(True)
        self.stale_note.setVisible(runs.stale)

        self.stats = {key: StatCard(caption) for key, caption in (
            ("accuracy", "Accuracy"), ("balanced", "Balanced accuracy"), ("loss", "Loss"), ("ece", "Calibration error"))}
        stats = QHBoxLayout()
        stats.setSpacing(12)
        for c in self.stats.values():
            stats.addWidget(c)
        # multi-task runs: how the model does on each extra label set
        self.sets_note = QLabel()
        self.sets_note.setObjectName("LabelSetsNote")
        self.sets_note.setProperty("role", "muted")
        self.sets_note.setWordWrap(True)
        self.sets_note.setVisible(False)

        self.confusion = ConfusionView()
        self.confusion.cell_clicked.connect(self.show_cell)
        self.per_class = QTableWidget(0, 4)
        self.per_class.setObjectName("PerClassTable")
        self.per_class.setHorizontalHeaderLabels(["Precision", "Recall", "F1", "Samples"])
        self.per_class.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.per_class.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.per_class.setAlternatingRowColors(True)
        matrix_hint = QLabel("Rows: true class · columns: predicted. Click a cell to see its samples.")
        matrix_hint.setProperty("role", "muted")
        matrix_hint.setWordWrap(True)
        left = QVBoxLayout()
        left.setSpacing(12)
        left.addWidget(card(self.confusion, matrix_hint, title="Confusion matrix"), 3)
        left.addWidget(card(self.per_class, title="Per class"), 2)

        self.gallery = SampleGallery(thumbnails)
        self.gallery.relabel.connect(self.relabel)
        self.gallery.play_requested.connect(self.play)
        self.gallery.open_requested.connect(self.open_sample)
        self.player = AudioPlayer(self)
        self.player.failed.connect(lambda text: self._notifier.post(text, "error"))
        self.gallery_title = QLabel("Mistakes, worst first")
        self.gallery_title.setProperty("role", "section")
        self.all_button = QPushButton("Show all mistakes")
        self.all_button.setProperty("flat", True)
        self.all_button.clicked.connect(self.show_mistakes)
        # text projects: the selected text in full (the list shows each one's opening lines)
        self.text_preview = QPlainTextEdit()
        self.text_preview.setObjectName("MistakeText")
        self.text_preview.setReadOnly(True)
        self.text_preview.setPlaceholderText("Select a text to read it whole.")
        self.text_preview.setMaximumHeight(150)
        self.text_preview.setVisible(False)
        self.gallery.currentItemChanged.connect(lambda *_: self._show_text())
        self.keys_hint = QLabel()
        self.keys_hint.setProperty("role", "muted")
        self.keys_hint.setWordWrap(True)
        gallery_head = QHBoxLayout()
        gallery_head.addWidget(self.gallery_title, 1)
        gallery_head.addWidget(self.all_button)
        gallery_card = card(self.gallery, self.text_preview, self.keys_hint)
        gallery_card.layout().insertLayout(0, gallery_head)
        body = QHBoxLayout()
        body.setSpacing(16)
        body.addLayout(left, 5)
        body.addWidget(gallery_card, 6)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 20)
        layout.setSpacing(14)
        layout.addLayout(head)
        layout.addWidget(self.stale_note)
        layout.addLayout(stats)
        layout.addWidget(self.sets_note)
        layout.addLayout(body, 1)

        runs.current_changed.connect(self._run_changed)
        runs.stale_changed.connect(self.stale_note.setVisible)
        labels.classes_changed.connect(self._update_keys_hint)
        session.opened.connect(lambda _p: self._clear())
        session.closed.connect(self._clear)
        self._clear()

    # ------------------------------------------------------------ evaluating

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._runs.current and self._evaluated_run != self._runs.current:
            self.evaluate()

    def _run_changed(self, run_id) -> None:
        """Another run: its numbers replace the old ones at once (blank until evaluated), never later."""
        if self.view is not None and self.view.run.run_id != run_id:
            self._clear()
            if run_id is not None:
                self.subtitle.setText(f"Run {run_id} is evaluated when this page is shown.")
        if self.isVisible() and run_id:
            self.evaluate()

    def evaluate(self) -> None:
        project, run_id = self._session.project, self._runs.current
        if project is None or run_id is None:
            return
        if self._jobs.busy:
            self._again = True  # the running evaluation is of another run: this one follows it
            return
        self._again = False
        self.evaluate_button.setEnabled(False)
        self.subtitle.setText(f"Evaluating run {run_id}…")
        self._jobs.submit(evaluate, project, run_id, self._runs.spec, on_result=self._show,
                          on_failed=self._failed, on_finished=self._evaluated, doing="evaluating the model")

    def _evaluated(self) -> None:
        self.evaluate_button.setEnabled(True)
        if getattr(self, "_again", False) and self.isVisible():
            self.evaluate()

    def _failed(self, error) -> None:
        self.subtitle.setText("The evaluation did not finish.")
        self._notifier.error(error)

    def _clear(self) -> None:
        self.view = None
        self._evaluated_run = None
        self.confusion.set_matrix([], [])
        self.per_class.setRowCount(0)
        self.gallery.set_samples([])
        texts = self._session.project is not None and self._session.project.task == "text"
        self.gallery.set_text_mode(texts)
        self.text_preview.setVisible(texts)
        self.text_preview.clear()
        for c in self.stats.values():
            c.set_value("–")
        self.sets_note.setVisible(False)
        self.subtitle.setText("Train a model first: its results show here.")
        self._update_keys_hint()

    def _show(self, view: EvaluationView) -> None:
        if view.run.run_id != self._runs.current:
            self._again = True  # finished after another run was chosen: not shown, that run is next
            return
        self.view = view
        self._evaluated_run = view.run.run_id
        ev = view.run.evaluation
        split = view.run.split_name
        held = (f" · {view.run.cross_validated:,} the model learnt from, each predicted by "
                f"{view.run.held_out_words}" if view.run.cross_validated else "")
        if view.run.left_out:
            held += f" · {view.run.left_out_brief}"
        self.subtitle.setText(f"Run {view.run.run_id} on {ev.count:,} {split} samples{held}")
        self.stats["accuracy"].set_value(f"{100 * ev.accuracy:.1f}%")
        self.stats["balanced"].set_value(f"{100 * ev.balanced_accuracy:.1f}%")
        self.stats["loss"].set_value(f"{ev.loss:.3f}")
        self.stats["ece"].set_value(f"{100 * ev.ece:.1f}%")
        sets = view.run.label_sets
        self.sets_note.setText(
            "The figures are for the label set '" + (view.main_label_set or "class") + "'. This model also answers for: "
            + " · ".join(f"{name}: {100 * e.accuracy:.1f}% accuracy ({100 * e.balanced_accuracy:.1f}% balanced) on "
                         f"{e.count:,} samples" for name, e in sets.items()) + "." if sets else "")
        self.sets_note.setVisible(bool(sets))
        self.confusion.set_matrix(ev.classes, ev.confusion)
        self.per_class.setRowCount(len(ev.per_class))
        self.per_class.setVerticalHeaderLabels([m.name for m in ev.per_class])
        for row, m in enumerate(ev.per_class):
            for col, text in enumerate((f"{m.precision:.2f}", f"{m.recall:.2f}", f"{m.f1:.2f}", f"{m.support:,}")):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.per_class.setItem(row, col, item)
        self.show_mistakes()

    # ------------------------------------------------------------ the gallery

    def show_mistakes(self) -> None:
        if self.view is None:
            return
        run = self.view.run
        entries = []
        for m in run.evaluation.mistakes:
            sid = run.sample_ids[m.index]
            sample = self.view.samples.get(sid)
            if sample is not None:
                entries.append((sample, self._caption(sid), self._tip(sid, f"{sample.original_path or sample.display_name}\n"
                                f"loss {m.loss:.2f} · double-click to open it on the Label page")))
        self.gallery_title.setText(f"Mistakes, worst first ({len(entries)})" if entries else "No mistakes")
        self.all_button.setVisible(False)
        self.gallery.set_samples(entries)

    def show_cell(self, true: str, predicted: str) -> None:
        if self.view is None:
            return
        ids = self.view.cell(true, predicted)
        entries = [(self.view.samples[i], self._caption(i), self._tip(i, self.view.samples[i].original_path or
                    self.view.samples[i].display_name)) for i in ids]
        what = "correct" if true == predicted else f"predicted '{predicted}'"
        self.gallery_title.setText(f"'{true}', {what} ({len(ids)})")
        self.all_button.setVisible(True)
        self.gallery.set_samples(entries)

    def _caption(self, sid: int) -> str:
        """The file's name over what the model said: a mistake is found by its name, not a tooltip."""
        name, confidence = self.view.predicted.get(sid, ("?", 0.0))
        truth = self.view.truth.get(sid)
        said = f"{name} · {100 * confidence:.0f}%" if truth == name else f"{truth} → {name} · {100 * confidence:.0f}%"
        text = self._text(sid)
        if text is not None:  # a text: what the model said, then the text's opening lines
            return f"{said}\n{opening_lines(text)}"
        return f"{short_name(self.view.samples[sid].display_name)}\n{said}"

    def _tip(self, sid: int, plain: str) -> str:
        """The tooltip: for a text its words (wrapped), then where it comes from."""
        text = self._text(sid)
        if text is None:
            return plain
        from html import escape

        return tooltip_text(text) + "<p style='color:gray'>" + escape(plain).replace("\n", "<br>") + "</p>"

    def _text(self, sid: int | None) -> str | None:
        """The words of a text sample of the evaluation (read as it is first shown), else None."""
        return None if self.view is None or sid is None else self.view.text(self._session.project, sid)

    def _show_text(self) -> None:
        text = self._text(self.gallery.current_id())
        if text is None:
            self.text_preview.clear()
            return
        self.text_preview.setPlainText(text)

    def relabel(self, sample_id: int, key: int) -> None:
        info = self._labels.class_for_key(key)
        if info is None:
            self._notifier.post(f"No class has the key {key}.", "info")
            return
        if self._labels.label([sample_id], info.name) and self.view is not None:
            self.view.truth[sample_id] = info.name
            text = self._text(sample_id)
            if text is not None:
                self.gallery.set_caption(sample_id, f"now '{info.name}' ✓\n{opening_lines(text)}")
            else:
                name = short_name(self.view.samples[sample_id].display_name) if sample_id in self.view.samples else ""
                self.gallery.set_caption(sample_id, f"{name}\nnow '{info.name}' ✓")

    def play(self, sample_id: int) -> None:
        """Space in the gallery: play (or stop) an audio sample, only its span for a segment."""
        sample = self.view.samples.get(sample_id) if self.view is not None else None
        if sample is not None and sample.kind == "audio":
            self.player.toggle_sample(self._session.project, sample)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.player.stop()

    def _update_keys_hint(self) -> None:
        keys = "  ·  ".join(f"{c.shortcut} {c.name}" for c in self._labels.classes() if c.shortcut)
        bits = [f"Relabel the selected sample with a key: {keys}"] if keys else []
        project = self._session.project
        if project is not None and project.task == "audio" and self.player.available:
            bits.append("Space plays it" + ("" if has_output() else f" ({NO_OUTPUT_SHORT})"))
        bits.append("double-click opens it on the Label page")
        self.keys_hint.setText("  ·  ".join(bits) if keys or project is not None else "")
