"""Tiny hand-weighted models that follow the export contract, for testing the torch-free predictor.

image: "red" vs "blue" from the mean colour. audio: "loud" vs "quiet" from the mean absolute level.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import onnx
import torch

from core.predict import contract as C


class MeanColour(torch.nn.Module):
    def forward(self, image):  # uint8 [N, H, W, 3]
        x = image.float().mean(dim=(1, 2)) / 255.0
        logits = torch.stack([x[:, 0] - x[:, 2], x[:, 2] - x[:, 0]], dim=1) * 10.0
        return torch.softmax(logits, dim=1), logits


class FixedSizeColour(torch.nn.Module):
    """Weights for exactly 8x8 pictures: onnxruntime's MatMul fails on any other size."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(8 * 8 * 3, 2))

    def forward(self, image):  # uint8 [N, 8, 8, 3]
        logits = image.float().flatten(1) @ self.weight
        return torch.softmax(logits, dim=1), logits


class Loudness(torch.nn.Module):
    def forward(self, waveform):  # float32 [N, T]
        level = waveform.abs().mean(dim=1)
        logits = torch.stack([(level - 0.1) * 50.0, (0.1 - level) * 50.0], dim=1)
        return torch.softmax(logits, dim=1), logits


def _export(module, example, input_name, path: Path, meta: dict) -> Path:
    dynamic = {0: "batch", 1: "height", 2: "width"} if input_name == C.IMAGE_INPUT else {0: "batch", 1: "time"}
    # The TorchScript exporter: a test fixture needs no preprocessing graph, and it is 10x faster.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module, (example,), str(path), input_names=[input_name], output_names=[C.PROBABILITIES, C.LOGITS],
            dynamic_axes={input_name: dynamic}, dynamo=False,
        )
    model = onnx.load(str(path))
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
    return path


def image_model(path: Path, preprocessing: dict | None = None) -> Path:
    """``preprocessing``: the settings an exported model carries (resize_size, crop_size, resize);
    prediction decodes large pictures only as far down as they say."""
    meta = {
        C.KEY_FORMAT: C.FORMAT_VERSION, C.KEY_TASK: "image", C.KEY_LABELS: json.dumps(["red", "blue"]),
        C.KEY_INPUT_SPEC: json.dumps(C.image_input_spec()), C.KEY_BACKBONE: "test-mean-colour",
        **({"preprocessing": json.dumps(preprocessing)} if preprocessing else {}),
    }
    return _export(MeanColour(), torch.zeros(1, 8, 8, 3, dtype=torch.uint8), C.IMAGE_INPUT, path, meta)


def fixed_size_image_model(path: Path) -> Path:
    """An image model that runs on 8x8 pictures and makes onnxruntime itself fail on others."""
    meta = {
        C.KEY_FORMAT: C.FORMAT_VERSION, C.KEY_TASK: "image", C.KEY_LABELS: json.dumps(["red", "blue"]),
        C.KEY_INPUT_SPEC: json.dumps(C.image_input_spec()), C.KEY_BACKBONE: "test-fixed-size",
    }
    return _export(FixedSizeColour(), torch.zeros(1, 8, 8, 3, dtype=torch.uint8), C.IMAGE_INPUT, path, meta)


def audio_model(path: Path, sample_rate: int = 16000, window_seconds: float = 1.0) -> Path:
    meta = {
        C.KEY_FORMAT: C.FORMAT_VERSION, C.KEY_TASK: "audio", C.KEY_LABELS: json.dumps(["loud", "quiet"]),
        C.KEY_INPUT_SPEC: json.dumps(C.audio_input_spec(sample_rate, window_seconds)),
        C.KEY_SAMPLE_RATE: str(sample_rate), C.KEY_BACKBONE: "test-loudness",
    }
    return _export(Loudness(), torch.zeros(1, sample_rate), C.AUDIO_INPUT, path, meta)


def foreign_model(path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(torch.nn.Linear(3, 2), (torch.zeros(1, 3),), str(path), dynamo=False)
    return path
