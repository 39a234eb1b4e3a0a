"""Decoded-sample cache: each file is decoded once, kept at training resolution, and reused.

Images are kept as uint8 [3, S, S] (after the backbone's deterministic resize and centre crop; the
random part of augmentation happens later, on the batch); audio as float32 waveforms of a fixed
length. Epoch 1 decodes (in ``workers`` threads: Pillow and soundfile release the GIL), every later
epoch only indexes a tensor. On a GPU the whole store moves to the device once it is complete and
fits, so batches never cross the PCIe bus again.

A file that fails to decode is remembered in ``failed`` and left out of every batch afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from core.media import MediaError
from core.openmp import one_thread_here
from core.train.labelled import Item


class DecodedStore:
    def __init__(self, items: Sequence[Item], decode: Callable[[Item], torch.Tensor], shape: tuple,
                 dtype: torch.dtype, *, limit_bytes: int, workers: int = 2):
        self.items = list(items)
        self.decode = decode
        self.shape, self.dtype = tuple(shape), dtype
        n = len(self.items)
        itemsize = torch.empty((), dtype=dtype).element_size()
        self.nbytes = n * itemsize * int(torch.tensor(self.shape).prod().item() if self.shape else 1)
        self.keeps = self.nbytes <= limit_bytes  # otherwise: decode every time, keep nothing
        self.data = torch.empty((n, *self.shape), dtype=dtype) if self.keeps else None
        self.ready = torch.zeros(n, dtype=torch.bool)
        self.failed: dict[int, str] = {}
        self.decoded_files = 0  # how many decodes ran (a test checks epoch 2 adds none)
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="decode",
                                        initializer=one_thread_here)  # beside the training step's threads

    @property
    def device(self) -> torch.device:
        return self.data.device if self.data is not None else torch.device("cpu")

    def complete(self) -> bool:
        return self.keeps and bool((self.ready | self._failed_mask()).all())

    def _failed_mask(self) -> torch.Tensor:
        mask = torch.zeros(len(self.items), dtype=torch.bool)
        if self.failed:
            mask[list(self.failed)] = True
        return mask

    def _decode_one(self, i: int) -> tuple[int, torch.Tensor | None, str | None]:
        try:
            return i, self.decode(self.items[i]), None
        except MediaError as exc:
            return i, None, str(exc)
        except OSError as exc:  # deleted or unreadable after the run started
            return i, None, f"cannot be read ({exc.strerror or exc})"

    def fetch(self, indices: Sequence[int]) -> tuple[torch.Tensor, list[int]]:
        """The decoded items (stacked, on the store's device) and which indices they are; failed
        items are left out, so the batch may be smaller than asked."""
        indices = [i for i in indices if i not in self.failed]
        if self.keeps and self.ready[indices].all():
            return self.data[torch.as_tensor(indices, device=self.device)], indices
        todo = sorted({i for i in indices if not (self.keeps and self.ready[i])})
        fresh: dict[int, torch.Tensor] = {}
        for i, tensor, error in self._pool.map(self._decode_one, todo):
            self.decoded_files += 1
            if error is not None:
                self.failed[i] = error
            else:
                fresh[i] = tensor
        kept = [i for i in indices if i not in self.failed]
        if self.keeps:
            for i, tensor in fresh.items():
                self.data[i] = tensor
                self.ready[i] = True
            if not kept:
                return torch.empty((0, *self.shape), dtype=self.dtype), kept
            return self.data[torch.as_tensor(kept)], kept
        if not kept:
            return torch.empty((0, *self.shape), dtype=self.dtype), kept
        return torch.stack([fresh[i] for i in kept]), kept

    def fetch_async(self, indices: Sequence[int]) -> Future:
        """Start ``fetch`` in the background (overlaps decoding with the previous batch's compute)."""
        return self._prefetch_pool().submit(self.fetch, list(indices))

    def _prefetch_pool(self) -> ThreadPoolExecutor:
        if not hasattr(self, "_prefetcher"):
            self._prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch",
                                                  initializer=one_thread_here)
        return self._prefetcher

    def move_to(self, device: torch.device, budget_bytes: int) -> bool:
        """Move a complete store to ``device`` if it fits ``budget_bytes``; True when it moved."""
        if not self.complete() or self.data.device == device or self.nbytes > budget_bytes:
            return False
        self.data = self.data.to(device)
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if hasattr(self, "_prefetcher"):
            self._prefetcher.shutdown(wait=True)
