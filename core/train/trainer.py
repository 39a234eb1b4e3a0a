"""Trainer: one training run from labelled data to runs/<id>/ with checkpoints, metrics and events.

    trainer = Trainer(project, TrainConfig(), callbacks=[...], control=TrainControl())
    result = trainer.fit()          # blocking; a FitEnd event (also sent to the callbacks)
    Trainer.resume(project, run_id).fit()   # continue from runs/<id>/last.pt

Every epoch draws its randomness (order, augmentation, dropout) from generators seeded with
(seed, epoch), and the model and optimizer states come back from last.pt exactly, so a resumed run
retraces an uninterrupted one. Errors a person can fix are ``TransferLabError`` sentences; they are
also sent as a ``Failure`` event before being raised.
"""

from __future__ import annotations

import math
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch

from core import backbones
from core.errors import TransferLabError
from core.probe.views import VIEWS_BELOW
from core.run_catalogue import RunFiles, new_run_id, record_run
from core.train import adapt
from core.train import checkpoint as ckpt_io
from core.train import events
from core.train.batch_sources import epoch_order
from core.train.classifier_kind import TRAINED
from core.train.config import TrainConfig
from core.train.control import TrainControl
from core.train.device import describe, resolve_device, resolve_precision
from core.train.distributed import DistContext
from core.train.from_run import apply_init
from core.train.labelled import LabelledData, check, from_project
from core.train.loop import BatchThrottle, LoopState, NewFailures, TrainLoop, evaluate, train_epoch
from core.train.make_sources import build_sources, load_backbone, probe_clip
from core.train.model import Classifier, default_unfreeze_blocks, parameter_groups, set_train_mode, unfreeze_for_epoch
from core.train.plan import RunPlan, default_note, resolve_backbone, resolve_mode
from core.train.probe_fit import solve_probe
from core.train.tasks import MultiTaskLoss, TaskLayout, class_weights


