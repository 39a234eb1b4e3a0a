"""One training epoch and one evaluation pass: the inner loops, shared by every mode.

Pause and cancel are checked before every batch (so cancel takes effect within one batch). A CUDA
out-of-memory error halves the batch size, and the same samples are tried again in smaller batches;
``faults`` lets tests raise a real ``torch.OutOfMemoryError`` on a CPU-only machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch.nn import functional as F

from core.errors import TransferLabError
from core.train import events
from core.train.device import autocast, free_memory, is_out_of_memory
from core.train.model import apply_lr


@dataclass
class LoopState:
    """What changes while training (and goes into the checkpoint)."""

    step: int = 0
    batch_size: int = 32
    epochs: int = 1
    schedule: str = "onecycle"
    progress: float = 0.0


@dataclass
class EpochStats:
    """Loss and hits summed on the training device: reading a value back forces the host to wait
    for the device, so the loop does it only when an event needs a number (throttled BatchEnd) and
    once at the end of the epoch (``finish``), never per batch."""

    loss_sum: torch.Tensor | None = None
    correct_sum: torch.Tensor | None = None
    seen: int = 0
    cancelled: bool = False
    failed_indices: set = field(default_factory=set)
    loss: float = 0.0
    correct: int = 0

    def add(self, loss: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor, n: int) -> None:
        with torch.no_grad():
            batch_loss = loss.detach() * n
            hits = (logits.detach().argmax(dim=1) == targets).sum()
            if self.loss_sum is None:
                self.loss_sum, self.correct_sum = batch_loss.float(), hits
            else:
                self.loss_sum += batch_loss
                self.correct_sum += hits
        self.seen += n

    def finish(self) -> EpochStats:
        if self.loss_sum is not None:
            self.loss, self.correct = float(self.loss_sum), int(self.correct_sum)
        return self

    @property
    def mean_loss(self) -> float:
        return self.loss / self.seen if self.seen else float("nan")

    @property
    def accuracy(self) -> float:
        return self.correct / self.seen if self.seen else float("nan")


class BatchThrottle:
    """At most one BatchEnd every ``interval`` seconds, plus the last batch of each epoch."""

    def __init__(self, interval: float):
        self.interval = interval
        self.last = float("-inf")

    def due(self, is_last: bool) -> bool:
        now = time.perf_counter()
        if is_last or now - self.last >= self.interval:
            self.last = now
            return True
        return False


@dataclass(frozen=True)
class TrainLoop:
    """What every training epoch of a run works with (the changing part is ``state``)."""

    optimizer: torch.optim.Optimizer
    criterion: Callable
    state: LoopState
    control: object  # TrainControl: pause and cancel
    emit: Callable
    throttle: BatchThrottle
    device: torch.device
    precision: str
    faults: Callable[[int], None] | None = None  # called before every batch; tests raise out-of-memory errors
    agree: Callable[[bool], bool] | None = None  # under DDP: True on every rank when one rank's flag is True


class NewFailures:
    """``on_new_failures`` of the loops: each file of ``source`` that failed to decode is handed to
    ``report(item, reason)`` once, however many passes meet it (calibration, epochs, validation)."""

    def __init__(self, source, report: Callable):
        self.source, self.report = source, report
        self.reported: set[int] = set()

    def __call__(self) -> None:
        for index, reason in list(self.source.failed.items()):
            if index not in self.reported:
                self.reported.add(index)
                self.report(self.source.store.items[index], reason)


def train_epoch(loop: TrainLoop, *, epoch: int, order: list[int], source, forward: Callable, gen: torch.Generator,
                on_new_failures: Callable) -> EpochStats:
    """One pass over ``order`` (indices into ``source``), a step a batch."""
    state, optimizer, criterion, agree = loop.state, loop.optimizer, loop.criterion, loop.agree
    stats = EpochStats()
    total = len(order)
    pos = 0
    started = time.perf_counter()
    batches = -(-total // state.batch_size)
    batch_no = 0
    while pos < total:
        stop = loop.control.wait_if_paused()
        if agree is not None:
            stop = agree(stop)
        if stop:
            stats.cancelled = True
            return stats.finish()
        idx = order[pos:pos + state.batch_size]
        nxt = order[pos + len(idx):pos + len(idx) + state.batch_size]
        try:
            if loop.faults is not None:
                loop.faults(len(idx))
            inputs, targets, kept = source.fetch(idx, gen, True)
            if nxt:
                source.prefetch(nxt)
            on_new_failures()
            if len(kept) == 0:
                pos += len(idx)
                continue
            lr = apply_lr(optimizer, state.schedule, (epoch + pos / total) / state.epochs)
            with autocast(loop.device, loop.precision):
                logits = forward(*inputs)
            loss = criterion(logits.float(), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        except Exception as exc:
            if not is_out_of_memory(exc) or state.batch_size == 1:
                raise
            if agree is not None:
                # Under DDP every process must run the same number of steps with the same gradient
                # buckets: one process halving its batch alone would leave the others waiting in an
                # all-reduce forever. Stop all of them with a sentence instead (torchrun ends the rest).
                raise TransferLabError(
                    f"A GPU ran out of memory with batches of {state.batch_size} while training on several "
                    f"GPUs; start again with a smaller batch, e.g. --batch-size {max(1, state.batch_size // 2)}.",
                    detail=str(exc)) from None
            optimizer.zero_grad(set_to_none=True)
            free_memory(loop.device)
            old = state.batch_size
            state.batch_size = max(1, old // 2)
            batches = batch_no + -(-(total - pos) // state.batch_size)
            loop.emit(events.Warning(f"The GPU ran out of memory with batches of {old}; continuing with "
                                     f"batches of {state.batch_size}.", kind="oom_backoff"))
            continue
        n = len(kept)
        pos += len(idx)
        batch_no += 1
        state.step += 1
        state.progress = (epoch + pos / total) / state.epochs
        main = getattr(criterion, "main", None)  # multi-task: the main label set's logits and targets
        stats.add(loss, *(main(logits, targets) if main is not None else (logits, targets)), n)
        if loop.throttle.due(pos >= total):
            loss_value = float(loss.detach())  # the one host-device sync, only when an event goes out
            elapsed = max(time.perf_counter() - started, 1e-9)
            loop.emit(events.BatchEnd(step=state.step, epoch=epoch + 1, batch=batch_no, batches=max(batches, batch_no),
                                      loss=loss_value, lr=float(lr), items_per_s=stats.seen / elapsed))
    return stats.finish()


@torch.no_grad()
def evaluate(*, source, forward: Callable, classes: int, batch_size: int, device: torch.device,
             precision: str, on_new_failures: Callable, control=None, layout=None) -> dict:
    """Loss (plain cross-entropy, no smoothing: comparable between runs), accuracy and accuracy per
    class on every item of ``source``, in order, without augmentation. Sums stay on the device
    until the end (one sync per evaluation, not per batch).

    ``layout`` (a multi-task TaskLayout): the figures are the main label set's, and "tasks" holds
    each extra set's (core.train.tasks.task_metrics), from logits kept until the end."""
    kept_logits, kept_targets = [], []
    total_loss = torch.zeros((), device=device)  # float32: MPS has no float64
    hits = torch.zeros(classes, dtype=torch.long, device=device)
    counts = torch.zeros(classes, dtype=torch.long, device=device)
    seen = 0
    n = len(source)
    for start in range(0, n, batch_size):
        if control is not None and control.cancelled:
            break
        idx = list(range(start, min(n, start + batch_size)))
        inputs, targets, kept = source.fetch(idx, None, False)
        on_new_failures()
        if not kept:
            continue
        with autocast(device, precision):
            logits = forward(*inputs)
        logits = logits.float()
        if layout is not None and layout.multi:
            kept_logits.append(logits)
            kept_targets.append(targets)
            logits, targets = logits[:, :classes], targets[:, 0]
        total_loss += F.cross_entropy(logits, targets, reduction="sum")
        ok = logits.argmax(dim=1) == targets
        seen += len(kept)
        counts += torch.bincount(targets, minlength=classes)
        hits += torch.bincount(targets[ok], minlength=classes)
    hits, counts = hits.cpu(), counts.cpu()
    per_class = {k: float(hits[k]) / float(counts[k]) for k in range(classes) if counts[k] > 0}
    result = {
        "loss": float(total_loss) / seen if seen else float("nan"),
        "acc": int(hits.sum()) / seen if seen else float("nan"),
        "per_class": per_class,
        "seen": seen,
    }
    if layout is not None and layout.multi:
        from core.train.tasks import task_metrics

        result["tasks"] = task_metrics(layout, torch.cat(kept_logits), torch.cat(kept_targets)) if kept_logits else {}
    return result
