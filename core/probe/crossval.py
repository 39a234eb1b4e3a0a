"""Model choice by k-fold cross-validation on the labelled samples.

With a few labelled samples per class, a fixed validation split of two samples a class is a coin
toss: the choice it makes and the accuracy it reports are both noise. Cross-validation uses every
sample for both, and the final model is then refit on all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from core.probe.logistic import Solution, fit

STRENGTHS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)  # scikit-learn's C, on standardised features
MAX_FOLDS = 5
FEWER_FOLDS_FROM = 50  # samples in the smallest class from which 3 folds are used


def stratified_folds(y: np.ndarray, k: int, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """A fold number per row: each class dealt round-robin over the folds in a seeded order, so
    every fold holds about the same share of every class. Rows of one group (views of one sample)
    share a fold."""
    rng = np.random.default_rng(seed)
    keys = groups if groups is not None else np.arange(len(y))
    fold_of_key: dict[int, int] = {}
    for c in np.unique(y):
        members = np.unique(keys[y == c])
        rng.shuffle(members)
        start = int(rng.integers(k))
        for i, key in enumerate(members):
            fold_of_key[int(key)] = (start + i) % k
    return np.array([fold_of_key[int(key)] for key in keys])


def fold_count(y: np.ndarray, groups: np.ndarray | None = None) -> int:
    """Folds for these labels: at most MAX_FOLDS, at most the smallest class's sample count (every
    class must be left out somewhere and learnt everywhere); 0 when a class has a single sample."""
    keys = groups if groups is not None else np.arange(len(y))
    smallest = min(len(np.unique(keys[y == c])) for c in np.unique(y))
    if smallest < 2:
        return 0
    # with 50 or more a class, three folds still leave a third of each class to judge by, and cost
    # half as many fits as five
    return min(MAX_FOLDS if smallest < FEWER_FOLDS_FROM else 3, smallest)


@dataclass
class Choice:
    strength: float
    accuracy: float | None  # cross-validated; None where there were too few samples to validate
    folds: int
    scores: dict = field(default_factory=dict)  # strength -> (accuracy, log loss)
    # probabilities [N, K] of each scored row by the model (at the chosen strength) that did not
    # see it; rows that were not scored hold NaN. None where nothing was validated.
    held_out: np.ndarray | None = None
    start: object | None = None  # logistic.Solution near the final one (the folds' mean): a warm start


def choose_strength(x: torch.Tensor, y: np.ndarray, classes: int, *, groups: np.ndarray | None = None,
                    sample_weight: np.ndarray | None = None, strengths=None, seed: int = 0,
                    default: float = 0.1, eval_mask: np.ndarray | None = None,
                    offset: torch.Tensor | None = None, precondition: bool = False) -> Choice:
    """The regularisation strength with the best cross-validated accuracy (ties: lower log loss).

    Each fold solves the strengths from the strongest regularisation to the weakest, each starting
    from the previous solution (few steps each); all of them, though the weakest are the slowest to
    fit: stopping once the estimate had fallen at two strengths in a row saved a quarter of a
    2,000-picture probe's cross-validation and changed the choice wherever it rises again (not
    kept). ``eval_mask``: rows that count when scoring a fold (augmented views train but are not
    scored). ``offset``, ``precondition``: see ``logistic.fit`` (rows reduced to their span: the
    folds' rows keep nearly orthogonal columns)."""
    k = fold_count(y, groups)
    if k == 0:
        return Choice(default, None, 0)
    folds = stratified_folds(y, k, seed, groups)
    scored = np.ones(len(y), bool) if eval_mask is None else eval_mask
    yt = torch.from_numpy(y).long()
    weight = None if sample_weight is None else torch.from_numpy(np.asarray(sample_weight, dtype=np.float64))
    order = sorted(strengths or STRENGTHS)
    hits = {c: 0.0 for c in order}
    losses = {c: 0.0 for c in order}
    held_out = {c: np.full((len(y), classes), np.nan, np.float32) for c in order}
    sums = {}
    count = 0
    for f in range(k):
        train = torch.from_numpy(folds != f)
        test = torch.from_numpy((folds == f) & scored)
        # the fold's rows taken once, not at every strength (24 copies of up to 1,200 x 3,376 a column set)
        xf, yf = x[train], yt[train]
        wf = None if weight is None else weight[train]
        of = None if offset is None else offset[train]
        start = None
        for c in order:
            start = fit(xf, yf, classes, c, wf, offset=of, start=start, tol=1e-4, max_iter=200,
                        precondition=precondition)
            w, b = sums.get(c, (0.0, 0.0))
            sums[c] = (w + start.weight, b + start.bias)
            with torch.no_grad():
                logits = x[test] @ start.weight + start.bias
                if offset is not None:
                    logits = logits + offset[test]
                logp = torch.log_softmax(logits, -1)
                hits[c] += float((logp.argmax(1) == yt[test]).sum())
                losses[c] += float(-logp.gather(1, yt[test][:, None]).sum())
                held_out[c][test.numpy()] = logp.exp().float().numpy()
        del xf, wf, of
        count += int(test.sum())
    scores = {c: (hits[c] / max(count, 1), losses[c] / max(count, 1)) for c in order}
    best = max(order, key=lambda c: (scores[c][0], -scores[c][1]))
    mean = Solution(sums[best][0] / k, sums[best][1] / k, 0, False)
    return Choice(best, scores[best][0], k, scores, held_out[best], mean)
