"""Model-assisted labelling: guesses for the samples that have no label yet.

They come from RunsController's current run (the best finished run unless a person picked
another) when there is a trained one, and otherwise from the quick model (core.fewshot.quick):
prototypes of the labelled samples' cached embeddings, ready as soon as two classes have an
example each, and answered again after every label edit (a matrix product, since nothing is
embedded twice). A few-shot run counts as "no trained run": the quick model is the same model,
kept up to date.

Suggestions are computed on the engine thread (workers/runner.py) when the Label page asks for them
(``set_active``) and again after a run finishes, a run is picked, or an import adds samples (and,
for the quick model, after label edits). Every job is submitted under one key, and a change cancels
the job under way: the quick model stops embedding at its next batch, and whatever a cancelled job
still sends is dropped by the runner, so a slow job never shows old guesses. Accepting goes through the
LabelController: saved at once, and undoable.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from core.run_catalogue import accuracy_name, val_acc
from desktop.controllers.label_controller import LabelController
from desktop.controllers.runs_controller import RunsController
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.workers.errors import UserError
from desktop.workers.runner import Runner


@dataclass(frozen=True)
class Suggestion:
    label: str
    confidence: float  # the model's probability for that class, 0..1


def suggest(ctx, project, run_id: str, samples, spec=None) -> tuple[str, dict]:
    """(run id, {sample id: Suggestion}) for ``samples`` (runs on the engine thread)."""
    from core.evaluate.run_eval import predict_samples
    from core.runs import load_run

    if ctx.cancelled:  # a newer question came while torch was first imported: nothing of this is shown
        return run_id, {}
    loaded = load_run(project, run_id, spec=spec)
    probs, kept, _skipped = predict_samples(loaded, project, samples, should_stop=ctx.should_stop,
                                            progress=lambda done, total: ctx.progress((done, total)))
    names = loaded.class_names
    out = {}
    for row, index in enumerate(kept):
        best = int(probs[row].argmax())
        out[samples[index].id] = Suggestion(names[best], float(probs[row][best]))
    return loaded.info.id, out


QUICK_BUDGET = 128  # samples embedded per quick-model job: a big project's first guesses come in seconds


def suggest_quick(ctx, model, project, budget: int | None = QUICK_BUDGET):
    """(core.fewshot.quick.QuickSuggestions or None, {sample id: Suggestion}) for the unlabelled
    samples embedded so far, from the quick model (runs on the engine thread; a cancelled job stops
    embedding at the next batch, and what was embedded stays cached)."""
    result = model.suggest(project, budget=budget, progress=lambda done, total: ctx.progress((done, total)),
                           should_stop=ctx.should_stop)
    if result is None:
        return None, {}
    return result, {sid: Suggestion(label, confidence) for sid, (label, confidence) in result.best().items()}


QUICK_WAITING = "Label a sample in each of two classes and the quick model will suggest labels (no training needed)."


def quick_state(result) -> str:
    samples = "1 labelled sample" if result.labelled == 1 else f"{result.labelled:,} labelled samples"
    if result.pending:
        return f"Suggestions from the quick model: prototypes of {samples}; {result.pending:,} samples still to read…"
    return f"Suggestions from the quick model: prototypes of {samples}, updated as you label."


KEY = "suggestions"  # one job at a time: a newer one cancels the one under way


class SuggestionController(QObject):
    changed = Signal()  # new suggestions (or none any more)
    state_changed = Signal(str)  # one sentence: where suggestions stand

    def __init__(self, session: ProjectSession, runs: RunsController, labels: LabelController, notifier: Notifier,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._session, self._runs, self._labels, self._notifier = session, runs, labels, notifier
        self._runner = Runner(self)
        self._dirty = True
        self._active = False
        self.suggestions: dict[int, Suggestion] = {}
        self.run_id: str | None = None
        self.source: str | None = None  # "run" or "quick": where the suggestions shown come from
        self.state = ""
        self.quick_spec = None  # a BackboneSpec for the quick model instead of the bundled one (tests)
        self.quick_budget = QUICK_BUDGET
        self._quick = None  # core.fewshot.quick.QuickModel of the open project (embeddings in memory)
        self.quick_result = None  # its latest answer (core.fewshot.quick.QuickSuggestions)
        # Label edits re-answer the quick model; a burst of them (holding a key) answers once.
        self._relabel_timer = QTimer(self, singleShot=True, interval=80)
        self._relabel_timer.timeout.connect(self._labels_edited)
        session.opened.connect(lambda _p: self._project_changed())
        session.closed.connect(self._project_changed)
        session.about_to_close.connect(self.cancel)
        session.changed.connect(self.invalidate)
        labels.labels_changed.connect(lambda _labels: self._relabel_timer.start())
        runs.current_changed.connect(lambda _r: self.invalidate())
        runs.runs_changed.connect(self._runs_changed)

    # ------------------------------------------------------------ what is known

    def get(self, sample_id: int | None) -> Suggestion | None:
        return self.suggestions.get(sample_id) if sample_id is not None else None

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def run_to_use(self) -> str | None:
        """The run the other pages work with, else the best finished run."""
        if self._runs.current is not None:
            return self._runs.current
        best = self._runs.best()
        return best.id if best is not None else None

    def trained_run(self) -> str | None:
        """The run suggestions come from, or None for the quick model (no run, or a few-shot one)."""
        run_id = self.run_to_use()
        info = self._runs.info(run_id)
        return None if info is not None and info.mode == "fewshot" else run_id

    def _project_changed(self) -> None:
        from core.fewshot.quick import QuickModel

        self._quick = QuickModel(self.quick_spec)  # a job still holding the old one finishes with it
        self.invalidate(clear=True)

    def cancel(self) -> None:
        """Stop the job under way (the project closes); what the quick model embedded stays cached."""
        self._runner.cancel(KEY)

    def _labels_edited(self) -> None:
        if self.trained_run() is None:  # a trained run's guesses do not change with labels
            self.invalidate()

    # ------------------------------------------------------------ computing

    def set_active(self, active: bool) -> None:
        """The Label page is shown (compute when needed) or hidden (wait)."""
        self._active = active
        if active and self._dirty:
            self.refresh()

    def _runs_changed(self) -> None:
        if self.trained_run() != self.run_id or self.run_id is None:
            self.invalidate()

    def invalidate(self, _arg=None, clear: bool = False) -> None:
        self._runner.cancel(KEY)  # a job still running answers for what was, not what is
        self._dirty = True
        if clear:
            self._clear()
        if self._active:
            self.refresh()

    def refresh(self) -> None:
        self._runner.cancel(KEY)  # what it would answer is about to be asked again
        project = self._session.project
        self._dirty = False
        if project is None:
            self._clear()
            self._set_state("")
            return
        run_id = self.trained_run()
        if run_id is None:
            self._refresh_quick(project)
            return
        from core.project import UNLABELLED

        samples = project.samples(label=UNLABELLED, status="ok")
        if not samples:
            self._set_state("")
            return
        self._set_state(f"Suggesting labels for {len(samples):,} samples…")
        self._runner.submit(
            suggest, project, run_id, samples, spec=self._runs.spec, key=KEY, doing="suggesting labels",
            on_result=self._done, on_failed=self._failed, on_progress=self._progress, on_finished=self._finished,
        )

    def _refresh_quick(self, project) -> None:
        if self._quick is None or self._quick.spec_override is not self.quick_spec:
            from core.fewshot.quick import QuickModel

            self._quick = QuickModel(self.quick_spec)
        if sum(1 for c in self._labels.classes() if c.count) < 2:  # the job would say so too, later
            self._clear()
            self._set_state(QUICK_WAITING)
            return
        if self.source != "quick":
            self._set_state("Preparing the quick model…")
        self._runner.submit(
            suggest_quick, self._quick, project, self.quick_budget, key=KEY,
            doing="suggesting labels with the quick model",
            on_result=self._done_quick, on_failed=self._failed, on_progress=self._progress_quick,
            on_finished=self._finished,
        )

    def _progress_quick(self, value: tuple[int, int]) -> None:
        if self.source != "quick":  # later parts: the count in the state
            done, total = value
            self._set_state(f"Preparing the quick model… {done:,} of {total:,} samples")

    def _done_quick(self, value) -> None:
        result, suggestions = value
        if result is None or not (result.sample_ids or result.pending):  # under two classes, or nothing to label
            self._clear()
            self._set_state(QUICK_WAITING if result is None else "")
            return
        known = {c.name for c in self._labels.classes()}
        self.suggestions = {i: s for i, s in suggestions.items() if s.label in known}
        self.run_id, self.source, self.quick_result = None, "quick", result
        self._set_state(quick_state(result))
        self.changed.emit()
        if result.pending:
            self._dirty = True  # the next part follows when this job has finished (other jobs may go first)

    def _clear(self) -> None:
        self.source = self.quick_result = None
        if self.suggestions or self.run_id is not None:
            self.suggestions, self.run_id = {}, None
            self.changed.emit()

    def _finished(self) -> None:
        if self._dirty and self._active and not self._runner.busy:
            self.refresh()

    def _progress(self, value: tuple[int, int]) -> None:
        done, total = value
        self._set_state(f"Suggesting labels… {done:,} of {total:,}")

    def _done(self, value) -> None:
        run_id, suggestions = value
        known = {c.name for c in self._labels.classes()}
        self.suggestions = {i: s for i, s in suggestions.items() if s.label in known}  # renamed/deleted classes
        self.run_id, self.source = run_id, "run"
        stale = " (trained before the latest label changes)" if self._runs.stale and run_id == self._runs.current else ""
        self._set_state(f"Suggestions from the model of run {run_id}{self._numbers(run_id)}{stale}.")
        self.changed.emit()

    def _numbers(self, run_id: str) -> str:
        """What the run is and how good: " (full, 95.0% validation accuracy, the best finished run)"."""
        info = self._runs.info(run_id)
        if info is None:
            return ""
        acc = val_acc(info.metrics)
        best = self._runs.best()
        bits = [info.mode or "", f"{acc:.1%} {accuracy_name(info.metrics)}" if acc is not None else "",
                "the best finished run" if best is not None and best.id == run_id else ""]
        return f" ({', '.join(b for b in bits if b)})" if any(bits) else ""

    def _failed(self, error: UserError) -> None:
        self._set_state(f"No suggestions: {error.message}")

    def _set_state(self, text: str) -> None:
        if text != self.state:
            self.state = text
            self.state_changed.emit(text)

    # ------------------------------------------------------------ accepting

    def unlabelled_at_least(self, threshold: float) -> dict[int, str]:
        """{sample id: suggested class} for unlabelled samples whose suggestion is at least ``threshold``."""
        project = self._session.project
        wanted = {i: s.label for i, s in self.suggestions.items() if s.confidence >= threshold}
        if project is None or not wanted:
            return {}
        labels = project.labels_of(list(wanted))
        return {i: name for i, name in wanted.items() if labels.get(i) is None}

    def accept_all(self, threshold: float) -> int:
        """Label every unlabelled sample suggested with at least ``threshold`` confidence, as one undoable edit."""
        chosen = self.unlabelled_at_least(threshold)
        if not chosen:
            self._notifier.post(f"No unlabelled sample has a suggestion of {threshold:.0%} or more.", "info")
            return 0
        what = "1 sample" if len(chosen) == 1 else f"{len(chosen):,} samples"
        if not self._labels.label_many(chosen, f"accept suggestions for {what}"):
            return 0
        self._notifier.post(f"Labelled {what} with the model's suggestion (Ctrl+Z undoes it).", "success")
        return len(chosen)
