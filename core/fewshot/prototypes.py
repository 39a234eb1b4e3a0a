"""Prototype head, building it from a project's labelled samples, and saving it as a run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from core import backbones, features
from core.errors import TransferLabError
from core.fewshot.maths import (DEFAULT_SCALE, held_out_accuracy, leave_one_out,  # noqa: F401 - part of this API
                                leave_one_out_probabilities, prototypes_from)
from core.run_kinds import RunKind, register
from core.train.built_runs import cancelled_build, save_built_run
from core.train.events import FitEnd
from core.weights import load_pretrained


class PrototypeHead(nn.Module):
    def __init__(self, prototypes: torch.Tensor, scale: float = DEFAULT_SCALE):
        super().__init__()
        self.register_buffer("prototypes", F.normalize(prototypes.float(), dim=-1))
        self.register_buffer("scale", torch.tensor(float(scale)))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.scale * F.normalize(features, dim=-1) @ self.prototypes.T


class PrototypeClassifier(nn.Module):
    """``backbone(*inputs)`` -> L2-normalised features -> cosine to each class prototype -> logits."""

    def __init__(self, backbone: nn.Module, prototypes: torch.Tensor, scale: float = DEFAULT_SCALE):
        super().__init__()
        self.backbone = backbone
        self.head = PrototypeHead(prototypes, scale)

    def forward(self, *inputs):
        return self.head(self.backbone(*inputs))

    def forward_features(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)


@dataclass
class Prototypes:
    class_names: list[str]
    vectors: np.ndarray  # [C, D], L2-normalised
    counts: list[int]  # examples per class
    leave_one_out_accuracy: float | None  # None when no class has two examples
    # content hash -> probabilities from the prototypes built without that example (classes of two or more)
    held_out: dict = field(default_factory=dict)


def build_prototypes(project, spec=None, *, model=None, splits=("train", "val"), min_classes: int = 1,
                     progress=None, should_stop=None,
                     scale: float = DEFAULT_SCALE) -> tuple[Prototypes, object, object] | None:
    """(prototypes, spec, backbone) from the labelled samples of ``splits`` (cached embeddings);
    None when ``should_stop()`` turned true while samples were embedded. ``min_classes``: fewer
    classes with an example is a sentence (the app asks for two; the command line takes one)."""
    spec = spec or backbones.default_for(project.task)
    samples = [s for s in project.samples(status="ok") if s.label is not None and s.split in splits]
    class_names = [c for c in project.class_names() if any(s.label == c for s in samples)]
    if not class_names:
        raise TransferLabError("Label at least one example of a class to build a few-shot model.")
    if len(class_names) < min_classes:
        raise TransferLabError("A few-shot model needs labelled examples of at least two classes "
                               "(among the training and validation samples).")
    index = {c: k for k, c in enumerate(class_names)}
    backbone = model or load_pretrained(spec)

    found = features.extract(spec, [(s.hash, features.sample_source(project, spec, s)) for s in samples],
                             cache_dir=project.cache_dir, model=backbone, progress=progress, should_stop=should_stop)
    if should_stop is not None and should_stop():
        return None
    row = {h: i for i, h in enumerate(found.hashes)}
    kept = [s for s in samples if s.hash in row]
    if not kept:
        raise TransferLabError("None of the labelled samples could be read to build a few-shot model.")
    emb = found.vectors[[row[s.hash] for s in kept]]
    labels = np.array([index[s.label] for s in kept])
    protos = prototypes_from(emb, labels, len(class_names))
    counts = np.bincount(labels, minlength=len(class_names)).tolist()
    held = leave_one_out_probabilities(emb, labels, len(class_names), scale)  # as the saved head scales
    accuracy = held_out_accuracy(held, labels, len(class_names))
    held_out = {s.hash: [round(float(v), 6) for v in p] for s, p in zip(kept, held) if not np.isnan(p).any()}
    return Prototypes(class_names, protos, counts, accuracy, held_out if accuracy is not None else {}), spec, backbone


def fewshot_run(project, spec=None, *, scale: float = DEFAULT_SCALE, min_classes: int = 1,
                progress=None, should_stop=None) -> FitEnd:
    """Build the prototype model from every labelled train/val sample and save it as a run; a
    cancelled result (nothing saved) when ``should_stop()`` turned true while samples were embedded.
    ``metrics["val_acc"]`` is the leave-one-out accuracy (absent when no class has two examples)."""
    started = time.perf_counter()
    built = build_prototypes(project, spec, min_classes=min_classes, progress=progress, should_stop=should_stop,
                             scale=scale)
    if built is None:
        return cancelled_build(started)
    protos, spec, backbone = built
    model = PrototypeClassifier(backbone, torch.from_numpy(protos.vectors), scale)
    metrics = ({"val_acc": protos.leave_one_out_accuracy, "val_estimate": "leave-one-out"}
               if protos.leave_one_out_accuracy is not None else {})
    return save_built_run(
        project, PROTOTYPES, model, spec, config={"backbone": spec.name, "mode": "fewshot", "scale": scale},
        class_names=protos.class_names, mode_reason="prototypes of the labelled examples (no training)",
        metrics=metrics, started=started, info={"examples_per_class": protos.counts},
        row={"examples_per_class": protos.counts},
        held_out=("leave-one-out", protos.held_out) if protos.held_out else None,
        details={"device": "cpu", "class_names": protos.class_names, "examples_per_class": protos.counts})


def _write(model: PrototypeClassifier) -> dict:
    return {"model": model.state_dict()}


def _read(checkpoint: dict, spec) -> PrototypeClassifier:
    return PrototypeClassifier(spec.build(), torch.zeros(len(checkpoint["class_names"]), spec.feature_dim))


PROTOTYPES = register(RunKind("prototype", _write, _read))
