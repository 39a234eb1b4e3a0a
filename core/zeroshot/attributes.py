"""Attribute detectors on cached embeddings, and a classifier that scores every described class.

Direct attribute prediction: p(attribute | sample) from a logistic detector per attribute; a class's
score is the log-likelihood of its description, the sum over attributes of log p where the class
has the attribute and log (1 - p) where it has not. Saved as a run (best.pt, head "attributes"), so
evaluation and ONNX export treat it like any other model.

The detectors read features from every level of the backbone (core.zeroshot.levels), because the
final embedding alone has lost the colours and textures attributes are about.
"""

from __future__ import annotations

import time

import torch
from torch import nn
from torch.nn import functional as F

from core import backbones, features
from core.errors import TransferLabError
from core.run_kinds import RunKind, register
from core.train.built_runs import cancelled_build, save_built_run
from core.train.events import FitEnd
from core.weights import load_pretrained
from core.zeroshot.described import too_few_described
from core.zeroshot.levels import MultiLevelFeatures, level_scales


class AttributeHead(nn.Module):
    def __init__(self, feature_dim: int, n_attributes: int, class_matrix: torch.Tensor):
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(feature_dim))
        self.register_buffer("feature_std", torch.ones(feature_dim))
        self.detectors = nn.Linear(feature_dim, n_attributes)
        self.register_buffer("class_matrix", class_matrix.float())  # [classes, attributes] of 0/1

    def attribute_logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.detectors((features - self.feature_mean) / self.feature_std)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        z = self.attribute_logits(features)
        has, lacks = _log_sigmoid(z), _log_sigmoid(-z)  # log p, log (1 - p)
        return has @ self.class_matrix.T + lacks @ (1 - self.class_matrix).T


def _log_sigmoid(z: torch.Tensor) -> torch.Tensor:
    """log(sigmoid(z)) = -(max(-z, 0) + log(1 + exp(-|z|))), finite for every z.

    Written out because F.logsigmoid exports as Log(Sigmoid(z)), and onnxruntime's fast sigmoid
    returns exactly 0 well before float32 must (measured: -inf logits, then NaN probabilities for
    a third of the pictures)."""
    return -(F.relu(-z) + torch.log1p(torch.exp(-z.abs())))


class AttributeClassifier(nn.Module):
    """``backbone`` is a MultiLevelFeatures (a plain FeatureModel in runs made before it)."""

    def __init__(self, backbone: nn.Module, feature_dim: int, n_attributes: int, class_matrix: torch.Tensor):
        super().__init__()
        self.backbone = backbone
        self.head = AttributeHead(feature_dim, n_attributes, class_matrix)

    def forward(self, *inputs):
        return self.head(self.backbone(*inputs))


def _matrix(classes: list[str], attributes: list[str], described: dict[str, list[str]]) -> torch.Tensor:
    m = torch.zeros(len(classes), len(attributes))
    for i, c in enumerate(classes):
        for a in described.get(c, []):
            m[i, attributes.index(a)] = 1.0
    return m


