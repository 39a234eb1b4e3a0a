"""The labelled samples a run trains on, taken from a project (or given directly), and checked.

``LabelledData`` is plain values (paths, hashes, label indices) so the trainer does not need a
project: benchmarks and tests can hand it files, and the GUI's project stays the one place labels
live. Problems a person can fix get a sentence; problems the run can live with become warnings.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.errors import TransferLabError


class DataError(TransferLabError):
    """The labelled data cannot be trained on as it is."""


@dataclass(frozen=True)
class Item:
    hash: str  # content hash: the key of the embedding cache
    path: str
    label: int  # index into class_names
    sample_id: int | None = None  # the project's id, to mark a broken file
    name: str = ""  # what a person calls the file
    start: float | None = None  # a segment of a long recording: seconds into the file
    end: float | None = None
    extra: tuple[int, ...] = ()  # multi-task: the class index in each extra label set, -1 if unlabelled


@dataclass
class LabelledData:
    class_names: list[str]
    train: list[Item]
    val: list[Item]
    modality: str  # "image" | "audio"
    runs_dir: Path
    cache_dir: Path | None = None
    sample_rate: int = 16000
    # Called (in the training thread) for a file that cannot be decoded: the project marks it broken.
    on_broken: Callable[[Item, str], None] | None = None
    warnings: list[str] = field(default_factory=list)
    # Multi-task: the extra label sets trained with the main one, (name, class names) each, in the
    # order of Item.extra; empty for an ordinary single-task run.
    label_sets: list[tuple[str, list[str]]] = field(default_factory=list)
    main_set: str = "class"
    # Samples without a label outside the test split (label -1): a probe may learn from them too
    # (core.probe.semi); their guessed classes stay in the run, never in the project.
    unlabelled: list[Item] = field(default_factory=list)

    def counts(self, items: list[Item]) -> list[int]:
        c = Counter(i.label for i in items)
        return [c.get(k, 0) for k in range(len(self.class_names))]

    def smallest_class(self) -> int | None:
        """Labelled samples (training and validation) of the smallest class that has any; None without."""
        present = [n for n in self.counts(self.train + self.val) if n > 0]
        return min(present) if present else None


def from_project(project, label_sets: str = "all") -> LabelledData:
    """Every labelled, readable sample: the train split to learn from, the val split to choose the
    best epoch. Test samples are never touched here (they are for the final evaluation).

    ``label_sets``: which extra label sets to learn too (multi-task): "all" (those with at least
    two classes labelled on these samples), "none", or names separated by commas."""
    everything = project.samples(status="ok")
    rows = [s for s in everything if s.label is not None and s.split in ("train", "val")]
    used = {s.label for s in rows}
    class_names = [c for c in project.class_names() if c in used]
    index = {c: k for k, c in enumerate(class_names)}
    sets, warnings = _extra_sets(project, rows, label_sets)

    def item(s) -> Item:
        # a segment of a long recording reads only its time span of the file
        extra = tuple(names.index(labels[s.id]) if s.id in labels else -1 for _, names, labels in sets)
        return Item(s.hash, str(project.path_of(s)), index[s.label], s.id, s.display_name, s.start, s.end, extra)

    def mark_broken(it: Item, reason: str) -> None:
        if it.sample_id is not None and not project.read_only:
            project.mark_broken(it.sample_id, reason)

    return LabelledData(
        class_names=class_names,
        train=[item(s) for s in rows if s.split == "train"],
        val=[item(s) for s in rows if s.split == "val"],
        modality=project.task,
        runs_dir=project.runs_dir,
        cache_dir=project.cache_dir,
        sample_rate=int(project.config.sample_rate),
        on_broken=mark_broken,
        warnings=warnings,
        label_sets=[(name, names) for name, names, _ in sets],
        main_set=project.main_label_set,
        # a sample unlabelled after it was given the test split stays out: test samples are never learnt from
        unlabelled=[Item(s.hash, str(project.path_of(s)), -1, s.id, s.display_name, s.start, s.end)
                    for s in everything if s.label is None and s.split != "test"],
    )


def _extra_sets(project, rows, wanted: str) -> tuple[list[tuple[str, list[str], dict]], list[str]]:
    """[(set name, its classes with labels on ``rows``, {sample id: class})], and warnings."""
    known = project.label_sets()
    if wanted in ("none", ""):
        return [], []
    if wanted == "all":
        names, explicit = known, False
    else:
        names, explicit = [n.strip() for n in wanted.split(",") if n.strip()], True
        if not names:  # ",," trained the main set alone without a word
            raise DataError(f"--label-sets '{wanted}' names no label set: give names separated by commas, "
                            f"all or none (extra label sets: {', '.join(known) or 'none'}).")
        missing = [n for n in names if n not in known]
        if missing:
            raise DataError(f"There is no label set named {', '.join(repr(n) for n in missing)} "
                            f"(extra label sets: {', '.join(known) or 'none'}).")
    ids = {s.id for s in rows}
    sets, warnings = [], []
    for name in names:
        labels = {i: c for i, c in project.set_labels_of(name).items() if i in ids}
        used = set(labels.values())
        classes = [c for c in project.set_class_names(name) if c in used]
        if len(classes) < 2:
            text = (f"The label set '{name}' has {'one class' if classes else 'no labels'} on the samples "
                    "labelled in the main set; it needs two classes to learn, so it is left out of this run.")
            if explicit:
                raise DataError(text)
            warnings.append(text)
            continue
        sets.append((name, classes, labels))
    return sets, warnings


def check(data: LabelledData) -> tuple[LabelledData, list[tuple[Item, str]]]:
    """Refuse data that cannot train; drop files that vanished since import.

    Returns the data to use (with ``warnings`` filled in) and the (item, reason) pairs skipped.
    """
    skipped = [(it, "the file is missing (deleted or moved after import)")
               for it in data.train + data.val if not os.path.exists(it.path)]
    gone = {id(it) for it, _ in skipped}
    data = replace(data, train=[i for i in data.train if id(i) not in gone],
                   val=[i for i in data.val if id(i) not in gone], warnings=list(data.warnings))
    for it, reason in skipped:
        data.warnings.append(f"{it.name or it.path} was skipped: {reason}.")
    if not data.train and not data.val:
        raise DataError("There are no labelled samples to train on; label some samples first "
                        "(at least two classes).")
    counts = [a + b for a, b in zip(data.counts(data.train), data.counts(data.val))]
    present = [c for c, n in zip(data.class_names, counts) if n > 0]
    if len(present) < 2:
        only = f" ('{present[0]}')" if present else ""
        raise DataError(f"Only one class{only} has labelled samples; training needs at least two "
                        "classes to tell apart.")
    if not data.train:
        raise DataError("No labelled sample is in the training split; reset the splits "
                        "(`transferlab split DIR --reset`) so some samples are used for training.")
    for name, n in zip(data.class_names, counts):
        if n == 1:
            data.warnings.append(f"The class '{name}' has a single sample; the model can hardly learn it "
                                 "from one example (label a few more).")
    train_counts = data.counts(data.train)
    for name, n in zip(data.class_names, train_counts):
        if n == 0:
            data.warnings.append(f"The class '{name}' has no sample in the training split; the model "
                                 "cannot learn it.")
    if not data.val:
        data.warnings.append("There are no validation samples: the best epoch is chosen on the training "
                             "samples, which overstates accuracy (label more samples).")
    return data, skipped
