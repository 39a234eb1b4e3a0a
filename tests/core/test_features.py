"""Feature extraction: batched, cached per (backbone, preprocessing + weights, sample), never stale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core import backbones
from core.features import EmbeddingCache, extract
from core.weights import WeightsError

DATA = Path(__file__).resolve().parents[1] / "data"


pytestmark = pytest.mark.usefixtures("two_torch_threads")


@pytest.fixture
def photos(tmp_path):
    """Real photo crops of different sizes plus a broken file, as (content hash, path) items."""
    cat = Image.open(DATA / "chelsea.jpg")
    items = []
    for i, box in enumerate([(0, 0, 451, 300), (100, 0, 300, 300), (0, 50, 451, 150), (200, 100, 260, 290)]):
        path = tmp_path / f"photo{i}.png"
        cat.crop(box).save(path)
        items.append((f"hash{i}", path))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a jpeg")
    items.insert(2, ("hash-broken", broken))
    return items


def test_features_are_cached_and_served_identically(tmp_path, photos):
    cache = tmp_path / "cache"
    first = extract("efficientnet_lite0", photos, cache_dir=cache, batch_size=3)
    assert first.hashes == ["hash0", "hash1", "hash2", "hash3"]
    assert first.vectors.shape == (4, 1280) and first.vectors.dtype == np.float32
    assert "not a readable image" in first.failed["hash-broken"]
    assert (first.cached, first.computed) == (0, 4)

    def must_not_load():
        raise AssertionError("a cached sample was decoded again")

    again = extract("efficientnet_lite0", [(h, must_not_load) for h in first.hashes], cache_dir=cache)
    assert (again.cached, again.computed) == (4, 0)
    assert np.array_equal(again.vectors, first.vectors)


def test_cached_features_equal_a_direct_forward_pass(tmp_path, photos):
    from core.weights import load_pretrained

    spec = backbones.get("efficientnet_lite0")
    # batches of 2, stacked into one reused buffer: each batch's features are its own
    got = extract(spec, photos, cache_dir=tmp_path / "cache", batch_size=2)
    readable = [p for h, p in photos if h != "hash-broken"]
    model = load_pretrained(spec)
    with torch.inference_mode():
        direct = model(torch.stack([spec.preprocessing.load(p) for p in readable])).numpy()
    np.testing.assert_allclose(got.vectors, direct, rtol=1e-5, atol=1e-5)


def test_changing_the_preprocessing_invalidates_the_cache(tmp_path, photos):
    cache = tmp_path / "cache"
    spec = backbones.get("efficientnet_lite0")
    crop = extract(spec, photos[:2], cache_dir=cache)
    squash_spec = spec.with_preprocessing(resize="squash")
    squash = extract(squash_spec, photos[:2], cache_dir=cache)
    assert (squash.cached, squash.computed) == (0, 2)
    assert not np.allclose(crop.vectors, squash.vectors)
    assert (extract(spec, photos[:2], cache_dir=cache).cached, extract(squash_spec, photos[:2], cache_dir=cache).cached) == (2, 2)
    assert len(list((cache / "embeddings").glob("*.sqlite"))) == 2


def test_sources_may_be_decoded_media_or_prepared_tensors(tmp_path):
    spec = backbones.get("audio_efficientnet_lite0")
    rng = np.random.default_rng(0)
    wave = (0.1 * rng.standard_normal(8000)).astype(np.float32)
    prepared = spec.preprocessing.to_tensor(wave)
    got = extract(spec, [("a", lambda: wave), ("b", lambda: prepared)], cache_dir=tmp_path / "c")
    assert got.vectors.shape == (2, 1280)
    np.testing.assert_allclose(got.vectors[0], got.vectors[1], rtol=1e-5, atol=1e-5)


def test_variable_length_audio_is_batched_without_padding_so_features_are_exact():
    spec = backbones.get("wav2vec2_base").configured(layer=1)
    torch.manual_seed(0)
    model = spec.build().eval()  # random weights: nothing to cache, but the same arithmetic
    rng = np.random.default_rng(0)
    waves = {f"w{i}": (0.1 * rng.standard_normal(n)).astype(np.float32) for i, n in enumerate([4000, 9000, 4000])}
    together = extract(spec, [(h, w) for h, w in waves.items()], model=model, batch_size=8)
    alone = [extract(spec, [(h, w)], model=model).vectors[0] for h, w in waves.items()]
    assert together.hashes == list(waves)
    np.testing.assert_allclose(together.vectors, np.stack(alone), rtol=1e-4, atol=1e-5)


def test_features_of_unidentified_weights_are_not_cached(tmp_path):
    spec = backbones.get("efficientnet_lite0")
    model = spec.build().eval()
    extract(spec, [("x", torch.zeros(3, 224, 224))], model=model, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_missing_weights_stop_extraction_with_the_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_torch_home"))
    with pytest.raises(WeightsError, match="resnet18-f37072fd.pth"):
        extract("resnet18", [("x", DATA / "chelsea.jpg")], cache_dir=tmp_path / "cache")


def test_one_thousand_cached_embeddings_load_without_decoding_anything(tmp_path):
    spec = backbones.get("efficientnet_lite0")
    from core.weights import resolve

    identity = resolve(spec).identity
    rng = np.random.default_rng(0)
    vectors = {f"{i:064x}": rng.standard_normal(1280).astype(np.float32) for i in range(1000)}
    cache = EmbeddingCache(tmp_path / "cache", spec, identity)
    cache.put_many(vectors)
    cache.close()

    def must_not_load():
        raise AssertionError("decoded a cached sample")

    items = [(h, must_not_load) for h in vectors]
    got = extract(spec, items, cache_dir=tmp_path / "cache")
    assert got.cached == 1000 and got.computed == 0
    assert np.array_equal(got.vectors[17], vectors[got.hashes[17]])
