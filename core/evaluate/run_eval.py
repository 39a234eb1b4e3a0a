"""Evaluate a trained run on the project's held-out samples and write report.json + report.html.

The test split is used when it has samples of the model's classes (validation chose the best
epoch, so it flatters the model); otherwise validation, and the report says which.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from core.atomic import atomic_write_text
from core.errors import TransferLabError
from core.evaluate import report_html
from core.evaluate.metrics import Evaluation, evaluate
from core.media import MediaError, decode_image, fit_length
from core.run_catalogue import read_held_out
from core.runs import load_run


@dataclass
class RunEvaluation:
    run_id: str
    split: str
    evaluation: Evaluation
    sample_ids: list[int]  # evaluation index -> sample id
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    report_json: str = ""
    report_html: str = ""
    # multi-task runs: {extra label set: its Evaluation, on the samples labelled in that set}
    label_sets: dict[str, Evaluation] = field(default_factory=dict)
    # samples the run learnt from, predicted instead by the cross-validation model that did not see
    # them (a solved probe learns from the validation split too), and how those models were made
    cross_validated: int = 0
    held_out_how: str = ""
    # "learnt" split: samples with no held-out prediction, so not counted (labelled after the run
    # was trained, or the only example of its class in a few-shot run)
    left_out: int = 0

    @property
    def left_out_words(self) -> str:
        """The samples not counted and why, in words; "" where none were."""
        if not self.left_out:
            return ""
        one = self.left_out == 1
        return (f"{self.left_out:,} more {'is' if one else 'are'} not counted: no model that did not see "
                f"{'it' if one else 'them'} predicted {'it' if one else 'them'} (labelled after this run, or "
                f"the only example of {'its' if one else 'their'} class)")

    @property
    def left_out_brief(self) -> str:
        """left_out_words for a page's one line: "1 not counted (labelled after this run, or alone in its class)"."""
        if not self.left_out:
            return ""
        return (f"{self.left_out:,} not counted (labelled after this run, or alone in "
                f"{'its' if self.left_out == 1 else 'their'} class)")

    @property
    def held_out_words(self) -> str:
        """What predicted each learnt sample instead: "the 5-fold cross-validation model that did not
        see it", "the prototypes of the other examples" (few-shot's leave-one-out)."""
        if "leave-one-out" in self.held_out_how:
            return "the prototypes of the other examples"
        return f"the {self.held_out_how} model that did not see it"

    @property
    def split_name(self) -> str:
        """The samples evaluated, in words: "test", "validation", "training and validation"."""
        return SPLIT_WORDS.get(self.split, self.split)

    def to_json(self) -> dict:
        ev = self.evaluation.to_json()
        for m in ev["mistakes"]:
            m["sample_id"] = self.sample_ids[m["index"]]
        sets = {}
        for name, e in self.label_sets.items():
            d = e.to_json()
            sets[name] = {k: d[k] for k in ("classes", "count", "accuracy", "balanced_accuracy", "per_class", "confusion")}
        return {
            "run_id": self.run_id, "split": self.split, **ev, **({"label_sets": sets} if sets else {}),
            "cross_validated": self.cross_validated, "held_out_how": self.held_out_how, "left_out": self.left_out,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "report_json": self.report_json, "report_html": self.report_html,
        }


def prepare_input(loaded, project, sample):
    """One sample as the model's eval-time input tensor (what validation during training used)."""
    pre = loaded.spec.preprocessing
    if loaded.modality != "audio":  # a picture or a text: the file as training read it
        return pre.load(project.path_of(sample))
    wave = project.read_audio(sample, loaded.sample_rate)
    if loaded.clip_samples:
        wave = fit_length(wave, loaded.clip_samples)
    return pre.to_tensor(wave)