class Trainer:
    def __init__(self, source, config: TrainConfig | None = None, callbacks=(), control: TrainControl | None = None,
                 *, spec: backbones.BackboneSpec | None = None, run_id: str | None = None,
                 faults=None, batch_event_interval: float = 0.1):
        """``source``: a Project, or LabelledData. ``spec`` overrides the registry lookup of
        ``config.backbone`` (tests and benchmarks use small architectures). ``faults(batch_size)`` is
        called before every training batch and may raise (tests inject out-of-memory errors).

        ``config`` stays the run's settings as asked; what the run made of them is the ``RunPlan``
        fit() builds once (its config is the one config.json and FitStart record)."""
        self.project = None if isinstance(source, LabelledData) else source
        self.source = source
        self.config = config or TrainConfig()
        self.callbacks = events.Callbacks(list(callbacks))
        self.control = control or TrainControl()
        self.spec_override = spec
        self.faults = faults
        self.batch_event_interval = batch_event_interval
        self._resume_state: dict | None = None
        self.dist = DistContext.from_environment()
        # every rank must name the same runs/<id> (rank 0 writes it; the others resume from it)
        self.run_id = self.dist.same_everywhere(run_id or new_run_id())
        # What the run leaves behind, filled in as it goes: its folder, what its checkpoints say
        # beside the weights, and how many files it skipped.
        self.files: RunFiles | None = None
        self.meta: dict = {}
        self.skipped = 0
        self._began = False  # set once the run's work begins: a failure before is a refusal, not a run

    @classmethod
    def resume(cls, source, run: str | os.PathLike, callbacks=(), control=None, **kwargs) -> Trainer:
        """A trainer that continues runs/<run>/last.pt (``run``: a run id or the run's folder)."""
        runs_dir = source.runs_dir if isinstance(source, LabelledData) else Path(source.runs_dir)
        run_dir = Path(run) if os.sep in str(run) or Path(run).is_absolute() else runs_dir / str(run)
        last = run_dir / "last.pt"
        if not last.exists():
            raise ckpt_io.CheckpointError(f"The run {run_dir.name} has no last.pt to resume from (it "
                                          "finished no epoch, or was a probe run, which simply reruns).")
        state = ckpt_io.load(last)
        ended = ckpt_io.finished(state)
        if ended:  # resuming it would train past its own end (and relabel it 'completed')
            raise ckpt_io.RunFinishedError(
                f"The run {run_dir.name} already finished ({ended.replace('_', ' ')} after epoch {state['epoch']} "
                f"of {state['config'].get('epochs')}): there is nothing to resume. Start a new run to train more.")
        trainer = cls(source, TrainConfig.restored(state["config"]), callbacks, control,
                      run_id=run_dir.name, **kwargs)
        trainer._resume_state = state
        return trainer

    # ------------------------------------------------------------------ events

    def emit(self, event) -> None:
        if self.dist.is_main:  # under DDP only rank 0 reports (and writes files)
            self.callbacks.call(event)

    # ------------------------------------------------------------------ the run

    def fit(self) -> events.FitEnd:
        started = time.perf_counter()
        config = self.config  # as far as it is resolved: what the row of a failed run records
        try:
            device = resolve_device(self.dist.device_setting(self.config.device))  # a wrong flag first
            data = from_project(self.source, self.config.label_sets) if self.project is not None else self.source
            # an unknown backbone too, before the data is judged
            config, spec, init = resolve_backbone(self.config, data, self.project, self.spec_override, device)
            unlabelled_only = adapt.without_labels(init, data)
            if unlabelled_only:  # samples but no labels: adapt the earlier run to them
                config, data = adapt.unlabelled_target(init, config, data)
            plan, model = self._plan(config, spec, init, data, device, checked=unlabelled_only)
            config = plan.config
            return self._run(plan, model, started)
        except TransferLabError as exc:
            self.emit(events.Failure(exc.message, exc.detail or ""))
            self._record_failure(config)
            raise
        except Exception as exc:
            self.emit(events.Failure(f"Training stopped because of an unexpected error ({type(exc).__name__}: "
                                     f"{exc}).", traceback.format_exc()))
            self._record_failure(config)
            raise

    def _record_failure(self, config: TrainConfig) -> None:
        # A training refused before it began (one class, no labels, a wrong flag, missing weights) is
        # a sentence to the person, not a run: listing it among the runs showed "failed" rows with
        # nothing in them. A run that began and then failed is recorded as failed.
        if self._began:
            self._record("failed", None, config)

    def _plan(self, config: TrainConfig, spec, init, data: LabelledData, device,
              checked: bool = False) -> tuple[RunPlan, Classifier]:
        """Every decision of the run, and the model they give: the backbone loaded (pretrained, or
        an earlier run's weights with the head rows of the classes it shares). ``checked``: data
        that needs no checking (no labels, adapting an earlier run: core.train.adapt)."""
        data, skipped = (data, []) if checked else check(data)
        for item, reason in skipped:
            self._broken(item, reason, data, announce=False)
        precision = resolve_precision(config.precision, device)
        torch.manual_seed(config.seed)
        # missing weights: a sentence, before any work (not needed when starting from an earlier run)
        backbone = load_backbone(spec, config.pretrained and init is None)
        mode, reason = resolve_mode(config, data, spec, device)
        if self.spec_override is None and init is None and mode == "probe":
            reason += default_note(self.config, data, spec, device)  # the default, single for this size
        config = config.with_mode_defaults(mode, spec.modality)
        if mode == "probe":
            spec = probe_clip(spec, data, config.clip_seconds, init)
        layout = TaskLayout((data.main_set, *(n for n, _ in data.label_sets)),
                            (len(data.class_names), *(len(c) for _, c in data.label_sets)))
        if layout.multi:
            reason += f"; multi-task: one head per label set ({', '.join(layout.names)}) on a shared backbone"
        if mode == "probe":
            _pool_levels(backbone, spec, config, init, maxed=_maxed(spec, data))
        model = Classifier(backbone, backbone.pooled_dim or spec.feature_dim, layout.width, config.dropout)
        if init is not None and self._resume_state is None:
            carried = apply_init(model, init, data.class_names, config.class_map)
            reason += (f"; starting from run {init.run_id} ({len(carried)} of {len(data.class_names)} classes "
                       f"carried over{': ' + ', '.join(carried) if carried else ''})")
        if config.unfreeze_blocks is None:
            config = config.replace(unfreeze_blocks=default_unfreeze_blocks(model))
        return RunPlan(config, spec, data, layout, device, precision, reason, init, self._resume_state), model

    def _run(self, plan: RunPlan, model: Classifier, started: float) -> events.FitEnd:
        config, data, spec, device = plan.config, plan.data, plan.spec, plan.device
        if plan.resume is not None and (list(plan.resume["class_names"]) != data.class_names
                                        or _sets_of(plan.resume) != _sets_of({"label_sets": _sets_meta(data)})):
            # refused: the earlier run keeps its row (it was marked failed, and could no longer be resumed)
            raise ckpt_io.CheckpointError("The classes changed since this run started "
                                          f"({', '.join(plan.resume['class_names'])}); start a new run.")
        self._began = True
        model.to(device)
        if device.type in ("cuda", "cpu") and spec.modality == "image":  # 1.33x on 2 CPU cores (make_sources.py)
            model.to(memory_format=torch.channels_last)
        if config.mode == "probe":  # the backbone embeds on the device; the head is solved on the CPU
            model.head_to("cpu")
        self.files = RunFiles(data.runs_dir / self.run_id)
        if self.dist.is_main:
            self.files.create(config.to_dict(), {"run_id": self.run_id, "backbone": spec.name,
                                                 "class_names": data.class_names, "mode_reason": plan.reason,
                                                 "preprocessing": spec.preprocessing.settings()})
            self.files.truncate_metrics(plan.start_epoch)
            self._record("running", None, config)
        self.emit(events.FitStart(
            run_id=self.run_id, run_dir=str(self.files.dir), config=config.to_dict(),
            train_size=len(data.train), val_size=len(data.val), class_names=tuple(data.class_names),
            device=describe(device), precision=plan.precision, mode=config.mode, mode_reason=plan.reason,
            resumed_from_epoch=plan.start_epoch, world_size=self.dist.world))
        for text in data.warnings:
            self.emit(events.Warning(text, kind="skipped_file" if "skipped" in text else "data"))
        train_src, val_src = build_sources(self, plan, model,
                                           unlabelled_later=adapt.measures_statistics(plan, model.backbone))
        if train_src is None:  # cancelled while computing embeddings
            return self._finish("cancelled", [], None, started, config)
        self.meta = _meta(self.run_id, plan, model.backbone, getattr(train_src, "pipeline", None))
        try:
            if config.mode == "probe":
                return (adapt.adapt_probe if adapt.adapting(plan) else solve_probe)(
                    self, plan, model, train_src, val_src, started)
            return self._epochs(plan, model, train_src, val_src, started)
        finally:
            train_src.close()
            if val_src is not train_src:
                val_src.close()

    def _epochs(self, plan: RunPlan, model, train_src, val_src, started: float) -> events.FitEnd:
        """Finetune and full: epochs of training, each validated, checkpointed and reported."""
        config, data = plan.config, plan.data
        optimizer = torch.optim.AdamW(parameter_groups(model, config), lr=config.lr, weight_decay=config.weight_decay)
        loop = TrainLoop(
            optimizer=optimizer, criterion=_criterion(plan, train_src),
            state=LoopState(batch_size=config.batch_size, epochs=config.epochs, schedule=config.schedule),
            control=self.control, emit=self.emit, throttle=BatchThrottle(self.batch_event_interval),
            device=plan.device, precision=plan.precision, faults=self.faults,
            agree=self.dist.any if self.dist.world > 1 else None)
        train_failures = NewFailures(train_src, lambda item, reason: self._broken(item, reason, data))
        val_failures = train_failures if val_src is train_src else NewFailures(
            val_src, lambda item, reason: self._broken(item, reason, data))
        progress = Progress()
        if plan.resume is not None:
            progress = _restored(plan.resume, model, optimizer, loop.state)
        elif plan.init is None:  # a run started from another keeps that run's scaling
            self._calibrate(model, train_src, plan, loop.state.batch_size, train_failures)
        labels = train_src.labels.cpu()
        status = "completed"
        for epoch in range(plan.start_epoch, config.epochs):
            gen = seed_epoch(config.seed, epoch)
            stage = unfreeze_for_epoch(model, config, epoch)
            forward = self.dist.wrap(model)
            set_train_mode(model, config.mode)
            t0 = time.perf_counter()
            order = epoch_order(labels, len(data.class_names), config.balance == "sampler", gen,
                                self.dist.rank, self.dist.world)
            stats = train_epoch(loop, epoch=epoch, order=order, source=train_src, forward=forward, gen=gen,
                                on_new_failures=train_failures)
            if stats.cancelled:
                status = "cancelled"
                break
            train_src.after_epoch()
            model.eval()
            val = evaluate(source=val_src, forward=model, classes=len(data.class_names),
                           batch_size=loop.state.batch_size * 2, device=plan.device, precision=plan.precision,
                           on_new_failures=val_failures, control=self.control, layout=plan.layout)
            if self.dist.any(self.control.cancelled):
                status = "cancelled"
                break
            train_loss, train_acc = self.dist.average(stats.mean_loss, stats.accuracy, stats.seen)
            is_best = progress.judge(epoch, val, train_loss, train_acc)
            row = _epoch_row(data, epoch, stage, train_loss, train_acc, val, optimizer.param_groups[0]["lr"],
                             time.perf_counter() - t0, loop.state.batch_size)
            progress.history.append(row)
            saved = self._save_epoch(model, loop, epoch, config, progress, is_best) if self.dist.is_main else []
            self.emit(events.EpochEnd(
                epoch=epoch + 1, epochs=config.epochs, train_loss=train_loss, train_acc=train_acc,
                val_loss=val["loss"], val_acc=val["acc"], per_class_val_acc=row["per_class_val_acc"],
                seconds=row["seconds"], lr=row["lr"], is_best=is_best, stage=stage,
                label_sets_val_acc={n: m["acc"] for n, m in val.get("tasks", {}).items()}))
            for event in saved:
                self.emit(event)
            if config.patience and progress.best["bad_epochs"] >= config.patience and epoch + 1 < config.epochs:
                status = "early_stopped"
                break
            if self.dist.any(self.control.cancelled):
                status = "cancelled"
                break
        return self._finish(status, progress.history, progress.best, started, config, loop.state.batch_size)

    def _save_epoch(self, model, loop: TrainLoop, epoch: int, config: TrainConfig, progress: Progress,
                    is_best: bool) -> list[events.CheckpointSaved]:
        """last.pt after every epoch (what a resume continues), best.pt when it is the best."""
        self.files.append_metrics(progress.history[-1])
        payload = self._payload(model, loop.optimizer, loop.state, epoch + 1, config, progress.history, progress.best)
        ckpt_io.save(self.files.last, payload)
        saved = [events.CheckpointSaved(epoch + 1, str(self.files.last), "last")]
        if is_best:
            ckpt_io.save(self.files.best, {k: v for k, v in payload.items() if k != "optimizer"})
            saved.append(events.CheckpointSaved(epoch + 1, str(self.files.best), "best"))
        return saved

    # ------------------------------------------------------------------ helpers

    def _calibrate(self, model, source, plan: RunPlan, batch_size: int, on_new_failures) -> None:
        """Standardise the head's input with statistics of the pretrained features on (up to 256)
        training samples, so the head's learning rate suits every backbone's feature scale."""
        from core.train.device import autocast

        model.eval()
        feats = []
        with torch.no_grad():
            for start in range(0, min(len(source), 256), batch_size):
                inputs, _, kept = source.fetch(list(range(start, min(len(source), 256, start + batch_size))), None, False)
                on_new_failures()
                if kept:
                    with autocast(plan.device, plan.precision):
                        feats.append(model.backbone(*inputs).float())
            if feats and sum(len(f) for f in feats) > 1:
                model.standardise_features(torch.cat(feats), per_feature=False)

    def _payload(self, model, optimizer, state, epochs_done, config, history, best) -> dict:
        return TRAINED.payload(model, {
            "optimizer": optimizer.state_dict(),
            "scheduler": {"schedule": state.schedule, "step": state.step, "progress": state.progress},
            "epoch": epochs_done, "config": config.to_dict(), "batch_size": state.batch_size,
            "history": history, "best": best, "rng": ckpt_io.rng_state(), **self.meta})

    def _broken(self, item, reason: str, data: LabelledData, announce: bool = True) -> None:
        """A file that cannot be read: counted, marked in the project, and (once training) said."""
        self.skipped += 1
        if self.dist.is_main and data.on_broken is not None:
            try:
                data.on_broken(item, reason)
            except TransferLabError:
                pass  # a read-only project cannot record it; the warning still tells the person
        if announce:
            self.emit(events.Warning(f"{item.name or item.path} could not be read and was skipped ({reason}); "
                                     "it is marked as unreadable in the project.", kind="skipped_file"))

    def _record(self, status: str, metrics, config: TrainConfig) -> None:
        if self.dist.is_main:
            try:
                record_run(self.project, self.run_id, status, config.to_dict(), metrics)
            except Exception:  # the runs table is a convenience; never hide the real outcome
                pass

    def _finish(self, status, history, best, started, config, batch_size=0) -> events.FitEnd:
        metrics = {}
        if best and best["epoch"]:
            metrics = {k: best[k] for k in ("val_acc", "val_loss", "train_acc", "train_loss", "label_sets_val_acc",
                                            "val_estimate", "probe_choice", "unlabelled", "adaptation")
                       if k in best}
        files = self.files
        result = events.FitEnd(
            run_id=self.run_id, status=status, best_epoch=int(best["epoch"]) if best else 0,
            epochs_done=len(history), metrics=metrics, run_dir=str(files.dir) if files else "",
            best_path=str(files.best) if files and files.best.exists() else None,
            last_path=str(files.last) if files and files.last.exists() else None,
            seconds=time.perf_counter() - started, skipped_files=self.skipped,
            batch_size=batch_size or config.batch_size)
        self._record(status, metrics, config)
        self.emit(result)
        return result


