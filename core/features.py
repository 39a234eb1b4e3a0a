"""Batched feature extraction with an on-disk embedding cache.

Serves the probe training mode, few-shot and model-assisted labelling: embeddings are computed once
per (backbone, preprocessing + weights identity, sample content hash) and then read back in
milliseconds. The cache is one SQLite file per (backbone, fingerprint) in the project's cache/
folder: one file open for a thousand samples instead of a thousand (and safe to delete any time).
Changing the preprocessing, the builder options (e.g. the speech layer) or the weights changes the
fingerprint and therefore the file, so stale features are never served.

Items are ``(content_hash, source)`` pairs, where source is a media path, or a zero-argument callable
returning a path, a decoded PIL image / float32 waveform, or an already prepared tensor; so this
module does not depend on the project database. A file that cannot be decoded is reported in
``Features.failed`` with its reason and the other items go on.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from core.backbones import BackboneSpec, FeatureModel, get
from core.media import MediaError
from core.openmp import one_thread_here

Item = tuple[str, object]


@dataclass
class Features:
    """Results in input order (failed items left out): ``vectors[i]`` belongs to ``hashes[i]``."""

    hashes: list[str]
    vectors: np.ndarray  # float32 [N, feature_dim]
    failed: dict[str, str] = field(default_factory=dict)  # content hash -> reason
    cached: int = 0
    computed: int = 0


class EmbeddingCache:
    """float32 vectors by sample content hash for one backbone fingerprint, in one SQLite file."""

    def __init__(self, cache_dir: str | os.PathLike, spec: BackboneSpec, weights_identity: str,
                 dim: int | None = None):
        key = hashlib.sha256(f"{spec.fingerprint}|{weights_identity}".encode()).hexdigest()[:16]
        self.path = Path(cache_dir) / "embeddings" / f"{spec.name}-{key}.sqlite"
        self.dim = dim or spec.feature_dim  # wider where levels are pooled (FeatureModel.pooled_dim)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers (GUI) and a writer (trainer) at once
        self._db.execute("PRAGMA synchronous=NORMAL")  # a cache: losing the last write is harmless
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (hash TEXT PRIMARY KEY, vec BLOB NOT NULL)")

    def read_into(self, hashes: Sequence[str], store: Callable[[str, np.ndarray], None]) -> None:
        """``store(hash, vector)`` for each cached one; the vector is a view on the row's bytes."""
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 900):  # stay under SQLite's bound-parameter limit
            chunk = unique[start:start + 900]
            marks = ",".join("?" * len(chunk))
            for h, blob in self._db.execute(f"SELECT hash, vec FROM emb WHERE hash IN ({marks})", chunk):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == self.dim:
                    store(h, vec)

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [(h, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for h, v in items.items()]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO emb (hash, vec) VALUES (?, ?)", rows)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM emb").fetchone()[0]

    def close(self) -> None:
        self._db.close()


def sample_source(project, spec, sample):
    """What ``extract`` reads for a project's sample: its media file, or, for a segment of a long
    recording, a function reading just its time span."""
    if sample.is_segment:
        return lambda: project.read_audio(sample, spec.preprocessing.sample_rate)
    return str(project.path_of(sample))


