"""Embeddings of a task's files for the suite's reference probes and feature comparisons.

A "recipe" says how a file becomes a network input (image preprocessing, or an audio front end) and
which network reads it; features are computed once per (task, recipe) with onnxruntime on the CPU
and kept in an .npz next to the task's files.

The plain reference recipes are exactly what issue 14 describes: EfficientNet-Lite0 global-average
pooled features at 224 px (bilinear resize of the whole picture, ImageNet mean/std); for audio the
first second as a 64-band log-mel (n_fft 400, hop 160), log, standardised per clip, scaled to
[0, 1], repeated on 3 channels and resized to 224x224.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from bench.suite import tasks

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


# ------------------------------------------------------------------ inputs


def plain_image(path) -> torch.Tensor:
    from PIL import Image

    with Image.open(path) as im:
        x = torch.from_numpy(np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)
    x = F.interpolate(x[None], size=(224, 224), mode="bilinear", align_corners=False, antialias=True)[0]
    return (x - IMAGENET_MEAN) / IMAGENET_STD


_PLAIN_MEL = {}


def plain_audio(path) -> torch.Tensor:
    import torchaudio

    from core.media import read_audio

    wave = torch.from_numpy(read_audio(path, 16000))[:16000]
    if wave.numel() < 16000:
        wave = F.pad(wave, (0, 16000 - wave.numel()))
    if "mel" not in _PLAIN_MEL:
        _PLAIN_MEL["mel"] = torchaudio.transforms.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=64)
    mel = torch.log(_PLAIN_MEL["mel"](wave) + 1e-6)
    mel = (mel - mel.mean()) / (mel.std() + 1e-6)
    mel = (mel - mel.min()) / (mel.max() - mel.min() + 1e-6)
    x = F.interpolate(mel[None, None], size=(224, 224), mode="bilinear", align_corners=False)[0].expand(3, -1, -1)
    return (x - IMAGENET_MEAN) / IMAGENET_STD


# ------------------------------------------------------------------ networks in onnxruntime

ONNX_DIR = tasks.default_root() / "_onnx"


def onnx_session(module: torch.nn.Module, example: torch.Tensor, tag: str):
    """``module`` exported once (dynamic batch) and opened in onnxruntime."""
    import onnxruntime as ort

    path = ONNX_DIR / f"{tag}.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        batch = torch.export.Dim("batch", min=1, max=4096)
        tmp = path.with_suffix(".tmp")
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            from core.features_onnx import _OneInput

            torch.onnx.export(_OneInput(module.eval()), (example,), str(tmp), input_names=["x"], output_names=["f"],
                              dynamic_shapes={"x": {0: batch}}, dynamo=True, external_data=False)
        os.replace(tmp, path)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = int(os.environ.get("ORT_THREADS", "0"))
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_session(session, inputs: list[torch.Tensor], batch: int = 64) -> np.ndarray:
    out = []
    for i in range(0, len(inputs), batch):
        x = torch.stack(inputs[i:i + batch]).numpy()
        out.append(session.run(None, {"x": x})[0])
    return np.concatenate(out).astype(np.float32)


def cached(task_dir: Path, recipe: str, compute) -> dict:
    """{split: (X, y)} for a recipe, computed once."""
    path = task_dir / f"features-{recipe}.npz"
    if path.exists():
        data = np.load(path)
        return {s: (data[f"{s}_x"], data[f"{s}_y"]) for s in ("pool", "test")}
    result = {}
    for split in ("pool", "test"):
        paths, labels, _ = tasks.files(task_dir, split)
        result[split] = (compute(paths), np.asarray(labels))
    np.savez(path, **{f"{s}_x": x for s, (x, _) in result.items()}, **{f"{s}_y": y for s, (_, y) in result.items()})
    return result


def lite0():
    from core.weights import load_pretrained

    return load_pretrained("efficientnet_lite0").eval()


def plain_features(task_dir: Path, modality: str) -> dict:
    """The plain reference's features (issue 14's recipe) for every file of a task."""
    prepare = plain_image if modality == "image" else plain_audio

    def compute(paths):
        session = onnx_session(lite0(), torch.zeros(2, 3, 224, 224), "lite0-plain")
        return run_session(session, [prepare(p) for p in paths])

    return cached(task_dir, f"plain-{modality}", compute)


def digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:10]


# ------------------------------------------------------------------ candidate recipes (images)


def project_image_features(task_dir: Path, *, backbone: str = "efficientnet_lite0", resize: str = "center_crop",
                           multilevel: bool = False, view: str = "id") -> dict:
    """Features through TransferLab's own preprocessing of ``backbone`` (``resize`` as in
    ImagePreprocessing), optionally pooled from every level, of a view of each picture
    ("id", "flip": mirrored left-right)."""
    from core import backbones
    from core.media import decode_image
    from core.weights import load_pretrained
    from core.zeroshot.levels import MultiLevelFeatures

    spec = backbones.get(backbone).with_preprocessing(resize=resize)
    pre = spec.preprocessing
    tag = f"{backbone}-{resize}-{'ml' if multilevel else 'final'}"

    def prepare(path):
        x = pre.to_tensor(decode_image(path))
        return x.flip(-1) if view == "flip" else x

    def compute(paths):
        net = load_pretrained(spec).eval()
        example = torch.zeros(2, 3, pre.crop_size, pre.crop_size)
        if multilevel:
            net = MultiLevelFeatures.probe(net, (example,))
        session = onnx_session(net, example, tag)
        return run_session(session, [prepare(p) for p in paths])

    return cached(task_dir, f"{tag}-{view}", compute)


def level_dims(backbone: str = "efficientnet_lite0") -> list[int]:
    from core import backbones
    from core.zeroshot.levels import MultiLevelFeatures

    spec = backbones.get(backbone)
    net = spec.build()
    example = torch.zeros(1, 3, spec.preprocessing.crop_size, spec.preprocessing.crop_size)
    return MultiLevelFeatures.probe(net, (example,)).dims


# ------------------------------------------------------------------ candidate recipes (audio)


def project_audio_features(task_dir: Path, *, clip_seconds: float | None = 1.0, multilevel: bool = False,
                           tag: str = "", **logmel) -> dict:
    """Features of TransferLab's log-mel front end (LogMelPreprocessing with ``logmel`` changes) on
    clips centre-fitted to ``clip_seconds`` (None: each clip as it is), read by Lite0."""
    import dataclasses

    from core import backbones
    from core.media import fit_length, read_audio
    from core.weights import load_pretrained
    from core.zeroshot.levels import MultiLevelFeatures

    spec = backbones.get("audio_efficientnet_lite0")
    pre = dataclasses.replace(spec.preprocessing, **logmel)
    name = f"audio-{digest(sorted(logmel.items()), clip_seconds)}{'-ml' if multilevel else ''}{tag}"

    def prepare(path):
        wave = read_audio(path, pre.sample_rate)
        if clip_seconds:
            wave = fit_length(wave, int(clip_seconds * pre.sample_rate))
        return pre.to_tensor(wave)

    def compute(paths):
        net = load_pretrained(spec).eval()
        example = torch.zeros(2, 3, pre.image_size, pre.image_size)
        if multilevel:
            net = MultiLevelFeatures.probe(net, (example,))
        session = onnx_session(net, example, "lite0-audio" + ("-ml" if multilevel else ""))
        return run_session(session, [prepare(p) for p in paths])

    return cached(task_dir, name, compute)


class GridLevels(torch.nn.Module):
    """Every level's spatial mean, and for levels of at most ``max_channels`` channels also the means
    of a ``grid`` x ``grid`` partition (where things are, not only what), then the final features."""

    def __init__(self, backbone, levels, grid=2, max_channels=320):
        super().__init__()
        self.backbone, self.levels, self.grid, self.max_channels = backbone, list(levels), grid, max_channels
        self._seen = []
        for path in self.levels:
            backbone.get_submodule(path).register_forward_hook(self._keep)

    def _keep(self, _m, _i, out):
        parts = [out.mean(dim=(2, 3))]
        if out.shape[1] <= self.max_channels:
            parts.append(F.adaptive_avg_pool2d(out, self.grid).flatten(1))
        self._seen.append(torch.cat(parts, 1))

    def forward(self, x):
        self._seen = []
        final = self.backbone(x)
        seen, self._seen = self._seen, []
        return torch.cat([*seen, final], 1)


def grid_image_features(task_dir: Path, *, backbone: str = "efficientnet_lite0", resize: str = "center_crop",
                        grid: int = 2) -> dict:
    from core import backbones
    from core.media import decode_image
    from core.weights import load_pretrained

    spec = backbones.get(backbone).with_preprocessing(resize=resize)
    pre = spec.preprocessing

    def compute(paths):
        net = load_pretrained(spec).eval()
        example = torch.zeros(2, 3, pre.crop_size, pre.crop_size)
        levels, _ = net._find_levels((example[:1],))
        session = onnx_session(GridLevels(net, levels, grid), example, f"{backbone}-{resize}-grid{grid}")
        return run_session(session, [pre.to_tensor(decode_image(p)) for p in paths])

    return cached(task_dir, f"{backbone}-{resize}-grid{grid}", compute)


def augment_picture(img, rng):
    """A mild random view: a crop of 75-100% of the picture, a small rotation, light and contrast."""
    from PIL import Image, ImageEnhance

    w, h = img.size
    s = float(rng.uniform(0.75, 1.0))
    cw, ch = max(8, int(w * s)), max(8, int(h * s))
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    img = img.crop((x0, y0, x0 + cw, y0 + ch)).resize((w, h), Image.BILINEAR)
    img = img.rotate(float(rng.uniform(-10, 10)), resample=Image.BILINEAR, fillcolor=img.getpixel((0, 0)))
    img = ImageEnhance.Brightness(img).enhance(float(rng.uniform(0.8, 1.2)))
    return ImageEnhance.Contrast(img).enhance(float(rng.uniform(0.8, 1.2)))


def augmented_pool_features(task_dir: Path, views: int = 2, *, backbone: str = "efficientnet_lite0",
                            resize: str = "center_crop", grid: int = 0) -> np.ndarray:
    """[views, pool size, D] multi-level features (``grid``: with grid pooling, as
    grid_image_features) of augmented views of every pool picture."""
    from core import backbones
    from core.media import decode_image
    from core.weights import load_pretrained

    kind = f"grid{grid}" if grid else "ml"
    path = task_dir / f"features-{backbone}-{resize}-{kind}-aug{views}.npy"
    if path.exists():
        return np.load(path)
    spec = backbones.get(backbone).with_preprocessing(resize=resize)
    pre = spec.preprocessing
    net = load_pretrained(spec).eval()
    example = torch.zeros(2, 3, pre.crop_size, pre.crop_size)
    if grid:
        levels, _ = net._find_levels((example[:1],))
        session = onnx_session(GridLevels(net, levels, grid), example, f"{backbone}-{resize}-grid{grid}")
    else:
        net.pool_levels((example[:1],))
        session = onnx_session(net, example, f"{backbone}-{resize}-ml")
    paths, _, _ = tasks.files(task_dir, "pool")
    out = []
    for v in range(views):
        rng = np.random.default_rng(100 + v)
        out.append(run_session(session, [pre.to_tensor(augment_picture(decode_image(p), rng)) for p in paths]))
    arr = np.stack(out)
    np.save(path, arr)
    return arr


def plain_ml_features(task_dir: Path) -> dict:
    """The plain reference's preprocessing (whole picture, bilinear, ImageNet mean/std), features
    pooled from every level."""
    def compute(paths):
        net = lite0()
        example = torch.zeros(2, 3, 224, 224)
        net.pool_levels((example[:1],))
        session = onnx_session(net, example, "lite0-plain-ml")
        return run_session(session, [plain_image(p) for p in paths])

    return cached(task_dir, "plain-image-ml", compute)


def audio_grid_features(task_dir: Path, *, grid: int = 2, views: int = 0, tag: str = "", **logmel):
    """Log-mel (``logmel`` changes) features pooled from every level with ``grid`` cells (0: means
    only), clips fit to 1 s; with ``views`` > 0, also [views, pool, D] of time-shifted pool clips."""
    import dataclasses

    from core import backbones
    from core.media import fit_length, read_audio
    from core.weights import load_pretrained

    spec = backbones.get("audio_efficientnet_lite0")
    pre = dataclasses.replace(spec.preprocessing, **logmel)
    name = f"audio-{digest(sorted(logmel.items()), 1.0)}-grid{grid}{tag}"
    net = None

    def session():
        nonlocal net
        net = load_pretrained(spec).eval()
        example = torch.zeros(2, 3, pre.image_size, pre.image_size)
        levels, _ = net._find_levels((example[:1],))
        return onnx_session(GridLevels(net, levels, grid) if grid else _means(net, example), example,
                            f"lite0-audio-grid{grid}")

    def prepare(path, shift=0):
        wave = read_audio(path, pre.sample_rate)
        if shift:
            wave = np.roll(np.pad(wave, (abs(shift), abs(shift))), shift)[abs(shift):abs(shift) + len(wave)]
        return pre.to_tensor(fit_length(wave, pre.sample_rate))

    feats = cached(task_dir, name, lambda paths: run_session(session(), [prepare(p) for p in paths]))
    if not views:
        return feats
    path = task_dir / f"features-{name}-shift{views}.npy"
    if not path.exists():
        s = session()
        paths, _, _ = tasks.files(task_dir, "pool")
        out = []
        for v in range(views):
            rng = np.random.default_rng(200 + v)
            out.append(run_session(s, [prepare(p, int(rng.integers(-2400, 2401))) for p in paths]))
        np.save(path, np.stack(out))
    return feats, np.load(path)


def _means(net, example):
    net.pool_levels((example[:1],))
    return net
