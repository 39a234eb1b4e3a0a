"""The prototype maths in numpy alone (no torch): class means of unit embeddings, cosine scores,
and the leave-one-out check. The saved run (prototypes.py) and the quick model (quick.py) share it."""

from __future__ import annotations

import numpy as np

DEFAULT_SCALE = 16.0  # cosine similarities (within [-1, 1]) times this become the logits


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero)."""
    return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)


def prototypes_from(embeddings: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    protos = np.zeros((n_classes, embeddings.shape[1]), dtype=np.float32)
    normed = unit(embeddings)
    for k in range(n_classes):
        if (labels == k).any():
            protos[k] = normed[labels == k].mean(axis=0)
    return unit(protos)


def cosine_probabilities(embeddings: np.ndarray, prototypes: np.ndarray, scale: float = DEFAULT_SCALE) -> np.ndarray:
    """softmax(scale * cosine(embedding, prototype)) per row: what the exported prototype head computes."""
    logits = scale * (unit(np.asarray(embeddings, dtype=np.float32)) @ np.asarray(prototypes, dtype=np.float32).T)
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def leave_one_out_probabilities(embeddings: np.ndarray, labels: np.ndarray, n_classes: int,
                                scale: float = DEFAULT_SCALE) -> np.ndarray:
    """[N, K] each example's probabilities from the prototypes built without it (the saved head's
    softmax of scaled cosines; a class left without examples gets 0); NaN rows for examples that are
    their class's only one, which nothing can judge."""
    normed = unit(np.asarray(embeddings, dtype=np.float64))
    sums = np.zeros((n_classes, normed.shape[1]))
    counts = np.bincount(labels, minlength=n_classes)
    np.add.at(sums, labels, normed)
    out = np.full((len(labels), n_classes), np.nan)
    for i in range(len(labels)):
        k = labels[i]
        if counts[k] < 2:
            continue
        protos = sums.copy()
        protos[k] -= normed[i]
        present = counts.copy()
        present[k] -= 1
        logits = scale * (unit(protos) @ normed[i])
        logits[present == 0] = -np.inf
        logits -= logits.max()
        out[i] = np.exp(logits) / np.exp(logits).sum()
    return out


def leave_one_out(embeddings: np.ndarray, labels: np.ndarray, n_classes: int) -> float | None:
    """Accuracy when each example is classified by prototypes built without it (classes that keep
    at least one other example only): an honest score for a model that has no training split.
    None when fewer than two classes have examples: a model of one class is always right, which
    measures nothing."""
    return held_out_accuracy(leave_one_out_probabilities(embeddings, labels, n_classes), labels, n_classes)


def held_out_accuracy(probs: np.ndarray, labels: np.ndarray, n_classes: int) -> float | None:
    """The accuracy of leave_one_out_probabilities' judged rows (not NaN); None where fewer than two
    classes have examples or no row could be judged."""
    if np.count_nonzero(np.bincount(labels, minlength=n_classes)) < 2:
        return None
    judged = ~np.isnan(probs).any(axis=1)
    return float((probs[judged].argmax(1) == labels[judged]).mean()) if judged.any() else None
