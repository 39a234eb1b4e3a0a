"""The quick model: label suggestions from class prototypes while a person labels, with no run.

Each labelled sample's embedding (the bundled backbone unless told otherwise) is computed once,
stored in the project's embedding cache (core.features, shared with probe training and few-shot
runs) and kept in memory here; a class is the mean direction of its examples, and a sample gets
softmax(scale * cosine) over the classes: the maths of a few-shot run (prototypes.py), so the quick
model suggests what ``transferlab train --mode fewshot`` would. After a label edit nothing is
embedded again: an answer costs one read of the sample list and one matrix product.

The maths needs numpy only; torch is imported only when a sample has to be embedded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.fewshot.maths import DEFAULT_SCALE, cosine_probabilities, prototypes_from, unit

MIN_CLASSES = 2  # one class alone suggests nothing


@dataclass(frozen=True)
class QuickSuggestions:
    class_names: tuple[str, ...]  # classes with at least one labelled example, in the project's order
    counts: tuple[int, ...]  # labelled examples per class (those that could be read)
    sample_ids: tuple[int, ...]  # the samples scored, in the order asked for (unreadable ones left out)
    probabilities: np.ndarray  # float32 [len(sample_ids), len(class_names)]
    failed: dict[int, str] = field(default_factory=dict)  # sample id -> why it could not be read
    embedded: int = 0  # samples embedded for this answer (the rest came from the cache or memory)
    pending: int = 0  # samples asked for but not embedded yet (beyond ``budget``): ask again for them

    @property
    def labelled(self) -> int:
        return sum(self.counts)

    def best(self) -> dict[int, tuple[str, float]]:
        """{sample id: (most likely class, its probability)}."""
        if not self.sample_ids:
            return {}
        top = self.probabilities.argmax(axis=1)
        return {sid: (self.class_names[int(k)], float(self.probabilities[row, k]))
                for row, (sid, k) in enumerate(zip(self.sample_ids, top))}


class QuickModel:
    """Embeddings of one project's samples held in memory between answers (unit length, one row
    per content hash), so that re-answering after every label edit reads nothing from disk.

    Not thread-safe: use one instance from one thread at a time (the app's engine thread)."""

    def __init__(self, spec=None, *, scale: float = DEFAULT_SCALE):
        self.spec_override = spec
        self.scale = scale
        self._key: tuple | None = None
        self._rows: dict[str, int] = {}
        self._matrix = np.zeros((0, 0), np.float32)
        self._failed: dict[str, str] = {}

    def forget(self) -> None:
        self._key, self._rows, self._failed = None, {}, {}
        self._matrix = np.zeros((0, 0), np.float32)

    def spec(self, project):
        from core import backbones

        return backbones.get(self.spec_override) if self.spec_override is not None else backbones.default_for(project.task)

    # ------------------------------------------------------------ answering

    def suggest(self, project, samples=None, *, budget: int | None = None, progress=None,
                should_stop=None) -> QuickSuggestions | None:
        """Probabilities for ``samples`` (default: every unlabelled readable sample) from prototypes of
        every labelled sample; None while fewer than two classes have a labelled example.

        ``budget``: embed at most this many of ``samples`` now (the labelled ones always), so that a
        big project's first answer comes soon and covers the first samples; ``pending`` says how many
        wait for the next call. ``progress(done, total)`` is called while samples are being embedded
        (not for cached ones); ``should_stop()`` ends the embedding early (what was embedded stays cached)."""
        everything = project.samples(status="ok")
        labelled = [s for s in everything if s.label is not None]
        targets = [s for s in everything if s.label is None] if samples is None else list(samples)
        present = {s.label for s in labelled}
        if len([c for c in project.class_names() if c in present]) < MIN_CLASSES:
            return None
        embedded = self._embed(project, labelled, progress, should_stop)
        todo = [s for s in targets if s.hash not in self._rows and s.hash not in self._failed]
        now = todo if budget is None else todo[:max(0, budget)]
        embedded += self._embed(project, now, progress, should_stop)
        pending = sum(1 for s in todo if s.hash not in self._rows and s.hash not in self._failed)
        failed = {s.id: self._failed[s.hash] for s in targets if s.hash in self._failed}

        known = [s for s in labelled if s.hash in self._rows]
        have = {s.label for s in known}
        class_names = [c for c in project.class_names() if c in have]
        if len(class_names) < MIN_CLASSES:
            return None
        index = {c: k for k, c in enumerate(class_names)}
        labels = np.array([index[s.label] for s in known])
        prototypes = prototypes_from(self._matrix[[self._rows[s.hash] for s in known]], labels, len(class_names))
        scored = [s for s in targets if s.hash in self._rows]
        vectors = self._matrix[[self._rows[s.hash] for s in scored]] if scored else np.zeros((0, prototypes.shape[1]), np.float32)
        probs = cosine_probabilities(vectors, prototypes, self.scale).astype(np.float32, copy=False)
        return QuickSuggestions(tuple(class_names), tuple(np.bincount(labels, minlength=len(class_names)).tolist()),
                                tuple(s.id for s in scored), probs, failed, embedded, pending)

    # ------------------------------------------------------------ embeddings

    def _embed(self, project, samples, progress, should_stop) -> int:
        """Bring every sample's embedding into memory (cache first, backbone for the rest); how many were computed."""
        spec = self.spec(project)
        key = (str(project.root), spec.name, spec.fingerprint)
        if key != self._key:
            self.forget()
            self._key = key
        wanted = {s.hash: s for s in samples if s.hash not in self._rows and s.hash not in self._failed}
        if not wanted:
            return 0
        from core import features

        found = features.extract(
            spec, [(h, features.sample_source(project, spec, s)) for h, s in wanted.items()], cache_dir=project.cache_dir,
            progress=progress, should_stop=should_stop)
        self._failed.update(found.failed)
        self._append(found.hashes, found.vectors)
        return found.computed

    def _append(self, hashes: list[str], vectors: np.ndarray) -> None:
        if not hashes:
            return
        vectors = unit(vectors.astype(np.float32, copy=False))
        if self._matrix.shape[1] != vectors.shape[1]:
            self._rows, self._matrix = {}, np.zeros((0, vectors.shape[1]), np.float32)
        used = len(self._rows)
        if used + len(hashes) > self._matrix.shape[0]:  # grow by doubling: appending stays cheap
            grown = np.zeros((max(2 * self._matrix.shape[0], used + len(hashes), 64), vectors.shape[1]), np.float32)
            grown[:used] = self._matrix[:used]
            self._matrix = grown
        self._matrix[used:used + len(hashes)] = vectors
        self._rows.update({h: used + i for i, h in enumerate(hashes)})


def quick_suggestions(project, samples=None, *, spec=None, model: QuickModel | None = None, progress=None,
                      should_stop=None) -> QuickSuggestions | None:
    """One answer of the quick model (``model`` keeps embeddings in memory for the next one)."""
    return (model or QuickModel(spec)).suggest(project, samples, progress=progress, should_stop=should_stop)
