"""Unsupervised domain adaptation of a linear head carried over from a source run: batch-norm
statistics re-estimated on the target's samples (AdaBN, Li et al. 2016), then self-training of the
head on the target's unlabelled samples. Pure tensors here; core.train.adapt runs it in a run.

- ``adabn(backbone, batches)``: every batch-norm layer's running mean and variance are measured
  afresh on the target's pictures or sounds (a cumulative average over the batches, gradients off,
  every other layer in eval mode): the layers above see activations normalised as they were on the
  source domain. Nothing else in the network changes.
- ``self_train``: the source head (on features standardised with the target's own statistics, the
  same idea one layer up) guesses the class of every unlabelled target sample; each class's most
  confident guesses, at most ``SHARE`` of an even share of the samples (so a class the shifted model
  over-predicts cannot swamp the others), are learnt by a new logistic head; ``ROUNDS`` rounds, each
  taking a larger part of that share, guesses made again by the newest head. With a few target
  labels they are learnt too and weigh as much in total as the guesses.

The rule above is fixed (not tuned per project). With a few labels core.train.adapt judges it by
cross-validation against the labelled samples alone; with none it is not used by default
(core.train.adapt.SELF_TRAIN_WITHOUT_LABELS: it lost against AdaBN alone on 3 of 6 benchmark pairs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.probe.logistic import Solution, fit, reduce
from core.probe.solve import balanced_weights

ROUNDS = 3
# of an even share of the unlabelled samples a class may contribute in the last round: all of it
# (as core.probe.semi); on clean -> blurred shapes half of it reached 75.0% and all of it 82.2%
# (bench/results/adapt_blur_diagnosis.txt)
SHARE = 1.0


def batch_norms(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def has_batch_norm(module: nn.Module) -> bool:
    return bool(batch_norms(module))


def adabn(backbone: nn.Module, batches) -> int:
    """Re-measure every batch-norm layer's running statistics on ``batches`` (tuples of inputs for
    ``backbone``), in place; returns the samples seen. The learnt scale and shift, the weights and
    every other buffer stay as they were."""
    norms = batch_norms(backbone)
    was_training = backbone.training
    momenta = [m.momentum for m in norms]
    seen = 0
    try:
        backbone.eval()  # dropout and the like stay off: only the statistics are measured
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the batches, not an exponential one
            m.train()
        with torch.no_grad():
            for batch in batches:
                backbone(*batch)
                seen += int(batch[0].shape[0])
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        backbone.train(was_training)
    return seen


@dataclass
class SelfTrained:
    weight: torch.Tensor  # [D, K] in the given (standardised) feature space
    bias: torch.Tensor  # [K]
    pseudo: int  # unlabelled rows learnt with a guessed class in the last round
    per_class: list[int]
    threshold: float | None  # the lowest confidence among those kept
    guesses: dict  # unlabelled row -> guessed class (the kept ones)


def proba(z: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(z.double() @ weight.double() + bias.double(), -1).numpy()


def self_train(zu: torch.Tensor, weight0: torch.Tensor, bias0: torch.Tensor, strength: float, *,
               zl: torch.Tensor | None = None, y: np.ndarray | None = None,
               rounds: int = ROUNDS, share: float = SHARE) -> SelfTrained:
    """``zu`` [M, D] unlabelled rows, ``weight0`` [D, K] / ``bias0`` the head that makes the first
    guesses (the source's), ``zl``/``y`` the labelled target rows if any; all in one standardised
    feature space. Solved in the span of the rows (core.probe.logistic.reduce), exactly."""
    classes = weight0.shape[1]
    n = 0 if zl is None else len(zl)
    rows = zu.double() if not n else torch.cat([zl.double(), zu.double()])
    red = reduce(rows, keep_dtype=True)
    z = red.z
    zl_r, zu_r = z[:n], z[n:]
    y = np.zeros(0, np.int64) if y is None else np.asarray(y, dtype=np.int64)
    weight, bias = weight0.double(), bias0.double()
    p = proba(zu, weight, bias)
    sol: Solution | None = None
    keep = np.zeros(len(zu), bool)
    guess, conf = p.argmax(1), p.max(1)
    for r in range(rounds):
        if sol is not None:
            p = proba(zu_r, sol.weight, sol.bias)
            guess, conf = p.argmax(1), p.max(1)
        keep = balanced_top(guess, conf, classes, share * (r + 1) / rounds)
        if not keep.any() and not n:
            break
        sol = _refit(zl_r, y, zu_r, guess, keep, classes, strength, sol)
    if sol is None:  # nothing to learn from: the first head as it was
        return SelfTrained(weight0.float(), bias0.float(), 0, [0] * classes, None, {})
    w = red.to_columns(sol.weight)
    return SelfTrained(w.float(), sol.bias.float(), int(keep.sum()),
                       np.bincount(guess[keep], minlength=classes).tolist(),
                       float(conf[keep].min()) if keep.any() else None,
                       {int(i): int(guess[i]) for i in np.flatnonzero(keep)})


def balanced_top(guess: np.ndarray, conf: np.ndarray, classes: int, share: float) -> np.ndarray:
    """Each class's most confident guesses, at most ``share`` of an even share of the rows."""
    per = int(share * len(guess) / classes)
    keep = np.zeros(len(guess), bool)
    for c in range(classes):
        rows = np.flatnonzero(guess == c)
        keep[rows[np.argsort(-conf[rows], kind="stable")][:per]] = True
    return keep


def _refit(zl, y, zu, guess, keep, classes, strength, start) -> Solution:
    """A head learnt from the kept guesses (each guessed class weighing the same in total) and the
    labelled rows (balanced over classes; as much in total as the guesses)."""
    kept = np.flatnonzero(keep)
    total = float(len(kept)) if len(kept) else float(len(y))
    w_u = balanced_weights(guess[kept], classes)  # sums to len(kept): the total
    parts_z, parts_y, parts_w = [zu[torch.from_numpy(kept)]], [guess[kept]], [w_u]
    if len(y):
        parts_z.insert(0, zl)
        parts_y.insert(0, y)
        parts_w.insert(0, balanced_weights(y, classes) * total / len(y))
    zz = torch.cat(parts_z)
    yy = torch.from_numpy(np.concatenate(parts_y).astype(np.int64))
    ww = torch.from_numpy(np.concatenate(parts_w))
    return fit(zz, yy, classes, strength, ww, start=start, tol=1e-4, max_iter=200)
