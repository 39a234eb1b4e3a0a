"""The trained classifier as a run kind: what its checkpoint holds beside what every run shares
(core.run_kinds), and how its model is built back to load those weights."""

from __future__ import annotations

from core.run_kinds import CLASSIFIER, RunKind, register
from core.train.model import Classifier


def _write(model: Classifier) -> dict:
    return {"model": model.state_dict()}


def _read(checkpoint: dict, spec) -> Classifier:
    # a multi-task model's head is one linear layer as wide as every label set's classes together
    width = len(checkpoint["class_names"]) + sum(len(d["class_names"]) for d in checkpoint.get("label_sets") or [])
    dropout = float((checkpoint.get("config") or {}).get("dropout", 0.0))
    backbone = spec.build()
    if checkpoint.get("levels"):  # a probe on features pooled from every level
        backbone.pool_levels(levels=checkpoint["levels"], dims=checkpoint["level_dims"],
                             grid=int(checkpoint.get("level_grid") or 0), maxed=bool(checkpoint.get("level_max")))
    return Classifier(backbone, backbone.pooled_dim or spec.feature_dim, width, dropout)


TRAINED = register(RunKind(CLASSIFIER, _write, _read))
