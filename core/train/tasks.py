"""Multi-task training: one shared backbone, one linear head per label set, trained jointly.

The heads are the column blocks of one wide linear layer (the main set's classes first, then each
extra set's), so a multi-task model is the ordinary Classifier with a wider head: the same
checkpoints, standardisation, unfreezing and learning rates. What differs is the loss (the sum of
each set's cross-entropy over the samples labelled in it; a sample missing a label in a set is
ignored there, target -1), the metrics per set, and the export, which has one output per set.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

MISSING = -1  # target of a sample not labelled in a set


@dataclass(frozen=True)
class TaskLayout:
    """Where each label set's logits are in the head's output."""

    names: tuple[str, ...]  # the main set first
    sizes: tuple[int, ...]  # classes per set

    @property
    def width(self) -> int:
        return sum(self.sizes)

    @property
    def multi(self) -> bool:
        return len(self.sizes) > 1

    def slices(self) -> list[slice]:
        out, start = [], 0
        for n in self.sizes:
            out.append(slice(start, start + n))
            start += n
        return out

    def split(self, logits: torch.Tensor) -> list[torch.Tensor]:
        return [logits[..., s] for s in self.slices()]


class MultiTaskLoss(nn.Module):
    """Sum over label sets of the cross-entropy of the samples labelled in that set.

    ``weights[t]``: per-class weights of set t (class balancing) or None. ``main(logits, targets)``
    gives the main set's logits and targets, which the training loop counts as the run's accuracy."""

    def __init__(self, layout: TaskLayout, weights: list[torch.Tensor | None], label_smoothing: float):
        super().__init__()
        self.layout = layout
        self.weights = weights
        self.label_smoothing = label_smoothing

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Each set's mean is its summed loss over the total weight of its labelled samples (what
        reduction="mean" divides by), computed on the device: asking whether a batch has labels
        in a set would wait for the device every batch. A set with none adds 0."""
        total = logits.new_zeros(())
        for t, (part, weight) in enumerate(zip(self.layout.split(logits), self.weights)):
            target = targets[:, t]
            labelled = target != MISSING
            summed = F.cross_entropy(part, target, weight=weight, ignore_index=MISSING,
                                     label_smoothing=self.label_smoothing, reduction="sum")
            w = labelled.float() if weight is None else weight[target.clamp(min=0)] * labelled
            total = total + summed / w.sum().clamp(min=torch.finfo(w.dtype).tiny)
        return total

    def main(self, logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return logits[:, : self.layout.sizes[0]], targets[:, 0]


def class_weights(targets: torch.Tensor, classes: int) -> torch.Tensor:
    """Inverse-frequency weights (mean 1 over the classes present), 0 for absent classes."""
    present = targets[targets != MISSING]
    counts = torch.bincount(present, minlength=classes).float()
    return (counts.sum() / (classes * counts.clamp(min=1))).where(counts > 0, torch.zeros(()))


@torch.no_grad()
def task_metrics(layout: TaskLayout, logits: torch.Tensor, targets: torch.Tensor) -> dict[str, dict]:
    """{set name: {"acc", "loss", "per_class", "seen"}} for each extra set (the main one is the
    run's own metrics), on the samples labelled in that set."""
    out = {}
    parts = layout.split(logits)
    for t in range(1, len(layout.sizes)):
        target = targets[:, t]
        mask = target != MISSING
        n = int(mask.sum())
        if n == 0:
            out[layout.names[t]] = {"acc": float("nan"), "loss": float("nan"), "per_class": {}, "seen": 0}
            continue
        part, target = parts[t][mask], target[mask]
        hit = part.argmax(1) == target
        per_class = {}
        for k in range(layout.sizes[t]):
            sel = target == k
            if bool(sel.any()):
                per_class[k] = float(hit[sel].float().mean())
        out[layout.names[t]] = {"acc": float(hit.float().mean()), "loss": float(F.cross_entropy(part, target)),
                                "per_class": per_class, "seen": n}
    return out
