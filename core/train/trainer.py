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

import dataclasses
import math
import os
import time
import traceback
from pathlib import Path

import torch

from core import backbones
from core.errors import TransferLabError
from core.run_catalogue import RunFiles, new_run_id, record_run
from core.train import checkpoint as ckpt_io
from core.train import events
from core.train.auto_mode import choose_mode
from core.train.classifier_kind import TRAINED
from core.train.config import TrainConfig
from core.train.control import TrainControl
from core.train.data import LabelledData, check, from_project
from core.train.device import describe, resolve_device, resolve_precision
from core.train.distributed import DistContext
from core.train.loop import BatchThrottle, LoopState, evaluate, train_epoch
from core.train.model import Classifier, default_unfreeze_blocks, parameter_groups, set_train_mode, unfreeze_for_epoch
from core.train.probe_fit import solve_probe
from core.train.setup import build_sources, load_backbone, probe_clip
from core.train.transfer import apply_init, read_init_run
from core.train.sources import epoch_order
from core.train.tasks import MultiTaskLoss, TaskLayout, class_weights


class Trainer:
    def __init__(self, source, config: TrainConfig | None = None, callbacks=(), control: TrainControl | None = None,
                 *, spec: backbones.BackboneSpec | None = None, run_id: str | None = None,
                 faults=None, batch_event_interval: float = 0.1):
        """``source``: a Project, or LabelledData. ``spec`` overrides the registry lookup of
        ``config.backbone`` (tests and benchmarks use small architectures). ``faults(batch_size)`` is
        called before every training batch and may raise (tests inject out-of-memory errors)."""
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
        try:
            return self._fit(started)
        except TransferLabError as exc:
            self.emit(events.Failure(exc.message, exc.detail or ""))
            self._record("failed", None)
            raise
        except Exception as exc:
            self.emit(events.Failure(f"Training stopped because of an unexpected error ({type(exc).__name__}: "
                                     f"{exc}).", traceback.format_exc()))
            self._record("failed", None)
            raise

    def _fit(self, started: float) -> events.FitEnd:
        device = resolve_device(self.dist.device_setting(self.config.device))  # a wrong flag first
        data = from_project(self.source, self.config.label_sets) if self.project is not None else self.source
        spec = self._spec(data)  # an unknown backbone too, before the data is judged
        data, skipped = check(data)
        self.data = data
        self.skipped = 0
        for item, reason in skipped:
            self._broken(item, reason, announce=False)
        precision = resolve_precision(self.config.precision, device)
        torch.manual_seed(self.config.seed)
        init = self._init
        # missing weights: a sentence, before any work (not needed when starting from an earlier run)
        backbone = load_backbone(spec, self.config.pretrained and init is None)
        mode, reason = self._mode(data, spec, device)
        config = self.config.with_mode_defaults(mode)
        if mode == "probe":
            spec = probe_clip(spec, data, config.clip_seconds, init)
        self.layout = TaskLayout((data.main_set, *(n for n, _ in data.label_sets)),
                                 (len(data.class_names), *(len(c) for _, c in data.label_sets)))
        if self.layout.multi:
            reason += f"; multi-task: one head per label set ({', '.join(self.layout.names)}) on a shared backbone"
        self.spec = spec  # the backbone as this run uses it (a probe asks its preprocessing how to choose features)
        if mode == "probe":
            self._pool_levels(backbone, spec, config, init)
        model = Classifier(backbone, backbone.pooled_dim or spec.feature_dim, self.layout.width, config.dropout)
        if init is not None and self._resume_state is None:
            carried = apply_init(model, init, data.class_names, config.class_map)
            reason += (f"; starting from run {init.run_id} ({len(carried)} of {len(data.class_names)} classes "
                       f"carried over{': ' + ', '.join(carried) if carried else ''})")
        if config.unfreeze_blocks is None:
            config = config.replace(unfreeze_blocks=default_unfreeze_blocks(model))
        self.config = config
        if self._resume_state is not None and (list(self._resume_state["class_names"]) != data.class_names
                                               or _sets_of(self._resume_state) != _sets_of({"label_sets": self._sets_meta(data)})):
            raise ckpt_io.CheckpointError("The classes changed since this run started "
                                          f"({', '.join(self._resume_state['class_names'])}); start a new run.")
        model.to(device)
        if device.type in ("cuda", "cpu") and spec.modality == "image":  # 1.33x on 2 CPU cores (setup.py)
            model.to(memory_format=torch.channels_last)
        self.files = RunFiles(data.runs_dir / self.run_id)
        start_epoch = int(self._resume_state["epoch"]) if self._resume_state else 0
        if self.dist.is_main:
            self.files.create(config.to_dict(), {"run_id": self.run_id, "backbone": spec.name,
                                                 "class_names": data.class_names, "mode_reason": reason,
                                                 "preprocessing": spec.preprocessing.settings()})
            self.files.truncate_metrics(start_epoch)
            self._record("running", None)
        self.emit(events.FitStart(
            run_id=self.run_id, run_dir=str(self.files.dir), config=config.to_dict(),
            train_size=len(data.train), val_size=len(data.val), class_names=tuple(data.class_names),
            device=describe(device), precision=precision, mode=mode, mode_reason=reason,
            resumed_from_epoch=start_epoch, world_size=self.dist.world))
        for text in data.warnings:
            self.emit(events.Warning(text, kind="skipped_file" if "skipped" in text else "data"))
        self.meta = {"run_id": self.run_id, "backbone": spec.name, "class_names": list(data.class_names),
                     "from_run": init.run_id if init is not None else None,
                     "mode": mode, "mode_reason": reason, "preprocessing": spec.preprocessing.settings(),
                     "modality": spec.modality, "sample_rate": int(data.sample_rate)}
        clip = getattr(spec.preprocessing, "clip_seconds", None)
        if clip:  # audio clips cut to one length (export and prediction cut them the same way)
            self.meta["clip_samples"] = int(round(clip * spec.preprocessing.sample_rate))
        if backbone.levels:  # a probe on features pooled from every level: the loader rebuilds them
            self.meta.update(levels=list(backbone.levels), level_dims=list(backbone.level_dims),
                             level_grid=backbone.level_grid)
        if data.label_sets:  # multi-task: the heads after the main one, in order
            self.meta.update(label_sets=self._sets_meta(data), main_label_set=data.main_set)
        train_src, val_src = build_sources(self, data, spec, model, device, precision)
        if train_src is None:  # cancelled while computing embeddings
            return self._finish("cancelled", [], None, started, config)
        if config.mode == "probe":
            try:
                return solve_probe(self, model, config, train_src, val_src, started)
            finally:
                train_src.close()
                if val_src is not train_src:
                    val_src.close()
        try:
            return self._epochs(model, config, train_src, val_src, device, precision, start_epoch, started)
        finally:
            train_src.close()
            if val_src is not train_src:
                val_src.close()

    def _epochs(self, model, config, train_src, val_src, device, precision, start_epoch, started):
        probe = config.mode == "probe"
        classes = len(self.data.class_names)
        labels = train_src.labels.cpu()
        counts = torch.bincount(labels, minlength=classes).float()
        weight = None
        if config.balance == "loss":
            weight = (counts.sum() / (classes * counts.clamp(min=1))).where(counts > 0, torch.zeros(()))
        criterion = torch.nn.CrossEntropyLoss(weight=None if weight is None else weight.to(device),
                                              label_smoothing=config.label_smoothing)
        layout = self.layout
        if layout.multi:
            targets = train_src.targets.cpu()
            weights = [weight] + [class_weights(targets[:, t], n) if config.balance == "loss" else None
                                  for t, n in enumerate(layout.sizes) if t > 0]
            criterion = MultiTaskLoss(layout, [None if w is None else w.to(device) for w in weights],
                                      config.label_smoothing)
        optimizer = torch.optim.AdamW(parameter_groups(model, config), lr=config.lr,
                                      weight_decay=config.weight_decay)
        state = LoopState(batch_size=config.batch_size, epochs=config.epochs, schedule=config.schedule)
        history: list[dict] = []
        best = {"epoch": 0, "val_acc": -1.0, "val_loss": math.inf, "bad_epochs": 0}
        best_state = None
        if self._resume_state is not None:
            r = self._resume_state
            model.load_state_dict(r["model"])
            optimizer.load_state_dict(r["optimizer"])
            state.step, state.batch_size = int(r["scheduler"]["step"]), int(r["batch_size"])
            history, best = list(r["history"]), dict(r["best"])
            ckpt_io.set_rng_state(r["rng"])
        elif not probe and self._init is None:  # a run started from another keeps that run's scaling
            self._calibrate(model, train_src, device, precision, state.batch_size)
        throttle = BatchThrottle(self.batch_event_interval)
        status = "completed"
        for epoch in range(start_epoch, config.epochs):
            gen = seed_epoch(config.seed, epoch)
            stage = unfreeze_for_epoch(model, config, epoch)
            forward = self.dist.wrap(model, probe)
            set_train_mode(model, config.mode)
            t0 = time.perf_counter()
            order = epoch_order(labels, classes, config.balance == "sampler", gen, self.dist.rank, self.dist.world)
            stats = train_epoch(epoch=epoch, order=order, source=train_src, forward=forward, optimizer=optimizer,
                                criterion=criterion, state=state, control=self.control, emit=self.emit,
                                throttle=throttle, gen=gen, device=device, precision=precision,
                                on_new_failures=lambda: self._report_failures(train_src), faults=self.faults,
                                agree=self.dist.any if self.dist.world > 1 else None)
            if stats.cancelled:
                status = "cancelled"
                break
            train_src.after_epoch()
            model.eval()
            val = evaluate(source=val_src, forward=model.forward_features if probe else model, classes=classes,
                           batch_size=state.batch_size * 2, device=device, precision=precision,
                           on_new_failures=lambda: self._report_failures(val_src), control=self.control,
                           layout=layout)
            if self.dist.any(self.control.cancelled):
                status = "cancelled"
                break
            train_loss, train_acc = self.dist.average(stats.mean_loss, stats.accuracy, stats.seen)
            tasks = val.get("tasks", {})
            score = _mean_acc(val["acc"], tasks)  # multi-task: the mean over the label sets
            is_best = (score, -val["loss"]) > (best.get("score", best["val_acc"]), -best["val_loss"])
            best["bad_epochs"] = 0 if is_best else best["bad_epochs"] + 1
            if is_best:
                best.update(epoch=epoch + 1, val_acc=val["acc"], val_loss=val["loss"],
                            train_acc=train_acc, train_loss=train_loss)
                if tasks:
                    best.update(score=score, label_sets_val_acc={n: m["acc"] for n, m in tasks.items()})
            row = {"epoch": epoch + 1, "stage": stage, "train_loss": train_loss, "train_acc": train_acc,
                   "val_loss": val["loss"], "val_acc": val["acc"], "lr": optimizer.param_groups[0]["lr"],
                   "seconds": time.perf_counter() - t0, "batch_size": state.batch_size,
                   "per_class_val_acc": {self.data.class_names[k]: v for k, v in val["per_class"].items()}}
            if tasks:
                names = dict(self.data.label_sets)
                row["label_sets"] = {n: {"val_acc": m["acc"], "val_loss": m["loss"],
                                         "per_class_val_acc": {names[n][k]: v for k, v in m["per_class"].items()}}
                                     for n, m in tasks.items()}
            history.append(row)
            saved = []
            if self.dist.is_main:
                self.files.append_metrics(row)
                if probe:  # a head epoch takes milliseconds: keep the best in memory, write at the end
                    # only what a probe trains (the frozen backbone is the same at every epoch):
                    # copying the whole state dict cost more than the epoch itself
                    best_state = _trained_state(model) if is_best else best_state
                else:
                    payload = self._payload(model, optimizer, state, epoch + 1, config, history, best)
                    ckpt_io.save(self.files.last, payload)
                    saved.append(events.CheckpointSaved(epoch + 1, str(self.files.last), "last"))
                    if is_best:
                        ckpt_io.save(self.files.best, {k: v for k, v in payload.items() if k != "optimizer"})
                        saved.append(events.CheckpointSaved(epoch + 1, str(self.files.best), "best"))
            self.emit(events.EpochEnd(
                epoch=epoch + 1, epochs=config.epochs, train_loss=train_loss, train_acc=train_acc,
                val_loss=val["loss"], val_acc=val["acc"], per_class_val_acc=row["per_class_val_acc"],
                seconds=row["seconds"], lr=row["lr"], is_best=is_best, stage=stage,
                label_sets_val_acc={n: m["acc"] for n, m in tasks.items()}))
            for event in saved:
                self.emit(event)
            if config.patience and best["bad_epochs"] >= config.patience and epoch + 1 < config.epochs:
                status = "early_stopped"
                break
            if self.dist.any(self.control.cancelled):
                status = "cancelled"
                break
        if probe and history and self.dist.is_main:
            last = self._payload(model, optimizer, state, len(history), config, history, best)
            ckpt_io.save(self.files.last, last)
            self.emit(events.CheckpointSaved(len(history), str(self.files.last), "last"))
            if best_state is not None:
                ckpt_io.save(self.files.best, {**{k: v for k, v in last.items() if k != "optimizer"},
                                               "model": {**last["model"], **best_state}, "epoch": best["epoch"]})
                self.emit(events.CheckpointSaved(best["epoch"], str(self.files.best), "best"))
        return self._finish(status, history, best, started, config, state.batch_size)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _sets_meta(data: LabelledData) -> list[dict]:
        return [{"name": n, "class_names": list(c)} for n, c in data.label_sets]

    def _spec(self, data: LabelledData) -> backbones.BackboneSpec:
        self._init = None
        if self.config.from_run:
            self._init = read_init_run(self.project, self.config.from_run)
            if self.config.backbone and self.config.backbone != self._init.backbone:
                raise TransferLabError(f"Run {self._init.run_id} was trained on {self._init.backbone}, not "
                                       f"{self.config.backbone}: leave --backbone out to continue from it.")
            if not self.config.backbone:
                self.config = self.config.replace(backbone=self._init.backbone)
            if self.config.image_size is None and "crop_size" in self._init.preprocessing:
                self.config = self.config.replace(image_size=int(self._init.preprocessing["crop_size"]))
        spec = self.spec_override or (backbones.get(self.config.backbone) if self.config.backbone
                                      else backbones.default_for(data.modality))
        if spec.modality != data.modality:
            raise TransferLabError(f"The backbone {spec.name} is for {spec.modality}, but this project holds "
                                   f"{data.modality}; choose one of: {', '.join(backbones.names(data.modality))}.")
        if self.config.backbone != spec.name:
            self.config = self.config.replace(backbone=spec.name)
        if self._init is not None:  # continuing a run: its front end, as it was saved
            spec = dataclasses.replace(spec, preprocessing=spec.preprocessing.restored(self._init.preprocessing))
        size = self.config.image_size
        if size and spec.modality == "image" and size != spec.preprocessing.crop_size:
            pre = spec.preprocessing
            spec = spec.with_preprocessing(crop_size=size, resize_size=round(size * pre.resize_size / pre.crop_size))
        return spec

    @staticmethod
    def _pool_levels(backbone, spec, config, init) -> None:
        """A probe reads features pooled from every level of the backbone (config.probe_features);
        one continuing an earlier run reads what that run's head was trained on."""
        if init is not None:
            earlier = init.checkpoint
            if earlier.get("levels"):
                backbone.pool_levels(levels=earlier["levels"], dims=earlier["level_dims"],
                                     grid=int(earlier.get("level_grid") or 0))
        elif config.probe_features in ("levels", "grid", "auto"):
            backbone.pool_levels(spec.preprocessing.example_batch(1), grid=0 if config.probe_features == "levels" else 2)

    def _mode(self, data: LabelledData, spec, device) -> tuple[str, str]:
        if spec.weights.built_in:  # a fixed computation (tfidf): a head on it is all there is to train
            if self.config.mode not in ("auto", "probe"):
                raise TransferLabError(f"{spec.name} has no weights to fine-tune (it is built in: {spec.weights.description}); "
                                       "it trains as a probe: use --mode probe or auto.")
            return "probe", f"{spec.name} has no weights to fine-tune: a linear head on its features is the whole model"
        trains = spec.preprocessing.trains_end_to_end
        if self.config.mode != "auto":
            if self.config.mode != "probe" and not trains:
                raise TransferLabError(f"{spec.name} cannot be fine-tuned yet ({spec.modality} models train as a "
                                       "probe on the frozen backbone's features): use --mode probe or auto.")
            return self.config.mode, "chosen in the settings"
        if not trains:
            return "probe", (f"{spec.modality} models train as a probe: a linear head solved on the frozen "
                             "pretrained features, its regularisation chosen by cross-validation")
        return choose_mode(data.counts(data.train), spec.macs, device.type)

    def _calibrate(self, model, source, device, precision, batch_size) -> None:
        """Standardise the head's input with statistics of the pretrained features on (up to 256)
        training samples, so the head's learning rate suits every backbone's feature scale."""
        from core.train.device import autocast

        model.eval()
        feats = []
        with torch.no_grad():
            for start in range(0, min(len(source), 256), batch_size):
                inputs, _, kept = source.fetch(list(range(start, min(len(source), 256, start + batch_size))), None, False)
                self._report_failures(source)
                if kept:
                    with autocast(device, precision):
                        feats.append(model.backbone(*inputs).float())
            if feats and sum(len(f) for f in feats) > 1:
                model.standardise_features(torch.cat(feats), per_feature=False)

    def _payload(self, model, optimizer, state, epochs_done, config, history, best) -> dict:
        return TRAINED.payload(model, {
            "optimizer": optimizer.state_dict(),
            "scheduler": {"schedule": state.schedule, "step": state.step, "progress": state.progress},
            "epoch": epochs_done, "config": config.to_dict(), "batch_size": state.batch_size,
            "history": history, "best": best, "rng": ckpt_io.rng_state(), **self.meta})

    def _broken(self, item, reason: str, announce: bool = True) -> None:
        self.skipped += 1
        if self.dist.is_main and self.data.on_broken is not None:
            try:
                self.data.on_broken(item, reason)
            except TransferLabError:
                pass  # a read-only project cannot record it; the warning still tells the person
        if announce:
            self.emit(events.Warning(f"{item.name or item.path} could not be read and was skipped ({reason}); "
                                     "it is marked as unreadable in the project.", kind="skipped_file"))

    def _report_failures(self, source) -> None:
        reported = getattr(source, "_reported", None)
        if reported is None:
            reported = source._reported = set()
        for index, reason in list(source.failed.items()):
            if index not in reported:
                reported.add(index)
                self._broken(source.store.items[index], reason)

    def _record(self, status: str, metrics) -> None:
        if self.dist.is_main:
            try:
                record_run(self.project, self.run_id, status, self.config.to_dict(), metrics)
            except Exception:  # the runs table is a convenience; never hide the real outcome
                pass

    def _finish(self, status, history, best, started, config, batch_size=0) -> events.FitEnd:
        metrics = {}
        if best and best["epoch"]:
            metrics = {k: best[k] for k in ("val_acc", "val_loss", "train_acc", "train_loss", "label_sets_val_acc",
                                            "val_estimate", "probe_choice", "unlabelled")
                       if k in best}
        files = getattr(self, "files", None)
        result = events.FitEnd(
            run_id=self.run_id, status=status, best_epoch=int(best["epoch"]) if best else 0,
            epochs_done=len(history), metrics=metrics, run_dir=str(files.dir) if files else "",
            best_path=str(files.best) if files and files.best.exists() else None,
            last_path=str(files.last) if files and files.last.exists() else None,
            seconds=time.perf_counter() - started, skipped_files=self.skipped,
            batch_size=batch_size or config.batch_size)
        self._record(status, metrics)
        self.emit(result)
        return result


def _mean_acc(main: float, tasks: dict) -> float:
    values = [main] + [m["acc"] for m in tasks.values() if m["seen"]]
    return sum(values) / len(values)


def _sets_of(meta: dict) -> list:
    return [(d["name"], list(d["class_names"])) for d in meta.get("label_sets") or []]


def _trained_state(model) -> dict:
    """A copy of the probe's trained tensors (head and feature standardisation)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items() if not k.startswith("backbone.")}


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