def extract(
    spec_or_name: str | BackboneSpec,
    items: Iterable[Item],
    *,
    cache_dir: str | os.PathLike | None = None,
    model: FeatureModel | None = None,
    weights_identity: str | None = None,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    load_workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Features:
    """Embed ``items`` with a backbone; cached embeddings are read instead of computed.

    ``model`` defaults to the backbone with its pretrained weights (``core.weights.load_pretrained``),
    loaded only if something is not cached. A model passed in is used as it is; its features are
    cached only when its weights are identified (``weights_identity`` or the identity
    ``load_pretrained`` attaches), so random or half-trained weights never pollute the cache.
    ``progress(done, total)`` after each batch; ``should_stop()`` is checked between batches.
    """
    spec = get(spec_or_name)
    items = list(items)
    hashes = [h for h, _ in items]
    identity = weights_identity or (getattr(model, "weights_identity", None) if model is not None else None)
    if identity is not None and model is not None:
        identity += getattr(model, "feature_tag", "")  # e.g. features pooled from every level
    if model is None and identity is None:
        from core.weights import resolve

        identity = resolve(spec).identity  # fails early with the "which file, where" sentence
    dim = (getattr(model, "pooled_dim", None) if model is not None else None) or spec.feature_dim
    cache = EmbeddingCache(cache_dir, spec, identity, dim) if cache_dir is not None and identity else None
    rows = _Rows(hashes)
    try:
        if cache is not None:
            cache.read_into(hashes, rows.store)
        known = rows.count()
        todo = [(h, src) for h, src in dict(items).items() if not rows.has(h)]
        failed: dict[str, str] = {}
        computed = 0
        if todo:
            if model is None:
                from core.weights import load_pretrained

                model = load_pretrained(spec, device=device)
            computed = _compute(spec, model, todo, failed, batch_size, device, load_workers,
                                progress, should_stop, cache, known, identity, rows.store)
        order, vectors = rows.result(dim)
        return Features(order, vectors, failed, known, computed)
    finally:
        if cache is not None:
            cache.close()


class _Rows:
    """One [N, D] array filled as vectors are read or computed (D: the first vector's length). A
    second copy of every vector (a dict of them, then a stack) took 2 x 120 MB on 5,000 pictures
    with pooled levels."""

    def __init__(self, hashes: Sequence[str]):
        self.hashes = list(hashes)
        self.slot = {h: i for i, h in enumerate(dict.fromkeys(self.hashes))}
        self.have = np.zeros(len(self.slot), bool)
        self.vectors: np.ndarray | None = None

    def store(self, h: str, vec: np.ndarray) -> None:
        if self.vectors is None:
            self.vectors = np.empty((len(self.slot), vec.shape[0]), np.float32)
        self.vectors[self.slot[h]] = vec
        self.have[self.slot[h]] = True

    def has(self, h: str) -> bool:
        return bool(self.have[self.slot[h]])

    def count(self) -> int:
        return int(self.have.sum())

    def result(self, dim: int) -> tuple[list[str], np.ndarray]:
        """(hashes, vectors) in input order, failed ones left out; no copy unless some failed or repeat."""
        order = [h for h in self.hashes if self.has(h)]
        if not order:
            return order, np.zeros((0, dim), np.float32)
        if len(order) == len(self.slot) == len(self.hashes):
            return order, self.vectors
        return order, self.vectors[[self.slot[h] for h in order]]


def _compute(spec, model, todo, failed, batch_size, device, load_workers, progress, should_stop, cache, done0,
             identity, store) -> int:
    """Prepare and embed ``todo`` in chunks; batches hold equal-length items only (no padding, so a
    sample's features never depend on its batch mates).

    Decoding runs in ``load_workers`` threads one chunk ahead of the network (Pillow, soundfile,
    torch and onnxruntime release the interpreter lock), each with one OpenMP thread
    (core.openmp), so the network is kept fed; at most two
    chunks are held at once, so memory stays bounded whatever the number of samples. On the CPU
    the network runs in onnxruntime where it can (core.features_onnx). Each vector goes to
    ``store(hash, vector)``; returns how many were computed."""
    pre = spec.preprocessing
    model.eval()
    runner = None
    if torch.device(device).type == "cpu":
        from core import features_onnx

        runner = features_onnx.for_model(spec, model, identity, len(todo))

    def embed(batch) -> np.ndarray:
        if runner is not None:
            return runner(*batch)
        batch = tuple(b.to(device, non_blocking=True) if isinstance(b, torch.Tensor) else b for b in batch)
        with torch.inference_mode():
            return model(*batch).float().cpu().numpy()

    collate = _ReusedBatch(pre) if torch.device(device).type == "cpu" else pre.collate
    count = 0
    total = done0 + len(todo)
    chunk = batch_size * (4 if pre.variable_length else 1)
    parts = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
    done = done0
    with ThreadPoolExecutor(max_workers=max(1, load_workers), initializer=one_thread_here) as pool:
        def submit(part):
            return [pool.submit(_prepare, pre, item) for item in part]

        ahead = submit(parts[0]) if parts else []
        for k, part in enumerate(parts):
            if should_stop is not None and should_stop():
                for f in ahead:
                    f.cancel()
                break
            current, ahead = ahead, (submit(parts[k + 1]) if k + 1 < len(parts) else [])
            ready = []
            for (h, _), fut in zip(part, current):
                tensor, error = fut.result()
                if error is None:
                    ready.append((h, tensor))
                else:
                    failed[h] = error
            new = {}
            for group in _batches(ready, pre, batch_size):
                feats = embed(collate([t for _, t in group]))
                new.update({h: feats[i] for i, (h, _) in enumerate(group)})
            if cache is not None and new:
                cache.put_many(new)
            for h, vec in new.items():
                store(h, vec)
            count += len(new)
            done += len(part)
            if progress is not None:
                progress(done, total)
    return count


class _ReusedBatch:
    """``pre.collate`` for equal-shaped prepared tensors, stacked into one buffer reused batch
    after batch (the network has consumed a batch before the next is stacked). A fresh
    [32, 3, 224, 224] batch is 19 MB of new pages: 40 ms to stack on a 2-core VM against 1 ms
    into a warm buffer, 2.6 of the 31 s a 5,000-picture probe spent embedding
    (bench/bench_embed.py). Anything else (texts, clips of varying length) goes to ``pre.collate``."""

    def __init__(self, pre):
        self.pre = pre
        self.buffer: torch.Tensor | None = None

    def __call__(self, tensors: list[torch.Tensor]) -> tuple:
        first = tensors[0]
        if self.pre.variable_length or any(t.shape != first.shape or t.dtype != first.dtype for t in tensors):
            return self.pre.collate(tensors)
        b = self.buffer
        if b is None or b.shape[1:] != first.shape or b.dtype != first.dtype or len(b) < len(tensors):
            b = self.buffer = torch.empty((len(tensors), *first.shape), dtype=first.dtype)
        return (torch.stack(tensors, out=b[:len(tensors)]),)


def _prepare(pre, item) -> tuple[torch.Tensor | None, str | None]:
    _, source = item
    try:
        value = source() if callable(source) else source
        if isinstance(value, torch.Tensor):
            return value, None
        if isinstance(value, (str, os.PathLike)):
            return pre.load(value), None
        return pre.to_tensor(value), None
    except MediaError as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"


def _batches(ready, pre, batch_size):
    if not pre.variable_length:
        for i in range(0, len(ready), batch_size):
            yield ready[i:i + batch_size]
        return
    by_length: dict[int, list] = {}
    for h, t in ready:
        by_length.setdefault(pre.length_of(t), []).append((h, t))
    for group in by_length.values():
        for i in range(0, len(group), batch_size):
            yield group[i:i + batch_size]
