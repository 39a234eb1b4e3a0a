"""The project's samples as raw model input, read one at a time (a project of large photos must never
be held in memory at once): for the export check, the measurements and int8 calibration."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from core.media import MediaError, decode_image, fit_length

CALIBRATION_SAMPLES = 64  # samples the int8 activation ranges are calibrated on


def raw_input(loaded, project, s) -> np.ndarray | None:
    """The raw model input (without batch dimension) of a sample, or None when it cannot be read."""
    try:
        if loaded.modality == "image":
            return np.asarray(decode_image(project.path_of(s)), dtype=np.uint8)
        wave = project.read_audio(s, loaded.sample_rate)
        return fit_length(wave, loaded.clip_samples) if loaded.clip_samples else wave
    except (MediaError, OSError):
        return None


def raw_inputs(loaded, project, samples) -> list[tuple[object, np.ndarray]]:
    """(sample, raw model input) for the samples that can be read."""
    return [(s, raw) for s in samples if (raw := raw_input(loaded, project, s)) is not None]


def pick_samples(project, classes, n: int, splits=("test", "val", "train"), any_label: bool = False):
    """Up to ``n`` labelled samples of ``classes``, held-out splits first. ``any_label``: where there
    are none, unlabelled ones (the parity check of a model adapted to a project without labels)."""
    index = set(classes)
    picked = []
    for split in splits:
        picked += [s for s in project.samples(status="ok", split=split) if s.label in index]
        if len(picked) >= n:
            break
    if not picked and any_label:
        picked = project.samples(status="ok", limit=n)
    return picked[:n]


def learnt_from_unlabelled(metrics: dict) -> bool:
    """Whether a run learnt from the project's unlabelled samples too (pseudo-labels, core.probe.semi;
    adapting to them, core.train.adapt), so that they are no measure of new samples."""
    return any(isinstance(metrics.get(key), dict) and metrics[key].get("used") for key in ("unlabelled", "adaptation"))


def unseen_samples(project, n: int, unlabelled: bool = True):
    """Up to ``n`` samples a run did not learn its answers from: the test split's (labelled or not),
    then (``unlabelled``: where the run did not learn from them) the unlabelled ones. A smaller file
    that gives another class than fp32 shows it there, not on the samples the model learnt from,
    which measure.judge's accuracy mostly reads (their answers are too clear to flip: the pair's int8
    gave fp32's class on all 200 of those and on 96.7% of 150 new pictures, bench/bench_export.py)."""
    from core.project.sample_queries import UNLABELLED

    picked = project.samples(status="ok", split="test", limit=n)
    seen = {s.id for s in picked}
    if unlabelled and len(picked) < n:
        picked += [s for s in project.samples(status="ok", label=UNLABELLED, limit=n + len(seen))
                   if s.id not in seen]
    return picked[:n]


def tagged_inputs(loaded, project, scored, unseen) -> Iterator[tuple[int, np.ndarray, tuple[str, ...]]]:
    """(class index or -1, raw input, tags) of each readable sample of ``scored`` (labelled samples
    of the run's classes: tag "scored") and ``unseen`` (samples the run did not learn from: tag
    "unseen", where only the agreement with fp32 is read), each sample read once however many tags it
    has (a sample only unseen carries class -1)."""
    index = {c: k for k, c in enumerate(loaded.class_names)}
    scored_ids, unseen_ids = {s.id for s in scored}, {s.id for s in unseen}
    done = set()
    for s in [*scored, *unseen]:
        if s.id in done:
            continue
        done.add(s.id)
        raw = raw_input(loaded, project, s)
        if raw is None:
            continue
        tags = (("scored",) if s.id in scored_ids else ()) + (("unseen",) if s.id in unseen_ids else ())
        yield (index[s.label] if "scored" in tags else -1), raw, tags


def labelled_inputs(loaded, project, picked) -> Iterator[tuple[int, np.ndarray]]:
    """(class index, raw input) of each readable sample of ``picked``."""
    index = {c: k for k, c in enumerate(loaded.class_names)}
    for s in picked:
        raw = raw_input(loaded, project, s)
        if raw is not None:
            yield index[s.label], raw


def calibration_inputs(loaded, project, n: int = CALIBRATION_SAMPLES) -> Iterator[np.ndarray]:
    """Raw inputs for int8 calibration: training samples first (the model's own data), then the
    others, labelled or not."""
    seen = 0
    for split in ("train", "val", "test", "none"):
        for s in project.samples(status="ok", split=split, limit=4 * n):
            raw = raw_input(loaded, project, s)
            if raw is not None:
                yield raw
                seen += 1
                if seen >= n:
                    return
