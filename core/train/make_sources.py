"""Building what a run needs before its first batch: the backbone (pretrained or random) and the
batch sources of its mode (decoded samples, or cached embeddings for a probe)."""

from __future__ import annotations

import torch

from core.train.batch_sources import FeatureSource, StoreSource
from core.train.decode_cache import DecodedStore
from core.train.labelled import LabelledData
from core.train.model_inputs import AudioPipeline, ImagePipeline, clip_samples_for


def load_backbone(spec, pretrained: bool):
    """The feature model with its real weights (WeightsError, a sentence, when they are missing)."""
    if pretrained:
        from core.weights import load_pretrained

        return load_pretrained(spec)
    return spec.build()


def _image_pipeline(spec, config, data, device):
    # channels_last also on the CPU: fine-tuning EfficientNet-Lite0 at 224 px ran 30.6 pictures/s
    # against 23.1 in the default layout on 2 cores (bench/bench_cpu_finetune.py, cpu_finetune.json)
    return ImagePipeline(spec.preprocessing, config.augment, channels_last=device.type in ("cuda", "cpu"))


BACKGROUND_CLASSES = ("background", "_background_noise_", "noise", "silence")


def _audio_pipeline(spec, config, data, device):
    clip = clip_samples_for(data, spec.preprocessing.sample_rate, config.clip_seconds)
    quiet = {k for k, name in enumerate(data.class_names) if name.lower() in BACKGROUND_CLASSES}
    background = [it for it in data.train if it.label in quiet]
    return AudioPipeline(spec.preprocessing, config.augment, clip, device, background,
                         (config.noise_snr_min, config.noise_snr_max))


PIPELINES = {"image": _image_pipeline, "audio": _audio_pipeline}


def build_sources(trainer, plan, model, *, unlabelled_later: bool = False):
    """(train source, validation source) of ``plan`` (core.train.plan.RunPlan); the validation
    source is the training one (without augmentation) when there are no validation samples.
    (None, None) when cancelled. A decoded source keeps its ``pipeline`` (an audio one says the
    length every clip is cut to, which export and evaluation need). ``unlabelled_later``: a probe's
    unlabelled samples are listed (``unlabelled_hashes``) but not embedded, for core.train.adapt
    to embed once by the backbone it adapts (AdaBN)."""
    config, data, spec, device = plan.config, plan.data, plan.spec, plan.device
    if config.mode == "probe":
        return _probe_sources(trainer, plan, model, unlabelled_later)
    if spec.modality == "text":  # token ids padded per batch (core.train.text_batches)
        from core.train.text_batches import text_sources

        return text_sources(data, spec, device, targets_of)
    pipeline = PIPELINES[spec.modality](spec, config, data, device)
    budget = config.cache_mb * 2**20

    def source(items):
        store = DecodedStore(items, pipeline.decode, pipeline.shape, pipeline.dtype,
                             limit_bytes=budget, workers=config.num_workers)
        return StoreSource(store, pipeline, targets_of(data, items), device)

    train = source(data.train)
    return train, (source(data.val) if data.val else train)


