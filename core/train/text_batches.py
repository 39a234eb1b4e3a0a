"""Batches of texts for fine-tuning a text backbone (finetune, full): token ids padded per batch.

A text is read and tokenised once (the first time a batch asks for it) and kept as its token ids,
a few hundred bytes each, so later epochs only pad. Each batch is padded to its own longest text
(dynamic padding), not to ``max_tokens``: attention costs grow with the square of the length, and
the mask keeps the padding out of attention and of the mean, so a padded text's features are the
ones it gets alone (tests/core/test_text_backbone.py). Texts are cut to the preprocessing's
``max_tokens``, as the embedding cache, export and prediction cut them.

``TextSource`` answers the ``fetch(indices, gen, train) -> (inputs, targets, kept)`` of
core.train.batch_sources, so the trainer's loop, evaluation, checkpoints and cancel work unchanged.
There is no augmentation of texts (a changed word can change what a short text means).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from core.errors import MediaError
from core.train.batch_sources import _targets


class TextSource:
    def __init__(self, items: Sequence, pre, labels: Sequence, device: torch.device):
        self.items = list(items)
        self.pre = pre
        self.targets, self.labels = _targets(labels)
        self.device = device
        self.tokens: dict[int, torch.Tensor] = {}
        self.failed: dict[int, str] = {}

    @property
    def store(self):  # the trainer names a failed sample through source.store.items
        return self

    def __len__(self) -> int:
        return len(self.labels)

    def _read(self, i: int) -> None:
        try:
            self.tokens[i] = self.pre.load(self.items[i].path)  # read, decoded and tokenised as a probe reads it
        except MediaError as exc:
            self.failed[i] = str(exc)
        except OSError as exc:  # deleted or unreadable after the run started
            self.failed[i] = f"cannot be read ({exc.strerror or exc})"

    def fetch(self, indices: Sequence[int], gen, train: bool):
        for i in indices:
            if i not in self.tokens and i not in self.failed:
                self._read(i)
        kept = [i for i in indices if i in self.tokens]
        if not kept:
            empty = torch.zeros((0, 1), dtype=torch.long, device=self.device)
            return (empty, empty), self.targets[[]].to(self.device), kept
        ids, mask = self.pre.collate([self.tokens[i] for i in kept])
        targets = self.targets[kept].to(self.device, non_blocking=True)
        return (ids.to(self.device, non_blocking=True), mask.to(self.device, non_blocking=True)), targets, kept

    def prefetch(self, indices) -> None:
        pass  # tokenising a batch takes about a millisecond: nothing worth overlapping

    def after_epoch(self) -> None:
        pass

    def close(self) -> None:
        pass


def text_sources(data, spec, device, targets_of) -> tuple[TextSource, TextSource]:
    """(train, validation) sources; the validation one is the training one without validation
    samples. ``targets_of(data, items)``: each item's class (or classes, multi-task), as setup gives them."""

    def source(items):
        return TextSource(items, spec.preprocessing, targets_of(data, items), device)

    train = source(data.train)
    return train, (source(data.val) if data.val else train)
