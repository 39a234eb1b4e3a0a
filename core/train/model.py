"""The trained network (a backbone plus a linear head), which of its parts learn in each mode and
at which learning rate, and the learning-rate schedule.

Learning rates: the head learns at ``lr``. In finetune the unfrozen top blocks learn at
``lr * backbone_lr_factor`` and each block below at ``layer_decay`` times the one above it
(discriminative rates: the lower a block, the more general its features, the less they should move).
In full mode every block learns, with the same layer-wise decay from the top down.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from core.backbones import FeatureModel


class Classifier(nn.Module):
    """``backbone(*inputs)`` -> features -> standardise -> dropout -> linear head -> class logits.

    The standardisation (buffers, identity unless set) lets a linear probe learn at one learning
    rate whatever the scale of a backbone's features; it is part of the state dict, so an exported
    model applies exactly what the head was trained on.
    """

    def __init__(self, backbone: FeatureModel, feature_dim: int, classes: int, dropout: float):
        super().__init__()
        self.backbone = backbone
        self.register_buffer("feature_mean", torch.zeros(feature_dim))
        self.register_buffer("feature_std", torch.ones(feature_dim))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, classes)

    def forward(self, *inputs):
        return self.forward_features(self.backbone(*inputs))

    def head_to(self, device: torch.device | str) -> None:
        """The head and its input's standardisation alone onto ``device``: a probe solves them on the
        CPU (core.probe) while its backbone embeds on the run's device, a GPU's too."""
        self.head.to(device)
        self.feature_mean = self.feature_mean.to(device)  # still registered buffers (nn.Module.__setattr__)
        self.feature_std = self.feature_std.to(device)

    def forward_features(self, features: torch.Tensor) -> torch.Tensor:
        """The head alone, on features computed (and cached) by the frozen backbone: probe mode."""
        features = (features - self.feature_mean) / self.feature_std
        return self.head(self.dropout(features))

    def standardise_features(self, features: torch.Tensor, *, per_feature: bool = True) -> None:
        """Centre the features and scale them to unit spread, measured on ``features``.

        ``per_feature=True`` (a probe: the backbone is frozen, so the statistics stay true) scales
        each feature by its own spread, shrunk towards the overall one: a spread measured on n
        samples counts as n observations against PRIOR_SAMPLES of the overall scale. With a few
        shots, features that happen to be nearly constant among them would otherwise be blown up
        and dominate on new samples (measured, EfficientNet-Lite0, 5 shape classes: a probe on 1
        and 5 shots per class reached 23.8% and 54.5% with per-feature spreads, 45.3% and 76.7% with
        one overall scale); with thousands of samples the features' own spreads take over.
        ``per_feature=False`` (the backbone will learn, and its features move) uses one overall
        scale: features dead now but alive in training, divided by their tiny spread, gave logits
        of thousands and diverging runs (full mode, small flat pictures: 56% per feature, 89% with
        one scale)."""
        n = features.shape[0]
        var = features.var(dim=0, unbiased=False)
        self.feature_mean.copy_(features.mean(dim=0))
        overall = float(var.mean()) if var.numel() else 1.0
        if per_feature:
            # a pair backbone's networks (core.backbones.pair) each shrink towards their own overall
            # scale, as each network alone would: their features' scales differ
            blocks = self.backbone.blocks() if isinstance(self.backbone, FeatureModel) else []
            if not blocks or blocks[-1][1] != var.numel():
                blocks = [(0, var.numel(), None)]
            shrunk = torch.empty_like(var)
            for start, end, _sets in blocks:
                part = var[start:end]
                own = float(part.mean()) if part.numel() else 1.0
                shrunk[start:end] = (n * part + PRIOR_SAMPLES * own) / (n + PRIOR_SAMPLES)
            self.feature_std.copy_(shrunk.sqrt().clamp(min=1e-4))
        else:
            self.feature_std.fill_(max(overall ** 0.5, 1e-4))


PRIOR_SAMPLES = 100  # weight of the overall scale against each feature's own, in samples


def parameter_groups(model: Classifier, config) -> list[dict]:
    """One optimizer group per backbone stage plus the head, each with its own base learning rate.

    All groups exist from the first step (frozen ones simply get no gradient), so unfreezing later
    needs no new optimizer and a checkpoint's optimizer state always matches.
    """
    stages = model.backbone.stages()
    groups = [{"params": list(model.head.parameters()), "lr": config.lr, "name": "head"}]
    factor = config.backbone_lr_factor if config.mode == "finetune" else 1.0
    seen = {id(p) for p in model.head.parameters()}
    for depth, stage in enumerate(reversed(stages)):
        params = [p for p in model.backbone.stage_parameters(stage) if id(p) not in seen]
        seen.update(id(p) for p in params)
        lr = config.lr * factor * config.layer_decay ** (depth + (1 if config.mode == "full" else 0))
        if params:
            groups.append({"params": params, "lr": lr, "name": stage.name})
    rest = [p for p in model.backbone.parameters() if id(p) not in seen]
    if rest:  # parameters outside every named stage: trained with the lowest rate
        groups.append({"params": rest, "lr": groups[-1]["lr"], "name": "other"})
    for g in groups:
        g["base_lr"] = g["lr"]
        g["weight_decay"] = config.weight_decay
    return groups


def unfreeze_for_epoch(model: Classifier, config, epoch: int) -> str:
    """Set requires_grad for epoch ``epoch`` (0-based) and return the stage in words."""
    stages = model.backbone.stages()
    for p in model.backbone.parameters():
        p.requires_grad_(False)
    for p in model.head.parameters():
        p.requires_grad_(True)
    if config.mode == "probe":
        return "linear probe"
    if config.mode == "full":
        chosen = stages
        label = "all layers"
    elif epoch < config.warmup_epochs:
        return "head warm-up"
    else:
        n = config.unfreeze_blocks
        chosen = stages if n < 0 else stages[len(stages) - n:] if n > 0 else []
        label = f"top {len(chosen)} of {len(stages)} blocks"
    for stage in chosen:
        for p in model.backbone.stage_parameters(stage):
            p.requires_grad_(True)
    return label


def set_train_mode(model: Classifier, mode: str = "finetune") -> None:
    """Training mode, except batch-norm layers that must keep their pretrained statistics.

    Probe and finetune are for small datasets and small batches: batch statistics of 8 or 32
    pictures of a few classes are nothing like ImageNet's, and normalising with them (or letting
    them overwrite the running averages) shifts every feature the layers above were trained on, so
    there every batch-norm layer normalises with its running statistics (its scale and shift still
    learn when unfrozen). Measured: fine-tuning EfficientNet-Lite0 on 5 pictures per class stayed
    at chance with batch statistics and reached 78% on new pictures with the pretrained ones.
    Full training (chosen for larger datasets) adapts the statistics too, except in layers whose
    weights are frozen."""
    model.train()
    for m in model.backbone.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            frozen = not any(p.requires_grad for p in m.parameters(recurse=False))
            if mode != "full" or frozen:
                m.eval()


def default_unfreeze_blocks(model: Classifier) -> int:
    return max(1, math.ceil(len(model.backbone.stages()) / 3))


def lr_factor(schedule: str, progress: float) -> float:
    """Multiplier of each group's base rate at ``progress`` in [0, 1] of the whole run.

    A pure function of progress (not a stateful scheduler): a run resumed from a checkpoint or
    whose batch size was halved mid-epoch continues on exactly the same curve.
    """
    p = min(max(progress, 0.0), 1.0)
    if schedule == "onecycle":  # 30 % cosine warm-up from lr/25, then cosine down to lr/1e4
        warm = 0.3
        if p < warm:
            return 1 / 25 + (1 - 1 / 25) * (1 - math.cos(math.pi * p / warm)) / 2
        return 1e-4 + (1 - 1e-4) * (1 + math.cos(math.pi * (p - warm) / (1 - warm))) / 2
    warm = 0.05  # cosine: a short linear warm-up, then cosine to zero
    if p < warm:
        return max(p / warm, 0.01)
    return (1 + math.cos(math.pi * (p - warm) / (1 - warm))) / 2


def apply_lr(optimizer: torch.optim.Optimizer, schedule: str, progress: float) -> float:
    f = lr_factor(schedule, progress)
    for g in optimizer.param_groups:
        g["lr"] = g["base_lr"] * f
    return optimizer.param_groups[0]["lr"]