def zeroshot_run(project, spec=None, *, epochs: int = 100, lr: float = 0.01, weight_decay: float = 0.5,
                 all_levels: bool = True, progress=None, should_stop=None) -> FitEnd:
    """Train attribute detectors on the labelled samples of described classes; save a model that
    scores every described class, those without examples included. ``all_levels=False`` reads the
    final features only (the benchmark's reference). ``progress(done, total)`` follows the feature
    extraction; when ``should_stop()`` turns true there, nothing is saved and the result is cancelled.
    ``details`` names the classes with examples, those known by description alone, and the
    attributes that never varied among the classes with examples (nothing to learn them from)."""
    started = time.perf_counter()
    described = project.class_attributes()
    if too_few := too_few_described(described):
        raise TransferLabError(f"{too_few} On the command line: transferlab label attributes DIR CLASS ATTRIBUTE...")
    classes = list(described)
    attributes = sorted({a for attrs in described.values() for a in attrs})
    spec = spec or backbones.default_for(project.task)
    samples = [s for s in project.samples(status="ok") if s.label in described and s.split in ("train", "val")]
    seen = sorted({s.label for s in samples}, key=classes.index)
    unseen = [c for c in classes if c not in seen]
    if not samples:
        raise TransferLabError("No labelled samples of the described classes: the attribute detectors "
                               "need examples of some classes to learn from.")
    flat = [a for a in attributes if len({a in described[c] for c in seen}) < 2]
    backbone = load_pretrained(spec)
    backbone = (MultiLevelFeatures.probe(backbone, spec.preprocessing.example_batch()) if all_levels
                else MultiLevelFeatures(backbone, [], [spec.feature_dim]))
    # Not cached: the embedding cache holds final features only, and these are extracted once per run.
    found = features.extract(spec, [(s.hash, features.sample_source(project, spec, s)) for s in samples], model=backbone,
                             progress=progress, should_stop=should_stop)
    if should_stop is not None and should_stop():
        return cancelled_build(started)
    row = {h: i for i, h in enumerate(found.hashes)}
    kept = [s for s in samples if s.hash in row]
    x = torch.from_numpy(found.vectors[[row[s.hash] for s in kept]])
    if not torch.isfinite(x).all():
        raise TransferLabError("Some embeddings are not finite numbers; the attribute detectors cannot learn from them.")
    matrix = _matrix(classes, attributes, described)
    y = matrix[[classes.index(s.label) for s in kept]]  # each sample's attributes, from its class
    model = AttributeClassifier(backbone, backbone.feature_dim, len(attributes), matrix)
    head = model.head
    mean, scale = level_scales(x, backbone.dims)
    with torch.no_grad():
        head.feature_mean.copy_(mean)
        head.feature_std.copy_(scale)
    # Weight decay keeps the detectors calibrated rather than certain: the scores of a class never
    # seen are sums of their log-probabilities, and overconfident detectors make those sums
    # all-or-nothing.
    optimizer = torch.optim.AdamW(head.detectors.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(head.attribute_logits(x), y)
        loss.backward()
        optimizer.step()
    if not all(torch.isfinite(p).all() for p in head.detectors.parameters()):
        raise TransferLabError("Training the attribute detectors diverged (non-finite weights); "
                               "try fewer epochs or a lower learning rate.")
    with torch.no_grad():
        train_acc = float((head(x).argmax(1) == torch.tensor([classes.index(s.label) for s in kept])).float().mean())
    config = {"backbone": spec.name, "mode": "zeroshot", "attributes": attributes, "levels": backbone.levels,
              "level_dims": backbone.dims}
    return save_built_run(
        project, ATTRIBUTES, model, spec, config=config, class_names=classes,
        mode_reason=f"attribute detectors trained on {', '.join(seen)}; recognises {', '.join(unseen) or 'no'} "
                    "class(es) by description alone",
        metrics={"train_acc": train_acc}, started=started,
        info={"class_attributes": described, "unseen_classes": unseen}, skipped=len(samples) - len(kept),
        details={"device": "cpu", "class_names": classes, "attributes": attributes, "classes_with_examples": seen,
                 "classes_by_description_only": unseen, "attributes_never_varied": flat},
        attributes=attributes)


def _write(model: AttributeClassifier, *, attributes: list[str]) -> dict:
    return {"model": model.state_dict(), "attributes": list(attributes), "levels": model.backbone.levels,
            "level_dims": model.backbone.dims}


def _read(checkpoint: dict, spec) -> AttributeClassifier:
    n = len(checkpoint["attributes"])
    backbone, dim = spec.build(), spec.feature_dim
    if checkpoint.get("levels") is not None:  # detectors reading every level (runs since format 4)
        backbone = MultiLevelFeatures(backbone, checkpoint["levels"], checkpoint["level_dims"])
        dim = backbone.feature_dim
    return AttributeClassifier(backbone, dim, n, torch.zeros(len(checkpoint["class_names"]), n))


ATTRIBUTES = register(RunKind("attributes", _write, _read))
