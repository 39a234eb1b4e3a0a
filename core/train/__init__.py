"""The training engine: Trainer + TrainConfig + events + TrainControl (see trainer.py).

    from core.train import Trainer, TrainConfig, TrainControl
    control = TrainControl()
    result = Trainer(project, TrainConfig(epochs=5), callbacks=[my_callback], control=control).fit()

The rooms, in the order a run passes through them:

    config.py         TrainConfig: every setting, validated; None fields resolved per run
    auto_mode.py      mode "auto": probe, finetune or full from the data and the device, with the reason
    plan.py           RunPlan: the run's decisions (config, backbone, mode, earlier run), taken once and handed on
    labelled.py       the labelled samples (LabelledData, Item) taken from a project, and checked
    from_run.py       starting from an earlier run of yours (--from-run): its backbone and shared head rows
    make_sources.py   before the first batch: the backbone, and the batch sources of the mode (decoded or embedded)
    decode_cache.py   each file decoded once at training resolution and kept (DecodedStore)
    model_inputs.py   per modality: a file to its cached tensor, a cached batch to model inputs
    augment.py        random augmentation of whole batches on the training device
    batch_sources.py  what a batch is read from (decoded samples or embeddings) and an epoch's order
    model.py          the network (backbone + linear head), what learns at which rate, the schedule
    tasks.py          multi-task: one head per label set, the loss and metrics across them
    loop.py           one training epoch (TrainLoop: what every epoch works with) and one evaluation pass
    probe_fit.py      probe mode: the head solved once on the embeddings (core.probe)
    adapt.py          a --from-run probe adapted to this project's samples (AdaBN, re-standardised input)
    trainer.py        Trainer: one run from labelled data to runs/<id>/, checkpoints, metrics, events
    checkpoint.py     last.pt / best.pt: save and load
    classifier_kind.py  the trained classifier as a run kind (core.run_kinds)
    built_runs.py     saving a model built in one step (few-shot, zero-shot) as a run
    events.py         what a run tells the outside world (plain frozen dataclasses)
    control.py        TrainControl: cancel, pause, resume from another thread
    device.py         which device and precision; recognising out-of-memory
    distributed.py    running under torchrun (DDP): rank, world, what differs

Names are loaded on first use: ``core.train.config`` and ``core.train.events`` are plain Python, and
importing them (the CLI does, to build its help) must not pull in torch, which prediction never needs.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "Trainer": "core.train.trainer",
    "TrainConfig": "core.train.config",
    "ConfigError": "core.train.config",
    "TrainControl": "core.train.control",
    "DataError": "core.train.labelled",
    "Item": "core.train.labelled",
    "LabelledData": "core.train.labelled",
    "from_project": "core.train.labelled",
}

__all__ = [*_LAZY, "events"]


def __getattr__(name: str):
    if name == "events":
        return importlib.import_module("core.train.events")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'core.train' has no attribute {name!r}")