def predict_samples(loaded, project, samples, *, batch_size: int = 32, progress: Callable | None = None,
                    label_sets: dict | None = None, should_stop: Callable[[], bool] | None = None):
    """(probabilities [N, C] for the samples that could be read, their indices, skipped).

    ``progress(done, total)`` after each batch; ``should_stop()`` is checked before each batch is
    read, and when it turns true what was predicted so far is returned (fewer indices than samples).
    Multi-task runs: the probabilities are the main label set's; pass a dict as ``label_sets`` to
    get {extra label set: probabilities [N, C_set]} too."""
    sizes = loaded.head_sizes
    extra: list[list[np.ndarray]] = [[] for _ in sizes[1:]]
    pre = loaded.spec.preprocessing
    probs, kept, skipped = [], [], []
    batch, batch_idx = [], []

    def flush():
        if not batch:
            return
        with torch.inference_mode():
            logits = loaded.model(*pre.collate(batch)).float()
            parts = torch.split(logits, sizes, dim=-1) if len(sizes) > 1 else (logits,)
            probs.append(torch.softmax(parts[0], dim=-1).numpy())
            for k, part in enumerate(parts[1:]):
                extra[k].append(torch.softmax(part, dim=-1).numpy())
        kept.extend(batch_idx)
        batch.clear()
        batch_idx.clear()

    for i, s in enumerate(samples):
        if not batch and should_stop is not None and should_stop():
            break
        try:
            x = prepare_input(loaded, project, s)
        except (MediaError, OSError) as exc:
            skipped.append((s.display_name, str(exc)))
            continue
        if batch and pre.length_of(x) != pre.length_of(batch[0]):
            flush()  # speech clips of different lengths: exact features need equal-length batches
        batch.append(x)
        batch_idx.append(i)
        if len(batch) >= batch_size:
            flush()
            if progress:
                progress(len(kept), len(samples))
    flush()
    n = len(loaded.class_names)
    if label_sets is not None:
        for (name, classes), parts in zip(loaded.label_sets, extra):
            label_sets[name] = np.concatenate(parts) if parts else np.zeros((0, len(classes)), np.float32)
    return (np.concatenate(probs) if probs else np.zeros((0, n), np.float32)), kept, skipped


def _split_hint(project) -> str:
    """What to do, by the project's own split settings (it said "80/10/10" to a project set to 100/0/0)."""
    sp = project.config.splits
    if sp.val <= 0 and sp.test <= 0:
        return ("This project's split settings keep every sample for training (validation 0, test 0): set some "
                f"aside with: transferlab split {project.root} --reset --val 0.1 --test 0.1")
    shares = "/".join(str(round(100 * f)) for f in (1 - sp.val - sp.test, sp.val, sp.test))
    after = (f"; the test split takes none of a class's first {sp.test_after}" if sp.test_after and sp.test > 0
             else "")
    return f"Label more samples (new ones are split {shares} automatically{after})."


def evaluate_run(project, run=None, *, split: str | None = None, progress: Callable | None = None,
                 write_report: bool = True, spec=None) -> RunEvaluation:
    """Evaluate a run; its predictions are stored and report.json/report.html written into its
    folder, except in a project opened read-only, where nothing is written (``report_json`` and
    ``report_html`` stay empty). ``progress(samples done, samples)`` as batches are predicted."""
    loaded = load_run(project, run, spec=spec)
    classes = loaded.class_names
    index = {c: k for k, c in enumerate(classes)}

    @functools.cache  # each split's samples read once
    def labelled(sp):
        if sp == LEARNT:
            return labelled("train") + labelled("val")
        return [s for s in project.samples(status="ok", split=sp) if s.label in index]

    cross_validated = _cross_validated(loaded)
    if split is None:
        # no test split, or one of only some classes (a new project's classes under 51 samples keep
        # every sample for learning): a cross-validated probe's held-out predictions of every sample
        # it learnt from, else the validation split
        tested = {s.label for s in labelled("test")}
        every_class = tested >= {s.label for s in labelled(LEARNT)}
        split = "test" if tested and (every_class or not cross_validated) else (LEARNT if cross_validated else "val")
    elif split == LEARNT and not cross_validated:
        raise TransferLabError("This run kept no held-out predictions of the samples it learnt from (a probe solved "
                               "by cross-validation and a few-shot model of classes with two or more examples do): "
                               "evaluate it on the test or validation split.")
    samples = labelled(split)
    if not samples:
        raise TransferLabError(
            f"There are no labelled {SPLIT_WORDS.get(split, split)} samples of the model's classes to evaluate on. "
            f"{_split_hint(project)}"
        )
    extra: dict = {}
    probs, kept, skipped = predict_samples(loaded, project, samples, progress=progress, label_sets=extra)
    rows, how = _held_out_predictions(loaded, samples, kept, probs)
    swapped, left_out = len(rows), 0
    if split == LEARNT:  # only what a model that did not see the sample predicted
        left_out = len(kept) - len(rows)
        kept, probs = [kept[r] for r in rows], probs[rows]
        extra = {}  # the other label sets' answers are the whole model's, which learnt these samples
    y = np.array([index[samples[i].label] for i in kept], dtype=np.int64)
    ev = evaluate(probs, y, classes)
    sample_ids = [samples[i].id for i in kept]
    result = RunEvaluation(loaded.info.id, split, ev, sample_ids, skipped, cross_validated=swapped, held_out_how=how,
                           left_out=left_out)
    for name, set_classes in ([] if split == LEARNT else loaded.label_sets):  # multi-task: each extra set
        labels = project.set_labels_of(name) if name in project.label_sets() else {}
        rows = [r for r, sid in enumerate(sample_ids) if labels.get(sid) in set_classes]
        if rows:
            y_set = np.array([set_classes.index(labels[sample_ids[r]]) for r in rows], dtype=np.int64)
            result.label_sets[name] = evaluate(extra[name][rows], y_set, set_classes)
    if not project.read_only:
        project.store_predictions(loaded.info.id, [(sid, classes[int(p.argmax())], float(p.max()))
                                                   for sid, p in zip(sample_ids, probs)])
    if write_report and not project.read_only:
        _write_reports(project, loaded, result, {sid: samples[i] for sid, i in zip(sample_ids, kept)})
    return result


