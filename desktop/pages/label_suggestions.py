"""The Label page's model-assisted labelling: the current sample's suggestion, Enter to accept it,
"Accept all at or above", and the "Most uncertain first" order. Suggestions are for the main label
set only: while an extra set is active (multi-task) there are none here.

A mixin of LabelPage (it uses the page's strip, model, controllers and combo boxes).
"""

from __future__ import annotations

from desktop.qtmodels.sample_query import UNLABELLED_FILTER, SampleFilter, sample_ids


class LabelSuggestions:
    def current_suggestion(self):
        """The suggestion for the current sample while it has no label, else None."""
        if self._suggestions is None or self._labels.active_set is not None:
            return None
        index = self.strip.currentIndex()
        sample = self.model.sample_at(index.row()) if index.isValid() else None
        if sample is None or sample.label is not None:
            return None
        return self._suggestions.get(sample.id)

    def accept_suggestion(self) -> None:
        """Enter: label the current sample with its suggestion and go on to the next unlabelled one."""
        suggestion = self.current_suggestion()
        if suggestion is None:
            return
        self._label_ids([self.current_id()], suggestion.label)

    def accept_all(self, threshold: float) -> None:
        if self._suggestions is not None and self._labels.active_set is None:
            self._suggestions.accept_all(threshold)

    def _update_suggestion(self) -> None:
        if self._suggestions is None or self._labels.active_set is not None:
            self.suggestion_bar.hide()  # suggestions are the main set's (the note says so)
            return
        suggestion = self.current_suggestion()
        colors = self._labels.class_colors()
        self.suggestion_bar.show_suggestion(suggestion, colors.get(suggestion.label) if suggestion else None)
        self.suggestion_bar.set_state(self._suggestions.state, bool(self._suggestions.suggestions))

    def _suggestions_changed(self) -> None:
        if self._sorted():
            # New guesses (after every label edit with the quick model) reorder the strip, but the
            # sample on screen stays: a number key pressed just then labels what the person sees.
            shown = self.detail.sample
            self._resort(keep=shown.id if shown is not None and shown.label is None else None)
        self._update_suggestion()

    def _sorted(self) -> bool:
        return (self._suggestions is not None and self._labels.active_set is None
                and self.sort_combo.currentData() == "uncertain")

    def _sort_key(self):
        suggestions = self._suggestions.suggestions

        def key(sample_id: int):
            s = suggestions.get(sample_id)
            return (0, s.confidence, sample_id) if s is not None else (1, 0.0, sample_id)
        return key

    def _resort(self, keep: int | None = None) -> None:
        current = self.current_id()
        self.model.set_order(self._sort_key() if self._sorted() else None)
        self._place(current if not self._sorted() else keep)

    def _sort_changed(self) -> None:
        self._resort()

    def _next_unlabelled_in_order(self, project, after_row: int) -> int | None:
        """In a sorted strip: the next row (after ``after_row``, then from the top) with no label yet."""
        unlabelled = set(sample_ids(project, SampleFilter(label=UNLABELLED_FILTER)))
        ids = self.model.ids()
        for row in list(range(after_row + 1, len(ids))) + list(range(0, max(after_row, 0))):
            if ids[row] in unlabelled:
                return row
        return None
