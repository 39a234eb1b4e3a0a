"""The training engine: Trainer + TrainConfig + events + TrainControl (see trainer.py).

    from core.train import Trainer, TrainConfig, TrainControl
    control = TrainControl()
    result = Trainer(project, TrainConfig(epochs=5), callbacks=[my_callback], control=control).fit()

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
    "DataError": "core.train.data",
    "Item": "core.train.data",
    "LabelledData": "core.train.data",
    "from_project": "core.train.data",
}

__all__ = [*_LAZY, "events"]


def __getattr__(name: str):
    if name == "events":
        return importlib.import_module("core.train.events")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'core.train' has no attribute {name!r}")
