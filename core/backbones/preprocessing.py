"""How an input is prepared for a backbone's weights: one frozen settings object per kind of input.

Every preprocessing object offers the same small interface, so feature extraction and training never
ask which kind they hold:

- ``load(path)``            decode a media file and prepare it (one item tensor)
- ``to_tensor(item)``       prepare an already decoded PIL image / float32 mono waveform / string
- ``collate(tensors)``      stack prepared items into the argument tuple the model is called with
- ``length_of(tensor)``     items of equal length batch without padding (exact features)
- ``settings()``            plain values; they enter the embedding-cache fingerprint
- ``example_batch(n)``      a reference batch for MACs and latency
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Union

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from core import media

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# TensorFlow's EfficientNet-Lite ("edge") weights were trained on (pixel - 127) / 128.
INCEPTION_EDGE_MEAN = (127.0 / 255, 127.0 / 255, 127.0 / 255)
INCEPTION_EDGE_STD = (128.0 / 255, 128.0 / 255, 128.0 / 255)


class _Base:
    modality: ClassVar[str]
    variable_length: ClassVar[bool] = False
    # Whether the training engine can fine-tune a backbone on this input (core.train.model_inputs
    # prepares pictures and sounds, core.train.text_batches token sequences).
    trains_end_to_end: ClassVar[bool] = True
    # Where a probe reads features pooled from several levels (FeatureModel.feature_groups): choose
    # the set by cross-validation ("crossvalidate"), or always take the widest ("widest": for
    # sounds, choosing lost up to 3 points on the suite's audio tasks, README).
    probe_feature_choice: ClassVar[str] = "crossvalidate"
    # What a run saved before a field existed was made with (a later default must not change it).
    BEFORE_FIELDS: ClassVar[dict] = {}

    def settings(self) -> dict:
        return {"kind": type(self).__name__, **dataclasses.asdict(self)}

    def restored(self, saved: dict | None):
        """These settings with a run's saved ones (``settings()``) applied; a field the run predates
        takes the value it had before the field existed."""
        if not saved:
            return self
        valid = {f.name for f in dataclasses.fields(self)}
        merged = {**self.BEFORE_FIELDS, **saved}
        changes = {k: tuple(v) if isinstance(v, list) else v for k, v in merged.items() if k in valid}
        return dataclasses.replace(self, **changes)

    def length_of(self, tensor: torch.Tensor) -> int:
        return int(tensor.shape[-1])

    def clip_rate(self, otherwise: int) -> int:
        """The rate this backbone reads its clips at, which a run records and eval, export and
        prediction read at (every audio preprocessing has one, whatever the project's setting);
        ``otherwise`` for one that reads no sound."""
        return int(getattr(self, "sample_rate", None) or otherwise)


# ---------------------------------------------------------------------------------- images


@dataclass(frozen=True)
class ImagePreprocessing(_Base):
    """RGB image -> float tensor [3, crop_size, crop_size], normalised with the weights' mean/std.

    ``resize='center_crop'`` (what the weights were evaluated with): the shorter side is scaled to
    ``resize_size`` keeping the aspect ratio, then the centre ``crop_size`` square is cut, so the
    edges of wide or tall pictures are lost. ``resize='squash'`` scales the whole picture to the
    square instead: nothing is cut, but shapes are stretched.
    """

    modality: ClassVar[str] = "image"
    crop_size: int = 224
    resize_size: int = 256
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    interpolation: str = "bilinear"  # 'bilinear' | 'bicubic'
    resize: str = "center_crop"  # 'center_crop' | 'squash'

    def __post_init__(self):
        if self.resize not in ("center_crop", "squash"):
            raise ValueError(f"resize must be 'center_crop' or 'squash', not {self.resize!r}")
        if self.interpolation not in _PIL_FILTERS:
            raise ValueError(f"interpolation must be one of {sorted(_PIL_FILTERS)}")

    def load(self, path) -> torch.Tensor:
        return self.to_tensor(media.decode_image(path))

    def settings(self) -> dict:
        # The resize implementation is part of what the features depend on (embedding-cache key).
        return {**super().settings(), "resize_impl": "torch-antialias-1"}

    def to_tensor(self, image) -> torch.Tensor:
        """PIL image -> normalised float tensor [3, crop_size, crop_size]."""
        x = self._raw(image)
        h, w = x.shape[-2:]
        if max(h, w) <= MATRIX_RESIZE_UP_TO:
            # Every picture a probe embeds: the scaling to [0, 1] and by the weights' std goes on
            # the small picture before the resize, the mean after it (a resize keeps a constant
            # picture constant), and the clamp to [0, 1] becomes one to the normalised range:
            # the same values within 1e-6, 0.1 ms a picture less than normalising afterwards.
            scale, shift, high = _normalising(self)  # black, the lowest value, is the shift itself
            out = _matrix_resize(x.mul_(scale), h, w, self).add_(shift)
            return torch.minimum(torch.maximum(out, shift, out=out), high, out=out)  # clamp_ by tensors: 7x slower
        x = resize_and_crop(x[None].div_(255.0), self)[0]  # a new tensor: normalised in place
        return x.sub_(torch.tensor(self.mean).view(3, 1, 1)).div_(torch.tensor(self.std).view(3, 1, 1))

    def pixels(self, image) -> torch.Tensor:
        """PIL image -> float tensor [3, S, S] in [0, 1], resized and cropped, not normalised.

        The resize runs in torch (``resize_and_crop``), the very code the exported ONNX graph
        runs on raw pixels, so a model sees the same input in training and after export. Pillow
        only pre-shrinks very large pictures by an integer factor (cheap, and still at least twice
        the target size, so the final antialiased resize does the real work)."""
        return resize_and_crop(self._raw(image)[None].div_(255.0), self)[0]

    def _raw(self, image) -> torch.Tensor:
        """PIL image -> float tensor [3, H, W] of its 0-255 values (very large ones pre-shrunk)."""
        image = image if image.mode == "RGB" else image.convert("RGB")
        target = self.crop_size if self.resize == "squash" else self.resize_size
        factor = min(image.size) // (2 * target)
        if factor >= 2:
            image = image.reduce(factor)
        return torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1).float()

    def to_uint8(self, image) -> torch.Tensor:
        """``pixels`` as uint8 [3, S, S]: resized and cropped, not normalised (what the training
        engine's decoded-sample cache keeps, 4x smaller than floats; ``pixels`` is clamped to [0, 1])."""
        return self.pixels(image).mul_(255.0).round_().to(torch.uint8)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(3, 1, 1)
        std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(3, 1, 1)
        return (x - mean) / std

    def collate(self, tensors: list[torch.Tensor]) -> tuple:
        return (torch.stack(tensors),)

    def length_of(self, tensor: torch.Tensor) -> int:
        return 0  # every prepared image has the same shape

    def example_batch(self, batch: int = 1, device=None) -> tuple:
        return (torch.zeros(batch, 3, self.crop_size, self.crop_size, device=device),)


_PIL_FILTERS = {"bilinear": 2, "bicubic": 3}  # PIL.Image.Resampling values, without importing PIL here


def resize_and_crop(x: torch.Tensor, p: ImagePreprocessing) -> torch.Tensor:
    """[N, 3, H, W] float in [0, 1] -> [N, 3, S, S]: shorter side to ``resize_size`` and the centre
    ``crop_size`` square (or a squash to the square), antialiased, clamped to [0, 1].

    Written for torch.export as well as eager use: sizes are integer arithmetic on (possibly
    symbolic) shapes, and the crop gathers a fixed number of rows and columns so its size stays
    static in an exported graph."""
    size = p.crop_size
    h, w = x.shape[-2], x.shape[-1]
    eager = isinstance(h, int) and isinstance(w, int) and not torch.compiler.is_compiling()
    if eager and max(h, w) <= MATRIX_RESIZE_UP_TO and x.dtype == torch.float32:
        return _matrix_resize(x, h, w, p).clamp_(0.0, 1.0)
    if p.resize == "squash":
        x = F.interpolate(x, size=(size, size), mode=p.interpolation, align_corners=False, antialias=True)
        return x.clamp(0.0, 1.0)
    nh, nw, top, left = _resized(h, w, p, *((min, max) if eager else (torch.sym_min, torch.sym_max)))
    x = F.interpolate(x, size=(nh, nw), mode=p.interpolation, align_corners=False, antialias=True)
    if eager:  # every picture a probe embeds: the same pixels by slicing, 0.5 ms a picture less
        return x[..., top:top + size, left:left + size].clamp(0.0, 1.0)
    rows = torch.arange(size, device=x.device) + top
    cols = torch.arange(size, device=x.device) + left
    return x.index_select(2, rows).index_select(3, cols).clamp(0.0, 1.0)  # bicubic overshoots


def _resized(h, w, p: ImagePreprocessing, low=min, high=max) -> tuple:
    """(height, width) a picture of h x w is resized to, and the (top, left) of its centre crop
    (``low``/``high``: torch.sym_min/sym_max for the symbolic sizes of an exported graph)."""
    size = p.crop_size
    if p.resize == "squash":
        return size, size, 0, 0
    short = low(h, w)
    nh = high((h * p.resize_size + short // 2) // short, size)
    nw = high((w * p.resize_size + short // 2) // short, size)
    return nh, nw, (nh - size) // 2, (nw - size) // 2


# Pictures up to this side are resized by small matrix products instead of F.interpolate: the same
# antialiased resize (within 3e-7: its weights are read off F.interpolate itself), cropped before it
# is computed. The resize matrices are banded (an output row reads a few input rows), so each is
# kept as blocks of BAND_ROWS output rows with the input rows they read: a 96x96 picture to
# 224x224 took 0.22 ms this way, 0.49 ms by the full products and 0.85-1.2 ms by F.interpolate,
# on one core of a 2-core AMD EPYC (lead-exp s26/band.py). Larger pictures (the products grow
# with the input's area) keep F.interpolate.
MATRIX_RESIZE_UP_TO = 256
BAND_ROWS = 56
_MATRICES: dict[tuple, tuple[list, list]] = {}


def _matrix_resize(x: torch.Tensor, h: int, w: int, p: ImagePreprocessing) -> torch.Tensor:
    """resize_and_crop of x [..., h, w] (float, any scale), not clamped: a new tensor [..., S, S]."""
    rows, cols = _resize_matrices(h, w, p)
    size = p.crop_size
    tall = x.new_empty((*x.shape[:-2], size, w))
    for top, bottom, first, last, block in rows:  # block [bottom - top, last - first]
        torch.matmul(block, x[..., first:last, :], out=tall[..., top:bottom, :])
    out = x.new_empty((*x.shape[:-2], size, size))
    for left, right, first, last, block in cols:  # block [last - first, right - left]
        out[..., left:right] = torch.matmul(tall[..., first:last], block)
    return out


def _resize_matrices(h: int, w: int, p: ImagePreprocessing) -> tuple[list, list]:
    """The bands of (rows [S, h], cols [w, S]), ``rows @ x @ cols`` being resize_and_crop's picture
    of x [.., h, w]: for rows, (top, bottom, first, last, rows[top:bottom, first:last]) where
    the rows outside first:last are zero; for cols the same along its columns."""
    key = (h, w, p.crop_size, p.resize_size, p.resize, p.interpolation)
    found = _MATRICES.get(key)
    if found is not None:
        return found
    size = p.crop_size
    nh, nw, top, left = _resized(h, w, p)

    def along(n_in: int, n_out: int) -> torch.Tensor:  # [n_out, n_in]: an identity picture resized along one side
        eye = torch.eye(n_in)[None, None]
        return F.interpolate(eye, size=(n_out, n_in), mode=p.interpolation, align_corners=False, antialias=True)[0, 0]

    def bands(m: torch.Tensor) -> list:  # m [S, n_in] -> blocks of BAND_ROWS rows and the columns they read
        out = []
        for a in range(0, m.shape[0], BAND_ROWS):
            block = m[a:a + BAND_ROWS]
            used = torch.nonzero(block.abs().sum(0)).flatten()
            first, last = (int(used[0]), int(used[-1]) + 1) if len(used) else (0, 1)
            out.append((a, a + len(block), first, last, block[:, first:last].contiguous()))
        return out

    rows = bands(along(h, nh)[top:top + size])
    cols = [(a, b, first, last, block.T.contiguous()) for a, b, first, last, block in bands(along(w, nw)[left:left + size])]
    if len(_MATRICES) > 64:  # pictures of many sizes: keep the cache small
        _MATRICES.clear()
    _MATRICES[key] = (rows, cols)
    return rows, cols


_NORMALISING: dict[tuple, tuple[torch.Tensor, ...]] = {}


def _normalising(p: ImagePreprocessing) -> tuple[torch.Tensor, ...]:
    """(scale, shift, high) [3, 1, 1]: ((v / 255).clamp(0, 1) - mean) / std of a 0-255 value v,
    written as (v * scale + shift).clamp(shift, high)."""
    key = (p.mean, p.std)
    if key not in _NORMALISING:
        mean = torch.tensor(p.mean, dtype=torch.float32).view(3, 1, 1)
        std = torch.tensor(p.std, dtype=torch.float32).view(3, 1, 1)
        _NORMALISING[key] = (1.0 / (255.0 * std), -mean / std, (1.0 - mean) / std)
    return _NORMALISING[key]


# ---------------------------------------------------------------------------------- log-mel


@dataclass(frozen=True)
class LogMelPreprocessing(_Base):
    """Waveform of any length -> log-mel "picture" [3, image_size, image_size] for an ImageNet CNN.

    The log-mel spectrogram is scaled to the square picture the image weights expect (a probe cuts
    every clip to ``clip_seconds`` first, so a second is equally wide in every picture; otherwise
    each clip is stretched or squeezed to ``image_size`` columns, fine up to a few seconds; long
    recordings are cut into segments on import). Loudness is normalised per clip: by default the
    natural log of the mel power spans black (the clip's quietest bin) to white (its loudest);
    ``peak_db`` instead makes the loudest bin white and ``dynamic_range_db`` below it black, without
    amplifying clips whose loudest bin is under ``silence_floor_db``.
    """

    modality: ClassVar[str] = "audio"
    probe_feature_choice: ClassVar[str] = "widest"
    sample_rate: int = 16000
    n_fft: int = 1024  # zero-padded 25 ms windows: enough FFT bins that no low mel band is empty
    win_length: int = 400  # 25 ms
    hop_length: int = 160  # 10 ms
    n_mels: int = 128
    f_min: float = 0.0
    f_max: float = 8000.0
    dynamic_range_db: float = 80.0
    silence_floor_db: float = -20.0
    # 'peak_db': the loudest bin white, dynamic_range_db below it black; 'minmax_log': the natural
    # log of the mel power (plus log_floor) scaled so the clip's quietest bin is black and its
    # loudest white (what a per-clip standardisation followed by a [0, 1] scaling gives)
    normalize: str = "minmax_log"
    log_floor: float = 1e-6
    image_size: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    low_at_bottom: bool = False  # low frequencies at the top of the picture (True: at the bottom)
    antialias: bool = False  # of the resize to the square picture
    # Every clip's centre ``clip_seconds`` (zero-padded on both sides when shorter), so a second is
    # always as wide in the picture; None: each clip, long or short, is stretched to the picture.
    clip_seconds: float | None = None

    # Chosen on the transfer-quality suite (bench/bench_transfer_suite.py, README): against the
    # earlier defaults (peak-relative dB, 20 Hz up, low frequencies at the bottom, the Lite weights'
    # own input scaling, an antialiased resize) these gained 2-10 points on spoken words with unseen
    # voices, words in noise and chords. A run saved before a field existed keeps its old value:
    BEFORE_FIELDS: ClassVar[dict] = {"normalize": "peak_db", "log_floor": 1e-6, "low_at_bottom": True,
                                     "antialias": True, "clip_seconds": None}

    def __post_init__(self):
        if self.normalize not in ("peak_db", "minmax_log"):
            raise ValueError(f"normalize must be 'peak_db' or 'minmax_log', not {self.normalize!r}")

    def frontend(self) -> LogMelImage:
        """The same transform as an ``nn.Module`` on a batch [B, samples] (for export or GPU use)."""
        return LogMelImage(self)

    def load(self, path) -> torch.Tensor:
        return self.to_tensor(media.read_audio(path, self.sample_rate))

    def to_tensor(self, wave) -> torch.Tensor:
        wave = torch.as_tensor(np.asarray(wave, dtype=np.float32)).reshape(1, -1)
        with torch.no_grad():
            return _frontend_for(self)(wave)[0]

    def collate(self, tensors: list[torch.Tensor]) -> tuple:
        return (torch.stack(tensors),)

    def length_of(self, tensor: torch.Tensor) -> int:
        return 0

    def example_batch(self, batch: int = 1, device=None) -> tuple:
        return (torch.zeros(batch, 3, self.image_size, self.image_size, device=device),)


class LogMelImage(nn.Module):
    """[B, samples] float waveform -> [B, 3, S, S] normalised log-mel picture."""

    def __init__(self, p: LogMelPreprocessing):
        super().__init__()
        import torchaudio

        self.settings = p
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=p.sample_rate, n_fft=p.n_fft, win_length=p.win_length, hop_length=p.hop_length,
            f_min=p.f_min, f_max=p.f_max, n_mels=p.n_mels, power=2.0, center=True, pad_mode="reflect",
        )
        self.to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=None)
        self.register_buffer("mean", torch.tensor(p.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(p.std).view(1, 3, 1, 1), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        p = self.settings
        if p.clip_seconds:
            # The centre n samples, zero-padded when shorter, exactly as core.media.fit_length cuts
            # a clip; written as a gather so an exported graph keeps its input length free.
            n = int(round(p.clip_seconds * p.sample_rate))
            t = wave.shape[-1]
            index = torch.arange(n, device=wave.device) + (t - n) // 2
            inside = (index >= 0) & (index < t)
            wave = wave.index_select(-1, index.clamp(0, t - 1)) * inside.to(wave.dtype)
        if wave.shape[-1] < p.n_fft:  # reflect padding needs at least n_fft/2 samples; empty clips too
            wave = F.pad(wave, (0, p.n_fft - wave.shape[-1]))
        mel = self.mel(wave)  # [B, n_mels, frames]
        if p.normalize == "minmax_log":
            log = torch.log(mel + p.log_floor)
            low = log.amin(dim=(-2, -1), keepdim=True)
            img = (log - low) / (log.amax(dim=(-2, -1), keepdim=True) - low + 1e-6)
        else:
            db = self.to_db(mel)
            ref = db.amax(dim=(-2, -1), keepdim=True).clamp(min=p.silence_floor_db)
            img = ((db - ref) / p.dynamic_range_db + 1.0).clamp(0.0, 1.0)
        if p.low_at_bottom:  # like a picture of a spectrogram
            img = img.flip(-2)
        img = F.interpolate(img.unsqueeze(1), size=(p.image_size, p.image_size), mode="bilinear",
                            align_corners=False, antialias=p.antialias)
        return (img.expand(-1, 3, -1, -1) - self.mean) / self.std


_FRONTENDS: dict[LogMelPreprocessing, LogMelImage] = {}


def _frontend_for(p: LogMelPreprocessing) -> LogMelImage:
    # Building the mel filter bank costs more than applying it to a short clip: keep one per setting.
    if p not in _FRONTENDS:
        _FRONTENDS[p] = LogMelImage(p).eval()
    return _FRONTENDS[p]


# ---------------------------------------------------------------------------------- waveforms


@dataclass(frozen=True)
class WaveformPreprocessing(_Base):
    """Raw waveform for speech models: float32 mono at ``sample_rate``, optionally standardised.

    Shorter clips are zero-padded to ``min_samples`` (the convolutional front end's receptive
    field); longer than ``max_seconds`` are cut (attention cost grows with the square of length).
    """

    modality: ClassVar[str] = "audio"
    variable_length: ClassVar[bool] = True
    probe_feature_choice: ClassVar[str] = "widest"
    sample_rate: int = 16000
    normalize: bool = False  # True for the bundles trained on standardised waveforms (large models)
    min_samples: int = 400
    max_seconds: float = 30.0

    def load(self, path) -> torch.Tensor:
        return self.to_tensor(media.read_audio(path, self.sample_rate, end=self.max_seconds))

    def to_tensor(self, wave) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(wave, dtype=np.float32)).reshape(-1)
        x = x[: int(self.max_seconds * self.sample_rate)]
        if x.shape[0] < self.min_samples:
            x = F.pad(x, (0, self.min_samples - x.shape[0]))
        if self.normalize:
            x = (x - x.mean()) / (x.std(unbiased=False) + 1e-7)  # matches torchaudio's layer_norm
        return x

    def collate(self, tensors: list[torch.Tensor]) -> tuple:
        lengths = [t.shape[0] for t in tensors]
        if len(set(lengths)) == 1:
            return (torch.stack(tensors), None)
        return (nn.utils.rnn.pad_sequence(tensors, batch_first=True), torch.tensor(lengths))

    def example_batch(self, batch: int = 1, device=None) -> tuple:
        return (torch.zeros(batch, self.sample_rate, device=device), None)  # one second


# ---------------------------------------------------------------------------------- text


@dataclass(frozen=True)
class TextPreprocessing(_Base):
    """Text -> token ids [T] (int64) with the backbone's own tokenizer (core.text.tokenizer),
    truncated to ``max_tokens`` (special tokens included); ``collate`` pads a batch to its longest
    text and adds the attention mask, so the model is called with (input_ids, attention_mask)."""

    modality: ClassVar[str] = "text"
    variable_length: ClassVar[bool] = True
    tokenizer: str = "all-MiniLM-L6-v2"
    # What all-MiniLM-L6-v2 was trained with (sentence-transformers' max_seq_length); attention cost
    # grows with the square of length, and a document's opening mostly says what it is about.
    max_tokens: int = 256
    pad_id: int = 0

    def load(self, path) -> torch.Tensor:
        from core.text.decode import read_text_file

        return self.to_tensor(read_text_file(path))

    def to_tensor(self, text) -> torch.Tensor:
        from core.text.tokenizer import load_tokenizer

        ids = load_tokenizer(self.tokenizer, self.max_tokens).encode(str(text)).ids
        return torch.tensor(ids, dtype=torch.long)

    def collate(self, tensors: list[torch.Tensor]) -> tuple:
        ids = nn.utils.rnn.pad_sequence(tensors, batch_first=True, padding_value=self.pad_id)
        mask = torch.zeros_like(ids)
        for k, t in enumerate(tensors):
            mask[k, : t.shape[0]] = 1
        return ids, mask

    def length_of(self, tensor: torch.Tensor) -> int:
        # Texts batch with others of about their length (padding costs compute, not accuracy: the
        # mask keeps padded positions out of attention and of the mean).
        return (int(tensor.shape[0]) + 15) // 16

    def example_batch(self, batch: int = 1, device=None) -> tuple:
        ids = torch.full((batch, 128), 1000, dtype=torch.long, device=device)  # 128 tokens: MACs per text
        return ids, torch.ones_like(ids)


Preprocessing = Union[ImagePreprocessing, LogMelPreprocessing, WaveformPreprocessing, TextPreprocessing]