@dataclass
class Progress:
    """How far the epochs got: a row for each (metrics.jsonl), and the best so far, which chooses
    best.pt and counts the epochs without improvement for early stopping. Both go into last.pt, so a
    resumed run continues from them."""

    history: list[dict] = field(default_factory=list)
    best: dict = field(default_factory=lambda: {"epoch": 0, "val_acc": -1.0, "val_loss": math.inf, "bad_epochs": 0})

    def judge(self, epoch: int, val: dict, train_loss: float, train_acc: float) -> bool:
        """Whether epoch ``epoch`` (from 0) is the best so far, by validation accuracy (multi-task:
        the mean over the label sets), then loss; the best record follows."""
        best, tasks = self.best, val.get("tasks", {})
        score = _mean_acc(val["acc"], tasks)
        is_best = (score, -val["loss"]) > (best.get("score", best["val_acc"]), -best["val_loss"])
        best["bad_epochs"] = 0 if is_best else best["bad_epochs"] + 1
        if is_best:
            best.update(epoch=epoch + 1, val_acc=val["acc"], val_loss=val["loss"],
                        train_acc=train_acc, train_loss=train_loss)
            if tasks:
                best.update(score=score, label_sets_val_acc={n: m["acc"] for n, m in tasks.items()})
        return is_best