def _probe_sources(trainer, plan, model, unlabelled_later: bool):
    from core.probe.solve import LARGE
    from core.probe.views import VIEWS_BELOW, view_key, views_for

    config, data, spec = plan.config, plan.data, plan.spec
    views = views_for(spec.modality, config.probe_views, len(data.train) + len(data.val))
    smallest = data.smallest_class()
    if views and smallest is not None and smallest >= LARGE and data.val:
        views = 0  # the validation split decides at this size, and the probe learns from samples alone
    if views and smallest is not None and smallest >= VIEWS_BELOW:
        # Views pay where examples are few (+1 to +13 points at 20 a class on the suite). From
        # VIEWS_BELOW a class they tripled the rows the probe is solved on, which also keeps it from
        # solving in the span of the samples: 1,500 pictures took 5 minutes instead of seconds.
        views = 0
    view_items = [(view_key(it.hash, v), _view_source(it, v, spec))
                  for v in range(1, views + 1) for it in data.train + data.val]
    items = [(it.hash, _source_of(it, spec)) for it in data.train + data.val] + view_items
    unlabelled = unlabelled_items(plan, smallest)
    embed_later = bool(unlabelled) and unlabelled_later  # by the adapted backbone alone: not twice
    if not embed_later:
        items += [(it.hash, _source_of(it, spec)) for it in unlabelled]
    dist = trainer.dist
    if not dist.is_main:
        dist.barrier()  # under DDP rank 0 fills the embedding cache first; the others then read it
    found = embed(trainer, plan, model.backbone, items, views=len(view_items))
    if dist.is_main:
        dist.barrier()
    if found is None:
        return None, None
    for it in data.train + data.val:
        if it.hash in found.failed:
            trainer._broken(it, found.failed[it.hash], data)
    row = {h: i for i, h in enumerate(found.hashes)}
    vectors = torch.from_numpy(found.vectors)

    def take(idx):  # rows of vectors: a view where they follow each other (the usual case), no copy
        if idx and idx == list(range(idx[0], idx[0] + len(idx))):
            return vectors[idx[0]:idx[0] + len(idx)]
        return vectors[idx] if idx else torch.zeros(0, vectors.shape[1])

    def source(items):
        kept = [it for it in items if it.hash in row]
        feats = take([row[it.hash] for it in kept])
        src = FeatureSource(feats, targets_of(data, kept))
        src.hashes = [it.hash for it in kept]  # which sample each row is (held-out predictions)
        # altered views of each kept sample (core.probe.views): (view rows, the sample row of each)
        extra = [(row[view_key(it.hash, v)], k) for v in range(1, views + 1) for k, it in enumerate(kept)
                 if view_key(it.hash, v) in row]
        src.views = (take([r for r, _ in extra]),
                     torch.tensor([k for _, k in extra], dtype=torch.long))
        return src

    train = source(data.train)
    # the unlabelled samples' embeddings (those that could be read), for core.probe.semi; where
    # they are embedded later, none yet and every candidate's hash
    read = [it.hash for it in unlabelled if embed_later or it.hash in row]
    train.unlabelled = take([row[h] for h in read]) if unlabelled and not embed_later else None
    train.unlabelled_hashes = read
    if len(train) and (plan.init is None or plan.resume is not None):
        # A probe started from an earlier run keeps that run's standardisation: the head rows it
        # carries over were trained on it (re-measured on a few new samples, the carried classes
        # fell from the earlier model's 81% to 49% after training on 2 labels per class).
        with torch.no_grad():
            model.standardise_features(train.features)
    return train, (source(data.val) if data.val else train)


def embed(trainer, plan, backbone, items, views: int = 0):
    """core.features.extract of ``items`` ((hash, source) pairs) by ``backbone`` on the run's
    device, cached in the project's cache folder, reported as EmbedProgress and stopped by the
    run's cancel; None when cancelled."""
    from core import features, features_onnx

    config = plan.config
    found = features.extract(
        plan.spec, items, cache_dir=plan.data.cache_dir, model=backbone, batch_size=max(config.batch_size, 32),
        device=plan.device, load_workers=config.num_workers, should_stop=lambda: trainer.control.cancelled,
        progress=EmbedRate(trainer.emit, views=views))
    features_onnx.release()
    return None if trainer.control.cancelled else found


def unlabelled_items(plan, smallest: int | None) -> list:
    """The unlabelled samples a probe may learn from (config.unlabelled "use"): where labelled
    samples are few (core.probe.semi.SEMI_BELOW a class), not for a probe continuing an earlier
    run, at most semi.UNLABELLED_AT_MOST of them (a sample fixed by their content hashes, so a
    retrain embeds the same ones)."""
    from core.probe import semi

    config, data = plan.config, plan.data
    adapting = plan.init is not None and config.adapt == "auto"  # an earlier run adapted to them (core.train.adapt)
    if not adapting and (config.unlabelled != "use" or plan.init is not None or smallest is None
                         or smallest >= semi.SEMI_BELOW):
        return []
    labelled = {it.hash for it in data.train + data.val}
    seen, items = set(), []
    for it in data.unlabelled:  # a file imported twice, or a labelled copy of it, is one sample
        if it.hash not in labelled and it.hash not in seen:
            seen.add(it.hash)
            items.append(it)
    if len(items) > semi.UNLABELLED_AT_MOST:
        from core.project.splits import order_key

        items = sorted(items, key=lambda it: order_key(config.seed, it.hash))[:semi.UNLABELLED_AT_MOST]
    return items


