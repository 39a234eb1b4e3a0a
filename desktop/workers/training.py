"""The training pool's jobs: a training run, a few-shot (prototype) build and a zero-shot
(attribute detectors) build, each saved as a run. Run by TrainController through workers.runner.

They hold no logic of their own: the engine does the work, checks the job's cancel token (through
the TrainControl built on it) and reports what happens; training's events (core.train.events,
frozen dataclasses of plain values) travel as the job's partial results, the builds' outcomes as
its result (FewshotEnd, ZeroshotEnd), every failure as a sentence (the runner's ``failed``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from core.errors import TransferLabError
from core.zeroshot.described import too_few_described


def train(ctx, project, config, control, *, spec=None, resume_run: str | None = None) -> None:
    """core's Trainer, blocking; every event it sends goes to ``ctx.partial`` (the GUI thread gets
    them in order). ``control`` is the controller's TrainControl (pause, resume, stop)."""
    from core.train import Trainer

    extra = {"spec": spec} if spec is not None else {}
    if resume_run:
        trainer = Trainer.resume(project, resume_run, callbacks=[ctx.partial], control=control, **extra)
    else:
        trainer = Trainer(project, config, callbacks=[ctx.partial], control=control, **extra)
    trainer.fit()


@dataclass(frozen=True)
class FewshotEnd:
    status: str  # "completed" or "cancelled"
    run_id: str | None = None
    backbone: str | None = None
    class_names: tuple[str, ...] = ()
    examples_per_class: tuple[int, ...] = ()
    val_acc: float | None = None  # leave-one-out accuracy (None when no class has two examples)
    seconds: float = 0.0


def build_fewshot(ctx, project, control, *, spec=None) -> FewshotEnd:
    """Embed the labelled samples (``ctx.progress((done, total))``) and save a prototype run."""
    from core import backbones
    from core.fewshot import fewshot_run

    started = time.perf_counter()
    spec = spec or backbones.default_for(project.task)
    result = fewshot_run(project, spec, min_classes=2, progress=lambda done, total: ctx.progress((done, total)),
                         should_stop=lambda: control.cancelled)
    if result.status == "cancelled":
        return FewshotEnd("cancelled", backbone=spec.name, seconds=time.perf_counter() - started)
    return FewshotEnd("completed", result.run_id, spec.name, tuple(result.details["class_names"]),
                      tuple(result.details["examples_per_class"]), result.metrics.get("val_acc"),
                      time.perf_counter() - started)


WHERE = ("On the Label page select a class, press Describe… and type what it looks like (for example "
         "'green, square'); label examples of some of the classes.")


def too_few_sentence(described: dict[str, list[str]]) -> str | None:
    """None when enough classes are described; otherwise core's sentence and where, in the app."""
    too_few = too_few_described(described)
    return f"{too_few} {WHERE}" if too_few else None


@dataclass(frozen=True)
class ZeroshotEnd:
    status: str  # "completed" or "cancelled"
    run_id: str | None = None
    backbone: str | None = None
    class_names: tuple[str, ...] = ()
    classes_with_examples: tuple[str, ...] = ()
    classes_by_description_only: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    attributes_never_varied: tuple[str, ...] = ()
    class_attributes: dict = field(default_factory=dict)  # {class: [attributes]}
    train_acc: float | None = None
    seconds: float = 0.0


def build_zeroshot(ctx, project, control, *, spec=None) -> ZeroshotEnd:
    """Learn a detector per attribute from the classes with examples and save a model that scores
    every described class, those known by their description alone included. Stop is honoured
    between batches of the feature extraction (nothing is saved then)."""
    from core import backbones
    from core.zeroshot import zeroshot_run

    started = time.perf_counter()
    spec = spec or backbones.default_for(project.task)
    described = project.class_attributes()
    if too_few := too_few_sentence(described):
        raise TransferLabError(too_few)
    if control.cancelled:
        return ZeroshotEnd("cancelled", backbone=spec.name)
    r = zeroshot_run(project, spec, should_stop=lambda: control.cancelled)
    if r.status == "cancelled":
        return ZeroshotEnd("cancelled", backbone=spec.name)
    d = r.details
    return ZeroshotEnd(
        "completed", r.run_id, spec.name, tuple(d["class_names"]), tuple(d["classes_with_examples"]),
        tuple(d["classes_by_description_only"]), tuple(d["attributes"]), tuple(d["attributes_never_varied"]),
        dict(described), r.metrics.get("train_acc"), time.perf_counter() - started)
