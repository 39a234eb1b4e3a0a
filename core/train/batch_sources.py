"""Where batches come from: decoded samples (finetune, full) or cached embeddings (probe), and the
order of an epoch.

Both sources answer ``fetch(indices, gen, train) -> (inputs, targets, kept)`` with tensors on the
training device, so the loop in loop.py does not care which mode it runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from core.train.decode_cache import DecodedStore
from core.train.device import memory_budget


class StoreSource:
    """Decoded samples from a DecodedStore through a modality pipeline (augmented when training)."""

    def __init__(self, store: DecodedStore, pipeline, labels: Sequence, device: torch.device):
        self.store = store
        self.pipeline = pipeline
        self.targets, self.labels = _targets(labels)
        self.device = device
        self._pending: tuple[tuple[int, ...], object] | None = None

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def failed(self) -> dict[int, str]:
        return self.store.failed

    def prefetch(self, indices: Sequence[int]) -> None:
        """Decode the next batch in the background while this one computes (epoch 1 only: later
        epochs read the in-memory cache, which is faster than handing work to a thread)."""
        if self.store.keeps and self.store.complete():
            return
        self._pending = (tuple(indices), self.store.fetch_async(indices))

    def fetch(self, indices: Sequence[int], gen: torch.Generator | None, train: bool):
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == tuple(indices):
            raw, kept = pending[1].result()
        else:
            if pending is not None:
                pending[1].result()  # never leave a decode running behind our back
            raw, kept = self.store.fetch(indices)
        raw = raw.to(self.device, non_blocking=True)
        targets = self.targets[kept].to(self.device, non_blocking=True)
        return self.pipeline.inputs(raw, gen, train), targets, kept

    def after_epoch(self) -> None:
        """Once every file is decoded, move the cache onto the GPU if it fits (a quarter of the free
        memory): later epochs then never copy a batch from host memory."""
        if self.device.type == "cuda":
            self.store.move_to(self.device, memory_budget(self.device))

    def close(self) -> None:
        if self._pending is not None:
            self._pending[1].result()
            self._pending = None
        self.store.close()


class FeatureSource:
    """Embeddings computed once by the frozen backbone (probe mode), in host memory: the probe is
    solved on the CPU (core.probe) whatever device embedded them."""

    def __init__(self, features: torch.Tensor, labels: Sequence):
        self.features = features.cpu()
        self.targets, self.labels = _targets(labels)
        self.failed: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.labels)

    def prefetch(self, indices) -> None:
        pass

    def after_epoch(self) -> None:
        pass

    def fetch(self, indices: Sequence[int], gen, train: bool):
        idx = torch.as_tensor(list(indices), dtype=torch.long, device=self.features.device)
        return (self.features[idx],), self.targets[idx], list(indices)

    def close(self) -> None:
        pass


def _targets(labels: Sequence) -> tuple[torch.Tensor, torch.Tensor]:
    """(targets, main labels): ints give [N] for both; tuples (multi-task: the main set's class,
    then each extra set's, -1 where unlabelled) give targets [N, sets] and their first column."""
    labels = list(labels)
    if labels and isinstance(labels[0], (tuple, list)):
        targets = torch.as_tensor(labels, dtype=torch.long)
        return targets, targets[:, 0].contiguous()
    targets = torch.as_tensor(labels, dtype=torch.long)
    return targets, targets


def epoch_order(labels: torch.Tensor, classes: int, balance_sampler: bool, gen: torch.Generator,
                rank: int = 0, world: int = 1) -> list[int]:
    """The sample order of one epoch: a permutation, or (balance='sampler') draws with replacement
    weighted so every class is seen equally often. Under DDP each rank takes every world-th item of
    the same order (padded to a multiple of world, like DistributedSampler)."""
    n = len(labels)
    if balance_sampler:
        counts = torch.bincount(labels, minlength=classes).float()
        weights = 1.0 / counts.clamp(min=1)[labels]
        order = torch.multinomial(weights, n, replacement=True, generator=gen)
    else:
        order = torch.randperm(n, generator=gen)
    order = order.tolist()
    if world > 1:
        order += order[: (-len(order)) % world]
        order = order[rank::world]
    return order