class EmbedRate:
    """``progress(done, total)`` of feature extraction -> EmbedProgress events with a rate and the
    time left, at most five a second (and always the last). ``views``: how many of the items are
    altered views of the samples (core.probe.views), which the events pass on."""

    def __init__(self, emit, interval: float = 0.2, views: int = 0):
        import time

        self.emit, self.interval, self.clock, self.views = emit, interval, time.perf_counter, views
        self.first: tuple[float, int] | None = None
        self.last_sent = 0.0

    def __call__(self, done: int, total: int) -> None:
        from core.train.events import EmbedProgress

        now = self.clock()
        if self.first is None:  # the first call comes after the cached ones and one chunk
            self.first = (now, done)
            return
        if now - self.last_sent < self.interval and done < total:
            return
        self.last_sent = now
        elapsed, computed = now - self.first[0], done - self.first[1]
        rate = computed / elapsed if elapsed > 0 and computed > 0 else 0.0
        self.emit(EmbedProgress(done, total, rate, (total - done) / rate if rate else None, self.views))


def probe_clip(spec, data: LabelledData, setting: float | None, init=None):
    """A log-mel probe cuts every clip to one length, so a second is equally wide in every picture:
    the setting, the earlier run's length (a probe continuing it), or the length 90% of the
    training clips fit in (at least 0.5 s, at most 10 s, in tenths of a second). Stretching each
    clip to the picture made the time axis of short and long clips differ."""
    import math

    pre = spec.preprocessing
    if not hasattr(pre, "clip_seconds") or pre.clip_seconds:
        return spec
    if init is not None:
        seconds = (init.preprocessing or {}).get("clip_seconds")
    elif setting is not None:
        seconds = float(setting)
    else:
        lengths = sorted(_duration(it) for it in data.train[:2000])
        lengths = [d for d in lengths if d > 0]
        p90 = lengths[min(len(lengths) - 1, int(0.9 * len(lengths)))] if lengths else 1.0
        seconds = min(max(math.ceil(p90 * 10 - 1e-6) / 10, 0.5), 10.0)
    return spec.with_preprocessing(clip_seconds=float(seconds)) if seconds else spec


def _duration(item) -> float:
    from core import media

    try:
        whole = media.audio_info(item.path).duration
    except (media.MediaError, OSError):
        return 0.0
    return (item.end if item.end is not None else whole) - (item.start or 0.0)


def targets_of(data: LabelledData, items) -> list:
    """Each item's class, or (multi-task) its class in the main set and then in each extra set."""
    if data.label_sets:
        return [(it.label, *it.extra) for it in items]
    return [it.label for it in items]


def _view_source(item, view: int, spec):
    """A function giving view ``view`` of a labelled picture or sound (read when the cache lacks it)."""
    if spec.modality == "audio":
        from core import media
        from core.probe.views import shifted

        rate = spec.preprocessing.sample_rate
        return lambda: shifted(media.read_audio(item.path, rate, start=item.start, end=item.end), item.hash, view, rate)
    from core.media import decode_image
    from core.probe.views import altered

    return lambda: altered(decode_image(item.path), item.hash, view)


def _source_of(item, spec):
    """A path, or for a segment of a recording a function reading just that span."""
    if item.start is None and item.end is None:
        return item.path
    from core import media

    return lambda: media.read_audio(item.path, spec.preprocessing.sample_rate, start=item.start, end=item.end)