def _restored(resume: dict, model, optimizer, state) -> Progress:
    """Model, optimizer, schedule position, batch size and RNGs as last.pt left them."""
    model.load_state_dict(resume["model"])
    optimizer.load_state_dict(resume["optimizer"])
    state.step, state.batch_size = int(resume["scheduler"]["step"]), int(resume["batch_size"])
    ckpt_io.set_rng_state(resume["rng"])
    return Progress(list(resume["history"]), dict(resume["best"]))


def _criterion(plan: RunPlan, train_src):
    """Cross-entropy with label smoothing, classes weighted by rarity where balance is "loss";
    multi-task: one per label set (core.train.tasks)."""
    config, layout, device = plan.config, plan.layout, plan.device
    classes = len(plan.data.class_names)
    counts = torch.bincount(train_src.labels.cpu(), minlength=classes).float()
    weight = None
    if config.balance == "loss":
        weight = (counts.sum() / (classes * counts.clamp(min=1))).where(counts > 0, torch.zeros(()))
    if not layout.multi:
        return torch.nn.CrossEntropyLoss(weight=None if weight is None else weight.to(device),
                                         label_smoothing=config.label_smoothing)
    targets = train_src.targets.cpu()
    weights = [weight] + [class_weights(targets[:, t], n) if config.balance == "loss" else None
                          for t, n in enumerate(layout.sizes) if t > 0]
    return MultiTaskLoss(layout, [None if w is None else w.to(device) for w in weights], config.label_smoothing)


