"""The resize every picture goes through (core.backbones.preprocessing.resize_and_crop): small
pictures are resized by two matrix products read off F.interpolate, larger ones by F.interpolate
itself; both must give the same picture, for every setting a backbone can have."""

import numpy as np
import pytest
import torch

from core.backbones import preprocessing as P


@pytest.mark.parametrize("pre", [P.ImagePreprocessing(interpolation="bicubic"), P.ImagePreprocessing(interpolation="bilinear"),
                                 P.ImagePreprocessing(resize="squash"), P.ImagePreprocessing(crop_size=240, resize_size=274),
                                 P.ImagePreprocessing(crop_size=64, resize_size=73, interpolation="bicubic")],
                         ids=["bicubic", "bilinear", "squash", "240px", "64px-shrunk"])
def test_small_pictures_resized_by_matrices_match_interpolate(pre, monkeypatch):
    g = torch.Generator().manual_seed(0)
    for h, w in [(96, 96), (50, 200), (256, 100), (31, 17), (224, 224)]:
        x = torch.rand(2, 3, h, w, generator=g)
        monkeypatch.setattr(P, "MATRIX_RESIZE_UP_TO", 0)  # F.interpolate, as the exported graph
        reference = P.resize_and_crop(x, pre)
        monkeypatch.setattr(P, "MATRIX_RESIZE_UP_TO", 256)
        P._MATRICES.clear()
        fast = P.resize_and_crop(x, pre)
        assert fast.shape == reference.shape == (2, 3, pre.crop_size, pre.crop_size)
        assert float((fast - reference).abs().max()) < 1e-5, (h, w)
        assert float(fast.min()) >= 0.0 and float(fast.max()) <= 1.0
        assert (h, w, pre.crop_size, pre.resize_size, pre.resize, pre.interpolation) in P._MATRICES


@pytest.mark.parametrize("side", [96, 400])
def test_prepared_picture_is_the_normalised_resize(side):
    """to_tensor folds the scaling, the weights' mean and std and the clamp into the resize of small
    pictures: the same values as normalising resize_and_crop's picture; large ones do it after."""
    from PIL import Image

    pre = P.ImagePreprocessing(interpolation="bicubic", mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (side, side + 30, 3), dtype=np.uint8)
    pixels[side // 2 - 10:side // 2 + 10] = 255  # hard edges: bicubic overshoots past white, the clamp must hold it
    image = Image.fromarray(pixels)
    raw = torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255
    monkey = P.MATRIX_RESIZE_UP_TO
    try:
        P.MATRIX_RESIZE_UP_TO = 0
        reference = pre.normalize(P.resize_and_crop(raw, pre)[0])
    finally:
        P.MATRIX_RESIZE_UP_TO = monkey
    got = pre.to_tensor(image)
    assert got.shape == (3, 224, 224)
    assert float((got - reference).abs().max()) < 1e-5
    assert float(pre.normalize(torch.ones(3, 1, 1)).max()) == pytest.approx(float(got.amax(dim=(1, 2)).max()), abs=1e-5)


def test_large_pictures_keep_interpolate():
    pre = P.ImagePreprocessing()
    P._MATRICES.clear()
    out = P.resize_and_crop(torch.rand(1, 3, 300, 400), pre)
    assert out.shape == (1, 3, 224, 224) and not P._MATRICES
