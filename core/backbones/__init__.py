"""Pretrained backbones: one registry of ``BackboneSpec`` entries (see spec.py).

Typical use::

    from core import backbones, weights
    spec = backbones.get("efficientnet_lite0")
    model = weights.load_pretrained(spec)          # eval mode, finalized, real weights
    x = spec.preprocessing.load(path)              # one prepared item
    feats = model(*spec.preprocessing.collate([x]))  # [1, spec.feature_dim]
    backbones.unfreeze_top(model, 2)               # fine-tune the top two stages
"""

from core.backbones.feature_models import ClassifierFeatures, FeatureModel, SpeechFeatures, unfreeze_top
from core.backbones.preprocessing import (
    ImagePreprocessing,
    LogMelImage,
    LogMelPreprocessing,
    Preprocessing,
    TextPreprocessing,
    WaveformPreprocessing,
)
from core.backbones.registry import UnknownBackboneError, all_specs, default_for, get, names, probe_default_for
from core.backbones.spec import BackboneSpec, Stage, WeightsFile

__all__ = [
    "BackboneSpec", "Stage", "WeightsFile", "FeatureModel", "ClassifierFeatures", "SpeechFeatures",
    "ImagePreprocessing", "LogMelPreprocessing", "LogMelImage", "WaveformPreprocessing", "TextPreprocessing", "Preprocessing",
    "UnknownBackboneError", "all_specs", "default_for", "get", "names", "probe_default_for", "unfreeze_top",
]
