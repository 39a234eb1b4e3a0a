"""Embeddings on the CPU through onnxruntime (core.features_onnx): the same features as PyTorch, the
same cache, built once, and PyTorch where a network cannot be exported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core import backbones, features_onnx
from core.features import extract

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def pictures(tmp_path):
    cat = Image.open(DATA / "chelsea.jpg")
    items = []
    for i, box in enumerate([(0, 0, 451, 300), (100, 0, 300, 300), (0, 50, 451, 150), (200, 100, 260, 290),
                             (10, 10, 90, 90), (300, 0, 451, 200)]):
        path = tmp_path / f"p{i}.jpg"
        cat.crop(box).save(path, quality=92)
        items.append((f"h{i}", path))
    return items


def test_onnxruntime_features_equal_torch_and_share_the_cache(tmp_path, pictures, monkeypatch):
    # a cache folder of its own: the session's may hold other networks (other tests, other workers)
    monkeypatch.setenv("TRANSFERLAB_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.setattr(features_onnx, "_SESSIONS", {})
    monkeypatch.setenv("TRANSFERLAB_ONNX_FEATURES", "0")
    by_torch = extract("efficientnet_lite0", pictures, batch_size=4)
    monkeypatch.setenv("TRANSFERLAB_ONNX_FEATURES", "always")
    by_onnx = extract("efficientnet_lite0", pictures, cache_dir=tmp_path / "cache", batch_size=4)
    assert by_onnx.hashes == by_torch.hashes and by_onnx.computed == len(pictures)
    assert np.abs(by_onnx.vectors - by_torch.vectors).max() < 1e-4
    built = list((features_onnx.cache_root() / "feature-networks").glob("efficientnet_lite0-*.onnx"))
    assert len(built) == 1
    # the torch path reads what onnxruntime cached: one cache, one key
    monkeypatch.setenv("TRANSFERLAB_ONNX_FEATURES", "0")

    def must_not_decode():
        raise AssertionError("a cached sample was decoded again")

    again = extract("efficientnet_lite0", [(h, must_not_decode) for h, _ in pictures], cache_dir=tmp_path / "cache")
    assert again.cached == len(pictures) and np.array_equal(again.vectors, by_onnx.vectors)


def test_small_jobs_do_not_build_but_use_a_built_network(monkeypatch):
    from core.weights import load_pretrained

    spec = backbones.get("efficientnet_lite0")
    model = load_pretrained(spec)
    monkeypatch.setenv("TRANSFERLAB_CACHE_DIR", str(Path(features_onnx.cache_root()) / "fresh-for-this-test"))
    monkeypatch.setattr(features_onnx, "_SESSIONS", {})
    assert features_onnx.for_model(spec, model, model.weights_identity, items=10) is None
    built = features_onnx.for_model(spec, model, model.weights_identity, items=features_onnx.BUILD_MIN_ITEMS)
    assert built is not None and built.path.exists()
    monkeypatch.setattr(features_onnx, "_SESSIONS", {})
    assert features_onnx.for_model(spec, model, model.weights_identity, items=1).path == built.path
    # unidentified weights (random or half-trained) and a GPU model stay with PyTorch
    assert features_onnx.for_model(spec, model, None, items=10_000) is None


class DataDependent(torch.nn.Module):
    """A network torch.export cannot trace (Python control flow on a tensor's value)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)

    def forward(self, x):
        y = self.conv(x).mean(dim=(2, 3))
        if float(y.sum()) > 0:
            return y
        return -y


def test_a_network_that_cannot_be_exported_falls_back_to_torch(monkeypatch, caplog):
    monkeypatch.setenv("TRANSFERLAB_ONNX_FEATURES", "always")
    spec = backbones.get("efficientnet_lite0").with_preprocessing(crop_size=32, resize_size=32)
    model = DataDependent().eval()
    assert features_onnx.for_model(spec, model, "identity-of-a-test-network") is None
    assert "could not run in onnxruntime" in caplog.text
    items = [(f"x{i}", torch.randn(3, 32, 32)) for i in range(3)]
    got = extract(spec, items, model=model, weights_identity="identity-of-a-test-network")
    with torch.inference_mode():
        want = model(torch.stack([t for _, t in items])).numpy()
    assert np.abs(got.vectors - want).max() < 1e-6
