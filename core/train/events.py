"""What a training run tells the outside world: frozen dataclasses of plain values.

No tensors, no numpy arrays, no Qt: an event can cross a thread boundary (the GUI re-emits them as
Qt signals), be printed as JSON by the CLI, or be compared in a test.

Callbacks are modelled on Lightning Fabric's ``fabric.call(hook, ...)``: a callback is any object
with ``on_event(event)`` and/or a method per hook (``on_fit_start``, ``on_batch_end``, ...), or a
plain function taking the event.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FitStart:
    run_id: str
    run_dir: str
    config: dict[str, Any]  # the resolved TrainConfig (mode chosen, defaults filled in)
    train_size: int
    val_size: int
    class_names: tuple[str, ...]
    device: str
    precision: str
    mode: str
    mode_reason: str  # why this mode: the words auto used, or "chosen in the settings"
    resumed_from_epoch: int = 0  # epochs already done when resuming from last.pt
    world_size: int = 1


@dataclass(frozen=True)
class BatchEnd:
    step: int  # optimizer steps since the start of the run
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    batches: int  # in this epoch
    loss: float
    lr: float  # the head's learning rate
    items_per_s: float


@dataclass(frozen=True)
class EmbedProgress:
    """Frozen-backbone embeddings being computed (probe mode): throttled to a few a second."""

    done: int  # inputs embedded or read from the cache so far
    total: int  # inputs: the samples and, where the probe learns from them, their altered views
    per_second: float  # inputs computed per second (cache reads excluded)
    seconds_left: float | None  # None until a rate is known
    views: int = 0  # how many of ``total`` are altered views of the samples (core.probe.views)


@dataclass(frozen=True)
class EpochEnd:
    epoch: int  # 1-based
    epochs: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    per_class_val_acc: dict[str, float]  # NaN-free: classes without validation samples are left out
    seconds: float
    lr: float
    is_best: bool
    stage: str = ""  # e.g. "head warm-up", "top 3 blocks", "all layers", "linear probe"
    label_sets_val_acc: dict[str, float] = field(default_factory=dict)  # multi-task: each extra set's


@dataclass(frozen=True)
class CheckpointSaved:
    epoch: int
    path: str
    kind: str  # "last" | "best"


@dataclass(frozen=True)
class FitEnd:
    run_id: str
    status: str  # "completed" | "early_stopped" | "cancelled"
    best_epoch: int  # 0 when no epoch finished
    epochs_done: int
    metrics: dict[str, float]  # best val_acc / val_loss, and the train figures of that epoch
    run_dir: str
    best_path: str | None
    last_path: str | None
    seconds: float
    skipped_files: int = 0
    batch_size: int = 0  # at the end (smaller than asked after an out-of-memory backoff)
    details: dict[str, Any] = field(default_factory=dict)  # what a run built without epochs adds (core.train.built_runs)


@dataclass(frozen=True)
class Warning:  # noqa: A001 - the event's natural name; never imported unqualified next to builtins
    message: str
    kind: str = "general"  # "skipped_file" | "oom_backoff" | "data" | "general"


@dataclass(frozen=True)
class Failure:
    message: str  # a sentence for the person
    detail: str = ""  # traceback or technical detail, for a "details" button / --debug


Event = FitStart | BatchEnd | EmbedProgress | EpochEnd | CheckpointSaved | FitEnd | Warning | Failure

HOOKS = {
    FitStart: "on_fit_start",
    BatchEnd: "on_batch_end",
    EmbedProgress: "on_embed_progress",
    EpochEnd: "on_epoch_end",
    CheckpointSaved: "on_checkpoint_saved",
    FitEnd: "on_fit_end",
    Warning: "on_warning",
    Failure: "on_failure",
}


def to_dict(event) -> dict[str, Any]:
    """Plain dict with the event's type name, for JSON lines and logs."""
    return {"event": type(event).__name__, **dataclasses.asdict(event)}


@dataclass
class Callbacks:
    """The callback list of a run; ``call`` delivers one event to every callback, in order."""

    items: list = field(default_factory=list)

    def call(self, event) -> None:
        hook = HOOKS[type(event)]
        for cb in self.items:
            method = getattr(cb, hook, None)
            if method is not None:
                method(event)
            on_event = getattr(cb, "on_event", None)
            if on_event is not None:
                on_event(event)
            elif method is None and callable(cb):
                cb(event)


class Recorder:
    """A callback that keeps every event (tests, the CLI's --json summary, a GUI history view)."""

    def __init__(self):
        self.events: list = []

    def on_event(self, event) -> None:
        self.events.append(event)

    def of(self, kind) -> list:
        return [e for e in self.events if isinstance(e, kind)]
