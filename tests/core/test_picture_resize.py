"""The resize every picture goes through (core.backbones.preprocessing.resize_and_crop): small
pictures are resized by two matrix products read off F.interpolate, larger ones by F.interpolate
itself; both must give the same picture, for every setting a backbone can have."""

import pytest
import torch

from core.backbones import preprocessing as P


@pytest.mark.parametrize("pre", [P.ImagePreprocessing(interpolation="bicubic"), P.ImagePreprocessing(interpolation="bilinear"),
                                 P.ImagePreprocessing(resize="squash"), P.ImagePreprocessing(crop_size=240, resize_size=274)],
                         ids=["bicubic", "bilinear", "squash", "240px"])
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


def test_large_pictures_keep_interpolate():
    pre = P.ImagePreprocessing()
    P._MATRICES.clear()
    out = P.resize_and_crop(torch.rand(1, 3, 300, 400), pre)
    assert out.shape == (1, 3, 224, 224) and not P._MATRICES