def _epoch_row(data: LabelledData, epoch: int, stage: str, train_loss: float, train_acc: float, val: dict,
               lr: float, seconds: float, batch_size: int) -> dict:
    """The epoch's line of metrics.jsonl."""
    row = {"epoch": epoch + 1, "stage": stage, "train_loss": train_loss, "train_acc": train_acc,
           "val_loss": val["loss"], "val_acc": val["acc"], "lr": lr, "seconds": seconds, "batch_size": batch_size,
           "per_class_val_acc": {data.class_names[k]: v for k, v in val["per_class"].items()}}
    tasks = val.get("tasks", {})
    if tasks:
        names = dict(data.label_sets)
        row["label_sets"] = {n: {"val_acc": m["acc"], "val_loss": m["loss"],
                                 "per_class_val_acc": {names[n][k]: v for k, v in m["per_class"].items()}}
                             for n, m in tasks.items()}
    return row


def _meta(run_id: str, plan: RunPlan, backbone, pipeline) -> dict:
    """What every checkpoint of the run holds beside the weights: enough to rebuild the model and
    feed it as it was trained (export and prediction read it)."""
    spec, data = plan.spec, plan.data
    meta = {"run_id": run_id, "backbone": spec.name, "class_names": list(data.class_names),
            "from_run": plan.init.run_id if plan.init is not None else None,
            "mode": plan.config.mode, "mode_reason": plan.reason, "preprocessing": spec.preprocessing.settings(),
            "modality": spec.modality,
            "sample_rate": spec.preprocessing.clip_rate(data.sample_rate)}
    clip = getattr(spec.preprocessing, "clip_seconds", None)
    if clip:  # audio clips cut to one length (export and prediction cut them the same way)
        meta["clip_samples"] = int(round(clip * spec.preprocessing.sample_rate))
    if hasattr(pipeline, "clip"):  # audio trained end to end: every clip is cut to the pipeline's length
        meta["clip_samples"] = int(pipeline.clip)
    if backbone.levels:  # a probe on features pooled from every level: the loader rebuilds them
        meta.update(levels=list(backbone.levels), level_dims=list(backbone.level_dims),
                    level_grid=backbone.level_grid, level_max=backbone.level_max)
    if data.label_sets:  # multi-task: the heads after the main one, in order
        meta.update(label_sets=_sets_meta(data), main_label_set=data.main_set)
    return meta


