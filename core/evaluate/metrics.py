"""Classification metrics from labels and predicted probabilities (numpy only).

Everything a person needs to judge a model: accuracy, balanced accuracy (fair when classes are
unequal in size), per-class precision / recall / F1 / support, the confusion matrix, expected
calibration error (do 90% confidences come true 90% of the time?), and the mistakes ranked by loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ClassMetrics:
    name: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Mistake:
    index: int  # position in the evaluated arrays (the caller maps it to a sample)
    true_label: str
    predicted_label: str
    confidence: float  # of the predicted label
    loss: float  # cross-entropy of the true label


@dataclass(frozen=True)
class Evaluation:
    classes: list[str]
    count: int
    accuracy: float
    balanced_accuracy: float
    loss: float
    ece: float
    per_class: list[ClassMetrics]
    confusion: list[list[int]]  # rows: true class, columns: predicted class
    mistakes: list[Mistake] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "classes": list(self.classes),
            "count": self.count,
            "accuracy": self.accuracy,
            "balanced_accuracy": self.balanced_accuracy,
            "loss": self.loss,
            "ece": self.ece,
            "per_class": [vars(c).copy() for c in self.per_class],
            "confusion": [list(r) for r in self.confusion],
            "mistakes": [vars(m).copy() for m in self.mistakes],
        }


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return cm


def expected_calibration_error(probs: np.ndarray, y_true: np.ndarray, bins: int = 15) -> float:
    """Weighted mean gap between confidence and accuracy over equal-width confidence bins."""
    if len(y_true) == 0:
        return 0.0
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_true
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def evaluate(probs: np.ndarray, y_true: np.ndarray, classes: list[str], *, max_mistakes: int = 200) -> Evaluation:
    """``probs``: [N, C] probabilities; ``y_true``: [N] class indices into ``classes``."""
    probs = np.asarray(probs, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.int64)
    n, c = len(y_true), len(classes)
    if probs.shape != (n, c):
        raise ValueError(f"probabilities have shape {probs.shape}, expected {(n, c)}")
    y_pred = probs.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)
    cm = confusion_matrix(y_true, y_pred, c)
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = np.divide(tp, predicted, out=np.zeros(c), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(c), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(c), where=(precision + recall) > 0)
    present = support > 0
    true_p = np.clip(probs[np.arange(n), y_true], 1e-12, 1.0) if n else np.zeros(0)
    losses = -np.log(true_p)
    wrong = np.flatnonzero(y_pred != y_true)
    ranked = wrong[np.argsort(-losses[wrong], kind="stable")][:max_mistakes]
    mistakes = [
        Mistake(int(i), classes[y_true[i]], classes[y_pred[i]], float(probs[i, y_pred[i]]), float(losses[i]))
        for i in ranked
    ]
    return Evaluation(
        classes=list(classes),
        count=int(n),
        accuracy=float(tp.sum() / n) if n else 0.0,
        balanced_accuracy=float(recall[present].mean()) if present.any() else 0.0,
        loss=float(losses.mean()) if n else 0.0,
        ece=expected_calibration_error(probs, y_true),
        per_class=[
            ClassMetrics(classes[k], float(precision[k]), float(recall[k]), float(f1[k]), int(support[k]))
            for k in range(c)
        ],
        confusion=cm.tolist(),
        mistakes=mistakes,
    )