LEARNT = "learnt"  # the training and validation samples, each predicted by a model that did not see it
SPLIT_WORDS = {"test": "test", "val": "validation", LEARNT: "training and validation"}
# how a run's held-out predictions were made, where every sample it learnt from has one (a probe's
# k folds; few-shot prototypes built without the example: classes of one example are left out)
HELD_OUT_HOWS = ("cross-validation", "leave-one-out")


def _cross_validated(loaded) -> bool:
    """Whether the run kept a cross-validated prediction of every sample it learnt from (a probe
    solved by cross-validation; one that chose on a validation split kept that split's only)."""
    held = read_held_out(loaded.info.dir)
    return bool(held and held["predictions"] and list(held.get("classes") or []) == list(loaded.class_names)
                and any(how in str(held.get("how") or "") for how in HELD_OUT_HOWS))


def _held_out_predictions(loaded, samples, kept, probs) -> tuple[int, str]:
    """A solved probe learns from every labelled training and validation sample, so its own
    predictions on them flatter it: where the run kept each such sample's prediction by the
    cross-validation model that did not see it, those replace them (in ``probs``, in place).
    Returns the rows replaced and how their models were made."""
    held = read_held_out(loaded.info.dir)
    if not held or list(held.get("classes") or []) != list(loaded.class_names):
        return [], ""
    table = held["predictions"]
    swapped = []
    for row, i in enumerate(kept):
        p = table.get(samples[i].hash)
        if p is not None and len(p) == probs.shape[1]:
            probs[row] = np.asarray(p, dtype=probs.dtype)
            swapped.append(row)
    return swapped, str(held.get("how") or "")


def _write_reports(project, loaded, result: RunEvaluation, by_id) -> None:
    run_dir = loaded.info.dir
    data = result.to_json()
    data["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    data["backbone"] = loaded.spec.name
    data["mode"] = loaded.meta.get("mode")
    json_path = run_dir / "report.json"
    atomic_write_text(json_path, json.dumps(data, indent=1))

    def name(index: int) -> str:
        return by_id[result.sample_ids[index]].display_name

    def thumb(index: int):
        s = by_id[result.sample_ids[index]]
        if s.kind != "image":
            return None
        try:
            return report_html.thumbnail_data_uri(decode_image(project.path_of(s)))
        except MediaError:
            return None

    split_name = result.split_name
    page = report_html.render(
        result.evaluation,
        title=f"{project.name}: run {loaded.info.id}",
        subtitle=f"{loaded.spec.name}, {loaded.meta.get('mode', '')} mode; evaluated on the {split_name} split "
        f"({result.evaluation.count} samples{', ' + str(len(result.skipped)) + ' unreadable' if result.skipped else ''})"
        + (f"; the model learnt from {result.cross_validated} of them, so each of those is predicted by "
           f"{result.held_out_words}" if result.cross_validated else "")
        + (f"; {result.left_out_words}." if result.left_out else "."),
        mistake_names=name,
        mistake_thumbnail=thumb,
        label_sets=result.label_sets,
    )
    html_path = run_dir / "report.html"
    atomic_write_text(html_path, page)
    result.report_json, result.report_html = str(json_path), str(html_path)
