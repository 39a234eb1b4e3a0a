"""Evaluating a run off the GUI thread, and everything the Evaluate page needs from it in one result."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EvaluationView:
    run: object  # core RunEvaluation
    samples: dict = field(default_factory=dict)  # sample id -> Sample (the evaluated ones)
    predicted: dict = field(default_factory=dict)  # sample id -> (class name, confidence)
    truth: dict = field(default_factory=dict)  # sample id -> the label it had when evaluated
    main_label_set: str | None = None  # multi-task runs: the name of the set the figures are for
    texts: dict = field(default_factory=dict)  # text projects: sample id -> its text, as each is first shown (text())

    def cell(self, true: str, predicted: str) -> list[int]:
        """Sample ids of one confusion-matrix cell, least confident first."""
        ids = [sid for sid, t in self.truth.items() if t == true and self.predicted.get(sid, (None,))[0] == predicted]
        return sorted(ids, key=lambda sid: self.predicted[sid][1])

    def text(self, project, sid: int) -> str | None:
        """A text sample's words (text_of), read from ``project`` when first asked for (the page shows
        a few hundred of a split that may hold thousands) and kept; None for a picture or a sound."""
        sample = self.samples.get(sid)
        if sample is None or sample.kind != "text" or project is None:
            return None
        if sid not in self.texts:
            self.texts[sid] = text_of(project, sample)
        return self.texts[sid]


TEXT_CHARS = 20_000  # of each text, for the mistakes (a few pages; the model itself reads less)


def evaluate(_ctx, project, run_id: str, spec=None) -> EvaluationView:
    """core's evaluate_run, plus the per-sample predictions it stored (for any cell's samples)."""
    from core.evaluate.run_eval import evaluate_run

    result = evaluate_run(project, run_id, spec=spec)
    classes = result.evaluation.classes
    view = EvaluationView(result, main_label_set=project.main_label_set if result.label_sets else None)
    wanted = set(result.sample_ids)
    for s in project.samples(status="ok"):
        if s.id in wanted:
            view.samples[s.id] = s
            view.truth[s.id] = s.label
    for sid, (name, confidence) in project.predictions_of(result.run_id).items():
        if sid in wanted and name in classes:
            view.predicted[sid] = (name, confidence)
    for m in result.evaluation.mistakes:  # read-only projects store no predictions: mistakes still show
        sid = result.sample_ids[m.index]
        view.predicted.setdefault(sid, (m.predicted_label, m.confidence))
    return view


def text_of(project, sample) -> str:
    """A text sample's words (at most TEXT_CHARS characters), or why they cannot be shown."""
    from core.errors import MediaError
    from core.text.decode import read_text_file

    try:
        text = read_text_file(project.path_of(sample))
    except (MediaError, OSError) as exc:
        return f"(this text cannot be read: {getattr(exc, 'message', None) or exc})"
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "…"
