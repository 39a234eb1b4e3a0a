"""Run kinds: what a run's model checkpoint (best.pt) holds and how its model is built back.

Each kind of run (a trained classifier, class prototypes, attribute detectors; later others)
registers one writer and one reader of its payload here, side by side in the kind's own module, so
the keys a kind writes are read back by the same hands. core.runs loads any run through its kind
and never branches on kinds itself. Plain Python: importing this module loads no torch.

Every checkpoint also carries what every kind shares, written by the run's builder: run_id,
backbone, class_names, mode, mode_reason, preprocessing, modality, sample_rate, config, epoch, best.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.run_catalogue import RunError

CLASSIFIER = "classifier"  # checkpoints of trained classifiers written before kinds were named carry no "head"


@dataclass(frozen=True)
class RunKind:
    name: str  # stored as the checkpoint's "head"
    write: Callable[..., dict]  # (model, **kind values) -> the kind's own entries of the checkpoint
    read: Callable[[dict, Any], Any]  # (checkpoint, backbone spec) -> the model, shaped to load its weights

    def payload(self, model, shared: dict, **values) -> dict:
        """The whole checkpoint: what every kind shares, then this kind's entries (with its name)."""
        return {**shared, **self.write(model, **values), "head": self.name}


_KINDS: dict[str, RunKind] = {}


def register(kind: RunKind) -> RunKind:
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"A run kind named {kind.name!r} is registered already.")
    _KINDS[kind.name] = kind
    return kind


def name_of(checkpoint: dict) -> str:
    return checkpoint.get("head") or CLASSIFIER


def kind_of(checkpoint: dict) -> RunKind:
    name = name_of(checkpoint)
    try:
        return _KINDS[name]
    except KeyError:
        raise RunError(f"This run holds a kind of model this TransferLab does not know ({name!r}); "
                       "it may come from a newer version.") from None


def names() -> list[str]:
    return sorted(_KINDS)