# Each level's maximum over the picture beside its mean (FeatureModel.pool_levels' ``maxed``). Measured
# through the transfer-quality suite at 5 and 20 a class against the same code without it, the same
# draws (README): pictures +1.5 points on seeds 0-2 and +1.7 on seeds 3-5, drawn after it was chosen;
# sounds (their log-mel pictures) +0.8 and +0.6. Texts have no picture to search. Only while the
# smallest class has fewer than MAXED_BELOW samples (where the altered views are learnt from too): on
# bench/bench_embed.py's 5,000 pictures (450 a class) it lost 3 points on the validation split (57.4%
# against 60.4%), and the first probe took 47 s and 1.2 GiB instead of 41 s and 0.9 GiB.
MAXED_MODALITIES = ("image", "audio")
MAXED_BELOW = VIEWS_BELOW


def _maxed(spec, data) -> bool:
    """Whether a probe of ``data`` reads its levels' maxima too (MAXED_MODALITIES, MAXED_BELOW)."""
    smallest = data.smallest_class()
    return spec.modality in MAXED_MODALITIES and smallest is not None and smallest < MAXED_BELOW


def _pool_levels(backbone, spec, config, init, *, maxed: bool = False) -> None:
    """A probe reads features pooled from every level of the backbone (config.probe_features), and
    their maxima too where ``maxed``; one continuing an earlier run reads what that run's head was
    trained on."""
    if init is not None:
        earlier = init.checkpoint
        if earlier.get("levels"):
            backbone.pool_levels(levels=earlier["levels"], dims=earlier["level_dims"],
                                 grid=int(earlier.get("level_grid") or 0), maxed=bool(earlier.get("level_max")))
    elif config.probe_features in ("levels", "grid", "auto"):
        backbone.pool_levels(spec.preprocessing.example_batch(1), grid=0 if config.probe_features == "levels" else 2,
                             maxed=maxed)


def _mean_acc(main: float, tasks: dict) -> float:
    values = [main] + [m["acc"] for m in tasks.values() if m["seen"]]
    return sum(values) / len(values)


def _sets_meta(data: LabelledData) -> list[dict]:
    return [{"name": n, "class_names": list(c)} for n, c in data.label_sets]


def _sets_of(meta: dict) -> list:
    return [(d["name"], list(d["class_names"])) for d in meta.get("label_sets") or []]


def seed_epoch(seed: int, epoch: int) -> torch.Generator:
    """Seed the global RNGs (dropout, anything a backbone draws) and return the generator for the
    epoch's order and augmentation: all a function of (seed, epoch), so resuming retraces a run."""
    import random

    import numpy as np

    value = (seed * 1_000_003 + epoch * 7919) % (2**31)
    torch.manual_seed(value)
    np.random.seed(value)
    random.seed(value)
    return torch.Generator().manual_seed(value + 1)
