"""Pieces of bench_train.py: photo-like test files, the hand-written reference loop, and the
interleaved throughput measurement (trainer epoch, then a reference epoch, in the same process, on
the same decoded data, with the same threads)."""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.importer import import_files
from core.project import Project
from core.train import TrainConfig, Trainer
from core.train.labelled import from_project
from core.train.device import autocast
from core.train.model import Classifier
from core.train.model_inputs import ImagePipeline
from core.weights import load_pretrained


def photo(seed: int, size=(640, 480)) -> Image.Image:
    """Smooth colour fields plus grain: JPEG-compresses like a photo (tens of kB), unlike flat shapes."""
    rng = np.random.default_rng(seed)
    w, h = size
    coarse = rng.integers(0, 256, (h // 32 + 1, w // 32 + 1, 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(coarse).resize((w, h), Image.BICUBIC), dtype=np.int16)
    grain = rng.normal(0, 12, (h, w, 3))
    return Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8))


def _save_photo(job) -> None:
    i, size, path = job
    photo(i, size).save(path, quality=90)


def make_photo_project(root: Path, n: int, classes=3, size=(640, 480)) -> Project:
    jobs = []
    for i in range(n):
        folder = root / "src" / f"class{i % classes}"
        folder.mkdir(parents=True, exist_ok=True)
        jobs.append((i, size, folder / f"{i}.jpg"))
    # drawn in parallel (each picture depends on its index alone): 4,096 took minutes on one core
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("spawn")) as pool:
        list(pool.map(_save_photo, jobs, chunksize=32))
    project = Project.create(root / "proj", "image")
    import_files(project, [root / "src"], labels="folder")
    project.reset_splits(val=0.1, test=0.0)
    return project


class Reference:
    """A bare hand-written loop: the trainer's model (same pretrained weights, head, dropout),
    AdamW, label-smoothed cross-entropy, over normalised float tensors already on the device."""

    def __init__(self, spec, classes: int, x: torch.Tensor, y: torch.Tensor, batch: int, device, precision):
        self.model = Classifier(load_pretrained(spec), spec.feature_dim, classes, 0.2).to(device)
        if device.type == "cuda":
            self.model.to(memory_format=torch.channels_last)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-4, weight_decay=1e-4)
        self.loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
        self.x, self.y, self.batch, self.device, self.precision = x, y, batch, device, precision

    def epoch(self) -> float:
        """Items per second of one epoch."""
        self.model.train()
        n = len(self.y)
        sync = torch.cuda.synchronize if self.device.type == "cuda" else (lambda: None)
        sync()
        start = time.perf_counter()
        order = torch.randperm(n, device=self.device)
        for i in range(0, n, self.batch):
            idx = order[i:i + self.batch]
            with autocast(self.device, self.precision):
                logits = self.model(self.x[idx])
            loss = self.loss_fn(logits.float(), self.y[idx])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
        sync()
        return n / (time.perf_counter() - start)


def interleaved(project, spec, *, epochs: int, batch: int, device: torch.device, precision: str,
                augment: str) -> dict:
    """Trainer (full mode) epochs 2.. against reference epochs run right after each of them (from
    the trainer's EpochEnd callback, so both see the same machine load); best of each."""
    data = from_project(project)
    pipe = ImagePipeline(spec.preprocessing, "none", channels_last=device.type == "cuda")
    decoded = torch.stack([pipe.decode(it) for it in data.train])  # the trainer's own decode
    x = pipe.inputs(decoded.to(device), None, False)[0]  # normalised once, outside the timing
    y = torch.tensor([it.label for it in data.train], device=device)
    ref = Reference(spec, len(data.class_names), x, y, batch, device, precision)
    ref.epoch()  # warm-up (allocator, kernels), as the trainer's epoch 1 is
    trainer_rates: dict[int, float] = {}
    ref_rates: list[float] = []
    seconds: list[float] = []

    class Interleave:
        def on_batch_end(self, e):
            if e.batch == e.batches:
                trainer_rates[e.epoch] = e.items_per_s  # the training loop only (no evaluation)

        def on_epoch_end(self, e):
            seconds.append(round(e.seconds, 3))
            if e.epoch >= 2:
                ref_rates.append(ref.epoch())

    config = TrainConfig(mode="full", epochs=epochs, batch_size=batch, augment=augment, patience=0,
                         device=str(device), precision=precision, image_size=spec.preprocessing.crop_size)
    Trainer(project, config, callbacks=[Interleave()], spec=spec).fit()
    later = [r for ep, r in sorted(trainer_rates.items()) if ep >= 2]
    pairs = [round(t / r, 3) for t, r in zip(later, ref_rates)]
    return {"trainer_items_per_s": round(max(later), 1), "bare_loop_items_per_s": round(max(ref_rates), 1),
            "ratio": round(max(later) / max(ref_rates), 3), "ratio_per_epoch_pair": pairs,
            "trainer_epochs_items_per_s": [round(r, 1) for r in later],
            "bare_epochs_items_per_s": [round(r, 1) for r in ref_rates],
            "epoch_seconds": seconds, "train_items": len(data.train)}


def data_path_epochs(project, spec, batch: int) -> dict:
    """The decoded-sample cache alone: every training batch fetched through the trainer's source
    in epoch 1 (decoding) and epoch 2 (the cache), no model."""
    from core.train.decode_cache import DecodedStore
    from core.train.batch_sources import StoreSource

    data = from_project(project)
    pipe = ImagePipeline(spec.preprocessing, "light", channels_last=False)
    store = DecodedStore(data.train, pipe.decode, pipe.shape, pipe.dtype, limit_bytes=2**32, workers=2)
    src = StoreSource(store, pipe, [it.label for it in data.train], torch.device("cpu"))
    out = []
    gen = torch.Generator().manual_seed(0)
    for _ in range(2):
        start = time.perf_counter()
        order = torch.randperm(len(src), generator=gen).tolist()
        for i in range(0, len(order), batch):
            src.fetch(order[i:i + batch], gen, True)
        out.append(time.perf_counter() - start)
    decodes = store.decoded_files
    src.close()
    return {"epoch_seconds": [round(s, 3) for s in out], "epoch1_over_epoch2": round(out[0] / out[1], 1),
            "decodes": decodes, "items": len(data.train)}




