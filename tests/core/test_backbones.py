"""The registry: every entry builds its real architecture and yields features of its declared size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core import backbones
from core.backbones import unfreeze_top

DATA = Path(__file__).resolve().parents[1] / "data"
EXPECTED = {
    "image": ["efficientnet_lite0_lite1", "efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
              "resnet18", "resnet50", "convnext_tiny", "vit_b_16"],
    "audio": ["audio_efficientnet_lite0", "wav2vec2_base", "hubert_base", "wavlm_base"],
}
# ImageNet classes of domestic cats: tabby, tiger cat, Persian, Siamese, Egyptian cat.
CAT_CLASSES = {281, 282, 283, 284, 285}


pytestmark = pytest.mark.usefixtures("two_torch_threads")


def test_registry_lists_every_backbone_once_with_offline_defaults_first():
    assert backbones.names("image") == EXPECTED["image"]
    assert backbones.names("audio") == EXPECTED["audio"]
    assert backbones.default_for("image").name == "efficientnet_lite0"
    assert backbones.default_for("audio").name == "audio_efficientnet_lite0"
    assert backbones.probe_default_for("image").name == EXPECTED["image"][0]  # a picture probe's default leads
    assert backbones.probe_default_for("audio") is None and backbones.probe_default_for("text") is None


def test_unknown_backbone_is_a_sentence_naming_the_choices():
    with pytest.raises(backbones.UnknownBackboneError, match="no backbone called 'resnet9000'.*resnet18"):
        backbones.get("resnet9000")


def _images():
    # Several sizes and aspect ratios, including smaller than the crop and very elongated.
    rng = np.random.default_rng(0)
    sizes = [(224, 224), (64, 48), (500, 120), (90, 700)]
    return [Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)) for w, h in sizes]


def _waves(seconds):
    rng = np.random.default_rng(1)
    return [(0.1 * rng.standard_normal(int(s * 16000))).astype(np.float32) for s in seconds]


@pytest.mark.parametrize("name", EXPECTED["image"])
def test_image_backbone_builds_and_returns_declared_feature_size(name):
    spec = backbones.get(name)
    model = spec.build().eval()
    pre = spec.preprocessing
    tensors = [pre.to_tensor(im) for im in _images()]
    assert all(t.shape == (3, pre.crop_size, pre.crop_size) for t in tensors)
    with torch.inference_mode():
        feats = model(*pre.collate(tensors))
    assert feats.shape == (len(tensors), spec.feature_dim)
    assert torch.isfinite(feats).all()


def test_log_mel_backbone_takes_audio_of_any_length():
    spec = backbones.get("audio_efficientnet_lite0")
    model = spec.build().eval()
    pre = spec.preprocessing
    waves = _waves([0.0, 0.01, 0.3, 1.0, 7.5]) + [np.zeros(16000, np.float32)]  # empty ... silence
    tensors = [pre.to_tensor(w) for w in waves]
    assert all(t.shape == (3, 224, 224) and torch.isfinite(t).all() for t in tensors)
    with torch.inference_mode():
        feats = model(*pre.collate(tensors))
    assert feats.shape == (len(waves), 1280)


@pytest.mark.parametrize("name", ["wav2vec2_base", "hubert_base", "wavlm_base"])
def test_speech_backbone_pools_valid_frames_of_waveforms_of_several_lengths(name):
    spec = backbones.get(name).configured(layer=2)  # a shallow layer keeps the test quick
    model = spec.build().eval()
    assert len(model.net.encoder.transformer.layers) == 2  # layers above the chosen one are dropped
    pre = spec.preprocessing
    tensors = [pre.to_tensor(w) for w in _waves([0.005, 0.4, 1.1])]
    assert tensors[0].shape[0] == pre.min_samples  # padded to the receptive field
    batch = pre.collate(tensors)
    assert batch[1].tolist() == [t.shape[0] for t in tensors]  # lengths: padding is masked out of the mean
    with torch.inference_mode():
        masked = model(*batch)
        unmasked = model(batch[0], None)
        alone = model(*pre.collate([tensors[1]]))
    assert masked.shape == (3, spec.feature_dim)
    assert torch.isfinite(masked).all()
    # The length mask keeps padding out of the mean, so the padded item's features are closer to
    # its features alone than without the mask. (The group-norm front end still sees the zeros, so
    # not identical: features.extract batches equal lengths only, for exact features.)
    cos = torch.nn.functional.cosine_similarity
    assert cos(masked[1], alone[0], dim=0) > cos(unmasked[1], alone[0], dim=0)


def test_speech_layer_is_a_setting_and_part_of_the_fingerprint():
    spec = backbones.get("wavlm_base")
    assert spec.options["layer"] == 8
    shallow = spec.configured(layer=4)
    assert shallow.fingerprint != spec.fingerprint
    assert shallow.stage_names()[-1] == "layer4"
    with pytest.raises(ValueError, match="no option"):
        spec.configured(depth=3)
    with pytest.raises(ValueError, match="between 1 and 12"):
        spec.configured(layer=13).build()


@pytest.mark.parametrize("name", [n for n in EXPECTED["image"] if not n.startswith("efficientnet_lite")])
def test_macs_and_params_match_torchvision_metadata(name):
    import torchvision.models as tvm

    spec = backbones.get(name)
    meta = tvm.get_model_weights(name).DEFAULT.meta
    assert spec.macs / 1e9 == pytest.approx(meta["_ops"], rel=0.04)
    assert spec.params < meta["num_params"]  # the ImageNet classifier is not part of the extractor


@pytest.mark.parametrize("name", EXPECTED["image"] + EXPECTED["audio"])
def test_stages_cover_every_parameter_and_unfreeze_from_the_top(name):
    spec = backbones.get(name)
    with torch.device("meta"):
        model = spec.build()
    stages = model.stages()
    assert len(stages) >= 4
    covered = {id(p) for s in stages for p in model.stage_parameters(s)}
    assert covered == {id(p) for p in model.parameters()}
    names = unfreeze_top(model, 2)
    assert names == [s.name for s in stages[-2:]]
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert trainable == {id(p) for s in stages[-2:] for p in model.stage_parameters(s)}
    assert unfreeze_top(model, 0) == [] and not any(p.requires_grad for p in model.parameters())
    assert len(unfreeze_top(model, -1)) == len(stages)


def test_bundled_weights_are_real_imagenet_weights():
    from core.weights import load_pretrained

    spec = backbones.get("efficientnet_lite0")
    model = load_pretrained(spec, keep_head=True)
    x = spec.preprocessing.load(DATA / "chelsea.jpg")
    with torch.inference_mode():
        top5 = model(x[None])[0].topk(5).indices.tolist()
    assert top5[0] in CAT_CLASSES, top5
    assert len(CAT_CLASSES & set(top5)) >= 2


def test_center_crop_and_squash_policies_differ_only_in_what_they_keep():
    spec = backbones.get("resnet18")
    wide = Image.new("RGB", (400, 100), (0, 0, 0))
    wide.paste((255, 255, 255), (0, 0, 40, 100))  # a white band at the far left
    crop = spec.preprocessing.to_tensor(wide)
    squash = spec.with_preprocessing(resize="squash").preprocessing.to_tensor(wide)
    assert crop.shape == squash.shape == (3, 224, 224)
    assert crop[:, :, :5].mean() < 0  # the band was cut off by the centre crop
    assert squash[:, :, :5].mean() > 1  # and kept by squash
    assert spec.with_preprocessing(resize="squash").fingerprint != spec.fingerprint


def test_sizes_are_counted_once_per_machine_and_a_damaged_store_is_counted_again(tmp_path, monkeypatch):
    """A training chooses its mode by the backbone's multiply-accumulates: counting them loads
    TorchDynamo (about 2 s), so they are kept in the cache folder for the next process."""
    from core.backbones import counting

    monkeypatch.setenv("TRANSFERLAB_CACHE_DIR", str(tmp_path))
    spec = backbones.get("mobilenet_v3_small")
    counted = counting.sizes(spec)
    store = tmp_path / counting.STORE
    assert store.exists() and counted == counting.count_params_and_macs(spec)

    def must_not_count(_spec):
        raise AssertionError("counted again although the cache folder has the sizes")

    monkeypatch.setattr(counting, "count_params_and_macs", must_not_count)
    assert counting.sizes(spec) == counted  # what a new process does
    store.write_text("{not json")
    monkeypatch.undo()
    monkeypatch.setenv("TRANSFERLAB_CACHE_DIR", str(tmp_path))
    assert counting.sizes(spec) == counted
    assert len(json.loads(store.read_text())) == 1
