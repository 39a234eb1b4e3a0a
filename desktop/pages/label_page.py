"""Label: keyboard-first labelling of one sample (or a selection) at a time.

1-9 label with the class shown next to that key and move on to the next unlabelled sample; 0 or
Backspace clears; arrows and Page keys move; Space plays audio; Ctrl+Z / Ctrl+Shift+Z undo and
redo (the window's Edit menu). Unlabelled samples show a suggestion, from the trained model or,
before there is one, from the quick model (prototypes of the labelled samples, updated after every
label): Enter accepts it, "Accept all at or above" takes every confident one at once, and "Most
uncertain first" puts the samples the model is least sure about first. Every edit is saved at once;
the page remembers, per project, the sample it was on, and goes back there when the project is
opened again.

Multi-task: with extra label sets the header's "Label set" picker chooses the set the page works
in. In an extra set the class list, the number keys, the strip and "next unlabelled" are that
set's, and undo knows which set an edit was in; suggestions are the main set's and wait meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.controllers.label_controller import LabelController
from desktop.notifier import Notifier
from desktop.pages.label_keys import KEYS_HINT, LabelKeys
from desktop.pages.label_suggestions import LabelSuggestions
from desktop.qtmodels.sample_grid import SampleGridModel
from desktop.qtmodels.sample_query import UNLABELLED_FILTER, SampleFilter, unlabelled_after
from desktop.session import ProjectSession
from desktop.settings import AppSettings
from desktop.thumbnails.loader import ThumbnailLoader
from core.errors import TransferLabError
from desktop.widgets.classes_panel import ClassesPanel
from desktop.widgets.label_set_bar import LabelSetBar
from desktop.widgets.sample_actions import SampleActions
from desktop.widgets.sample_detail import SampleDetail
from desktop.widgets.sample_grid_view import SampleGridView
from desktop.widgets.section import card, page_header
from desktop.widgets.suggestion_bar import SuggestionBar

class LabelPage(LabelKeys, LabelSuggestions, QWidget):
    def __init__(self, session: ProjectSession, labels: LabelController, settings: AppSettings,
                 thumbnails: ThumbnailLoader, notifier: Notifier, suggestions=None, edits=None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._session = session
        self._suggestions = suggestions  # a SuggestionController, or None (no model-assisted labelling)
        self._labels = labels
        self._settings = settings
        self._notifier = notifier

        title = QLabel("Label")
        title.setProperty("role", "title")
        self.progress_label = QLabel()
        self.progress_label.setProperty("role", "muted")
        self.show_combo = QComboBox()
        self.show_combo.setMinimumContentsLength(14)
        self.show_combo.currentIndexChanged.connect(lambda _i: self._show_changed())
        self.sort_combo = QComboBox()
        self.sort_combo.addItem("Import order", "import")
        self.sort_combo.addItem("Most uncertain first", "uncertain")
        self.sort_combo.setToolTip("Most uncertain first: unlabelled samples the model is least sure about come "
                                   "first, so your labels teach it the most")
        self.sort_combo.currentIndexChanged.connect(lambda _i: self._sort_changed())
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(labels.undo_stack.undo)
        self.redo_button = QPushButton("Redo")
        self.redo_button.clicked.connect(labels.undo_stack.redo)
        labels.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        labels.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        labels.undo_stack.undoTextChanged.connect(lambda t: self.undo_button.setToolTip(f"Undo {t} (Ctrl+Z)" if t else ""))
        labels.undo_stack.redoTextChanged.connect(lambda t: self.redo_button.setToolTip(f"Redo {t} (Ctrl+Shift+Z)" if t else ""))
        for button in (self.undo_button, self.redo_button):
            button.setEnabled(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.set_bar = LabelSetBar(labels)
        head = page_header(title, self.progress_label, self.set_bar,
                           self.show_combo, self.sort_combo, self.undo_button, self.redo_button)

        self.classes = ClassesPanel(labels)
        self.classes.setFixedWidth(272)
        self.classes.label_requested.connect(self.label_selection)
        self.model = SampleGridModel(thumbnails, self)
        self.strip = SampleGridView(self.model, strip=True, thumb=88)
        self.strip.setObjectName("LabelStrip")
        self.strip.selectionModel().currentChanged.connect(lambda cur, _prev: self._current_changed(cur.row()))
        self.detail = SampleDetail(session, thumbnails)
        self.keys_label = QLabel(KEYS_HINT)
        self._can_play = self.detail.player.available
        self.keys_label.setProperty("role", "muted")
        self.keys_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.keys_label.setWordWrap(True)  # never cut off in a narrow window
        self.empty = QLabel("Nothing to label yet: import images or audio on the Data page.")
        self.empty.setProperty("role", "muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        detail_card = card(self.detail, self.empty, margins=(16, 14, 16, 14))
        right = QVBoxLayout()
        right.setSpacing(10)
        right.addWidget(detail_card, 1)
        self.suggestion_bar = SuggestionBar()
        self.suggestion_bar.accept_all_requested.connect(self.accept_all)
        right.addWidget(self.suggestion_bar)
        self.sets_note = QLabel()  # in an extra label set: why there are no suggestions
        self.sets_note.setProperty("role", "muted")
        self.sets_note.hide()
        right.addWidget(self.sets_note)
        right.addWidget(self.strip)
        right.addWidget(self.keys_label)
        body = QHBoxLayout()
        body.setSpacing(16)
        body.addWidget(self.classes)
        body.addLayout(right, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 20)
        layout.setSpacing(14)
        layout.addLayout(head)
        layout.addLayout(body, 1)

        self._stale = False
        self._add_shortcuts()
        self.actions = None
        if edits is not None:
            self.actions = SampleActions(self, self.strip, edits, selected=self.selected_samples,
                                         play=self.detail.toggle_play, cut=lambda sample: edits.cut(sample, self),
                                         show_after=self._place,
                                         next_after=self.model.id_after_removing)
            self.detail.cut_requested.connect(lambda sample: edits.cut(sample, self))
            edits.restored.connect(lambda ids: self._place(ids[0]) if ids and not self._stale else None)
        self._counts_timer = QTimer(self, singleShot=True, interval=150)
        self._counts_timer.timeout.connect(self._refresh_counts)
        session.opened.connect(self._project_opened)
        session.closed.connect(self._project_opened)
        session.changed.connect(self._changed)
        labels.labels_changed.connect(self._labels_changed)
        labels.set_labels_changed.connect(lambda name, changed: self._labels_changed(changed, name))
        labels.classes_changed.connect(self._classes_changed)
        labels.undone.connect(self._go_to_undone)
        labels.redone.connect(self._go_to_redone)
        labels.active_set_changed.connect(lambda _name: self._active_set_changed())
        if suggestions is not None:
            suggestions.changed.connect(self._suggestions_changed)
            suggestions.state_changed.connect(lambda _t: self._update_suggestion())
        else:
            self.sort_combo.hide()
        self._project_opened()

    # ------------------------------------------------------------ keys

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._reload()
        self.strip.setFocus()  # keys work straight away
        if self._suggestions is not None:
            self._suggestions.set_active(self._labels.active_set is None)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        if self._suggestions is not None:
            self._suggestions.set_active(False)

    # ------------------------------------------------------------ the project and what is shown

    def _project_opened(self, _project=None) -> None:
        project = self._session.project
        self._fill_show_combo()
        self._show_label_set(project)
        self.model.set_project(project)
        target = self._settings.current_sample(project.root) if project is not None else None
        self._place(target)
        self._refresh_counts()
        self._update_keys_hint()

    # ------------------------------------------------------------ label sets (multi-task)

    def _show_label_set(self, project) -> None:
        """The strip, the detail and their colours show the active label set's labels."""
        name = self._labels.active_set
        labels = None
        if name is not None and project is not None:
            try:
                labels = project.set_labels_of(name)
            except TransferLabError:
                labels = {}
        self.model.set_label_view(name, labels)
        colors = self._labels.active_class_colors()
        self.model.set_class_colors(colors)
        self.detail.set_label_set(name, colors, self.model.set_label_of)
        in_set = name is not None
        self._update_sets_note()
        self.sort_combo.setVisible(self._suggestions is not None and not in_set)
        if self._suggestions is not None:
            self._suggestions.set_active(self.isVisible() and not in_set)

    def _update_sets_note(self) -> None:
        in_set = self._labels.active_set is not None
        self.sets_note.setText(f"Suggestions and 'Most uncertain first' are for the main label set "
                               f"'{self._labels.main_set}' only." if in_set else "")
        self.sets_note.setVisible(in_set and self._suggestions is not None)

    def _active_set_changed(self) -> None:
        project = self._session.project
        if project is None or self.model.project is not project:
            return  # a project is opening: _project_opened shows it
        current = self.current_id()
        self._fill_show_combo()
        self._show_label_set(project)
        self.model.set_order(self._sort_key() if self._sorted() else None)
        self.model.set_filter(self._filter())
        self._place(current)
        self._refresh_counts()
        self._update_keys_hint()
        self._update_suggestion()
        self.strip.setFocus()

    def _filter(self) -> SampleFilter:
        return SampleFilter(label=self.show_combo.currentData(), label_set=self._labels.active_set)

    def _changed(self) -> None:
        """Samples or classes changed (an import finished): read them now if shown, else when shown,
        so an import ending while the person is on another page costs that page nothing."""
        if self.isVisible():
            self._reload()
        else:
            self._stale = True

    def _reload(self) -> None:
        self._stale = False
        current = self.current_id()
        if self._labels.active_set is not None:
            self._show_label_set(self._session.project)  # an import may have brought set labels
        self.model.reload()
        self._place(current)
        self._refresh_counts()

    def _fill_show_combo(self) -> None:
        keep = self.show_combo.currentData()
        self.show_combo.blockSignals(True)
        self.show_combo.clear()
        self.show_combo.addItem("All samples", None)
        self.show_combo.addItem("Unlabelled", UNLABELLED_FILTER)
        for info in self._labels.active_classes():
            self.show_combo.addItem(f"Only '{info.name}'", info.name)
        self.show_combo.setCurrentIndex(max(self.show_combo.findData(keep), 0))
        self.show_combo.blockSignals(False)

    def _show_changed(self) -> None:
        current = self.current_id()
        self.model.set_filter(self._filter())
        self._place(current)

    def _place(self, sample_id: int | None) -> None:
        """Make ``sample_id`` current; if it is not shown, the first unlabelled one, or the first."""
        row = self.model.row_of(sample_id) if sample_id is not None else None
        if row is None:
            row = self._next_unlabelled_row(-1)
        if row is None and self.model.rowCount():
            row = 0
        has = row is not None
        self.detail.setVisible(has)
        self.empty.setVisible(not has)
        self.strip.setVisible(has)
        if has:
            self.go_to_row(row)
        else:
            self.detail.show_sample(None)

    def _refresh_counts(self) -> None:
        project = self._session.project
        if project is None:
            self.progress_label.setText("")
            return
        status = project.status()
        name = self._labels.active_set
        if name is not None and status.samples:
            labelled = sum(c.count for c in self._labels.active_classes())
            left = status.samples - labelled
            text = (f"All {status.samples:,} samples are labelled in '{name}'" if not left else
                    f"In '{name}': {labelled:,} of {status.samples:,} labelled · {left:,} to go")
        elif status.samples == 0:
            text = "No samples yet"
        elif status.unlabelled == 0:
            text = f"All {status.samples:,} samples are labelled"
        else:
            text = f"{status.labelled:,} of {status.samples:,} labelled · {status.unlabelled:,} to go"
        self.progress_label.setText(text)

    # ------------------------------------------------------------ moving

    def current_id(self) -> int | None:
        index = self.strip.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def go_to_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        index = self.model.index(row)
        self.strip.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.strip.scrollTo(index, SampleGridView.ScrollHint.PositionAtCenter)

    def move(self, step: int) -> None:
        index = self.strip.currentIndex()
        row = index.row() if index.isValid() else -1
        self.go_to_row(max(0, min(row + step, self.model.rowCount() - 1)))

    def reveal(self, sample_id: int) -> None:
        """Show one sample (from the Evaluate page's mistakes), showing every sample if it is filtered out."""
        if self.model.row_of(sample_id) is None and self.show_combo.currentIndex() != 0:
            self.show_combo.setCurrentIndex(0)  # "All samples"
        if self._stale:
            self._reload()
        self._place(sample_id)

    def _current_changed(self, row: int) -> None:
        sample = self.model.sample_at(row) if row >= 0 else None
        self.detail.show_sample(sample)
        self._update_suggestion()
        project = self._session.project
        if project is not None and sample is not None:
            self._settings.set_current_sample(project.root, sample.id)

    def _next_unlabelled_row(self, after_row: int) -> int | None:
        """The next row (after ``after_row``, then from the top) whose sample has no label yet."""
        project = self._session.project
        if project is None or not self.model.rowCount():
            return None
        if self._sorted():
            return self._next_unlabelled_in_order(project, after_row)
        start_id = self.model.id_at(after_row) if after_row >= 0 else 0
        for after in (start_id, 0):
            while True:
                batch = unlabelled_after(project, after, label_set=self._labels.active_set)
                for sample_id in batch:
                    row = self.model.row_of(sample_id)
                    if row is not None and row != after_row:
                        return row
                if len(batch) < 256:
                    break
                after = batch[-1]
        return None

    # ------------------------------------------------------------ labelling

    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.strip.selectionModel().selectedIndexes())
        current = self.strip.currentIndex()
        if len(rows) <= 1 and current.isValid():
            rows = [current.row()]
        return [self.model.id_at(r) for r in rows]

    def selected_samples(self) -> list:
        return [self.model.sample_at(r) for r in (self.model.row_of(i) for i in self.selected_ids()) if r is not None]

        for row in list(range(max(rows) + 1, self.model.rowCount())) + list(range(min(rows) - 1, -1, -1)):
            if self.model.id_at(row) not in gone:
                return self.model.id_at(row)
        return None

    def label_with_key(self, key: int) -> None:
        info = self._labels.active_class_for_key(key)
        if info is None:
            where = f" in the label set '{self._labels.active_set}'" if self._labels.active_set else ""
            self._notifier.post(f"No class{where} has the key {key} yet. Add classes in the panel on the left: "
                                "the first nine get the keys 1 to 9.", "info")
            return
        self.label_selection(info.name)

    def label_selection(self, name: str | None) -> None:
        self._label_ids(self.selected_ids(), name)

    def _label_ids(self, ids: list[int], name: str | None) -> None:
        if not ids or not self._labels.label(ids, name, label_set=self._labels.active_set):
            return
        if name is None:
            return  # a cleared sample is the one to label next: stay
        last_row = max(self.model.row_of(i) for i in ids)
        row = self._next_unlabelled_row(last_row)
        if row is None:
            self._notifier.post("Every sample here has a label now.", "success")
            self.go_to_row(last_row)
        else:
            self.go_to_row(row)

    def _labels_changed(self, labels: dict, label_set: str | None = None) -> None:
        if label_set != self._labels.active_set:
            return  # another set's labels: not what the strip shows
        self.model.apply_labels(labels, label_set)
        index = self.strip.currentIndex()
        if index.isValid() and self.model.id_at(index.row()) in labels:
            self.detail.show_sample(self.model.sample_at(index.row()))
            self._update_suggestion()
        elif self.detail.sample is not None and self.detail.sample.is_segment:
            self.detail.refresh_spans()  # another segment of this recording changed colour
        self._counts_timer.start()

    def _go_to_undone(self, ids: list[int], label_set: str | None = None) -> None:
        self._labels.set_active_set(label_set)  # an edit in another label set: show that set
        rows = [r for r in (self.model.row_of(i) for i in ids) if r is not None]
        if rows:
            self.go_to_row(min(rows))

    def _go_to_redone(self, ids: list[int], label_set: str | None) -> None:
        if label_set != self._labels.active_set:
            self._go_to_undone(ids, label_set)

    def _classes_changed(self) -> None:
        colors = self._labels.active_class_colors()
        self.model.set_class_colors(colors)
        if self._labels.active_set is not None:
            self.detail.set_label_set(self._labels.active_set, colors, self.model.set_label_of)
            self._update_sets_note()  # the main set may have been renamed
        shown = self.show_combo.currentData()
        self._fill_show_combo()
        if self.show_combo.currentData() != shown:  # the class shown was renamed or deleted: show all
            self._show_changed()
        self._counts_timer.start()
