"""Before and after training from an earlier run (``--from-run``): how the earlier model does on
this project's samples of the classes it knew, and how the new one does on those and on all."""

from __future__ import annotations

import numpy as np

from core.evaluate.run_eval import predict_samples
from core.runs import load_run


def before_and_after(project, from_run: str, new_run: str, split: str = "val", class_map: dict | None = None) -> dict:
    """Accuracy on this project's ``split`` samples of the earlier model (on the classes it knows,
    renamed through ``class_map``) and of the new one (on all of them, and on the same known-class
    samples), for the report."""
    rename = dict(class_map or {})

    def accuracy(loaded, samples, renamed=False):
        if not samples:
            return None
        probs, kept, _ = predict_samples(loaded, project, samples)
        if not kept:
            return None
        names = [rename.get(c, c) if renamed else c for c in loaded.class_names]
        return float(np.mean([names[int(p.argmax())] == samples[i].label for p, i in zip(probs, kept)]))

    old, new = load_run(project, from_run), load_run(project, new_run)
    samples = [s for s in project.samples(status="ok", split=split) if s.label is not None]
    known_names = {rename.get(c, c) for c in old.class_names}
    known = [s for s in samples if s.label in known_names]
    return {
        "from_run": old.info.id, "split": split, "samples": len(samples), "known_class_samples": len(known),
        "before": accuracy(old, known, renamed=True), "after_on_known_classes": accuracy(new, known),
        "after": accuracy(new, samples),
    }
