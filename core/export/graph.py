"""Preprocessing inside the exported graph, so an exported model takes raw pixels or samples.

image:    uint8 [N, H, W, 3] RGB of any size -> resize (and centre-crop) + normalise -> classifier
waveform: float32 [N, T] mono at the project's rate -> the backbone's own front end -> classifier

The image resize is core.backbones.preprocessing.resize_and_crop, the same function training uses,
so the exported graph prepares raw pixels exactly as training did (only pictures over twice the
resize target differ slightly: training pre-shrinks those with Pillow). The export check measures
the difference on the project's own files.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from core.backbones import ImagePreprocessing, LogMelPreprocessing, WaveformPreprocessing
from core.backbones.preprocessing import resize_and_crop


class ImageInput(nn.Module):
    def __init__(self, p: ImagePreprocessing):
        super().__init__()
        self.p = p
        self.register_buffer("mean", torch.tensor(p.mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(p.std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = image.permute(0, 3, 1, 2).to(torch.float32) / 255.0
        return (resize_and_crop(x, self.p) - self.mean) / self.std


class WaveformInput(nn.Module):
    """Raw waveform for speech backbones: what WaveformPreprocessing does per item, on a batch."""

    def __init__(self, p: WaveformPreprocessing):
        super().__init__()
        self.p = p

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        x = waveform.to(torch.float32)
        if x.shape[-1] < self.p.min_samples:
            x = F.pad(x, (0, self.p.min_samples - x.shape[-1]))
        if self.p.normalize:
            x = (x - x.mean(dim=-1, keepdim=True)) / (x.std(dim=-1, keepdim=True, unbiased=False) + 1e-7)
        return x


def input_module(preprocessing) -> nn.Module:
    if isinstance(preprocessing, ImagePreprocessing):
        return ImageInput(preprocessing)
    if isinstance(preprocessing, LogMelPreprocessing):
        return preprocessing.frontend()
    if isinstance(preprocessing, WaveformPreprocessing):
        return WaveformInput(preprocessing)
    raise TypeError(f"no in-graph preprocessing for {type(preprocessing).__name__}")


class ExportedClassifier(nn.Module):
    """Raw input -> (probabilities, logits): the whole model a user of the .onnx file needs.

    A multi-task model (``head_sizes`` of more than one label set) gives the main set's
    probabilities and logits, then the probabilities of each extra set."""

    def __init__(self, preprocessing, classifier: nn.Module, speech: bool = False, head_sizes: list[int] | None = None):
        super().__init__()
        self.prepare = input_module(preprocessing)
        self.classifier = classifier
        self.speech = speech
        self.head_sizes = list(head_sizes or [])

    def forward(self, x: torch.Tensor):
        return self.classify(self.prepare(x))

    def classify(self, prepared):
        if isinstance(prepared, tuple):  # text: (input_ids, attention_mask)
            logits = self.classifier(*prepared).float()
        else:
            logits = (self.classifier(prepared, None) if self.speech else self.classifier(prepared)).float()
        if len(self.head_sizes) < 2:
            return torch.softmax(logits, dim=-1), logits
        parts = torch.split(logits, self.head_sizes, dim=-1)
        return (torch.softmax(parts[0], dim=-1), parts[0], *(torch.softmax(p, dim=-1) for p in parts[1:]))


class TextExportedClassifier(ExportedClassifier):
    """(input_ids, attention_mask) -> the same outputs. The tokenizer cannot be an ONNX graph (it is
    string processing), so it travels beside the model and in its metadata; pooling over the mask
    and the head are inside."""

    def __init__(self, classifier: nn.Module, head_sizes: list[int] | None = None):
        nn.Module.__init__(self)
        self.prepare = nn.Identity()
        self.classifier = classifier
        self.speech = False
        self.head_sizes = list(head_sizes or [])

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        return self.classify((input_ids, attention_mask))


class PreparedClassifier(nn.Module):
    """An ExportedClassifier without its preprocessing: prepared input (an audio model's log-mel
    picture) -> the same outputs. With ``exported.prepare`` as a file of its own, it serves runtimes
    that lack an operator the preprocessing needs (STFT)."""

    def __init__(self, exported: ExportedClassifier):
        super().__init__()
        self.exported = exported

    def forward(self, x: torch.Tensor):
        return self.exported.classify(x)
