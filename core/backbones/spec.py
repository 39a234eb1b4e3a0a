"""What a backbone is: one frozen description that carries its own builder, weights and preprocessing.

A ``BackboneSpec`` is the only place that knows how a given pretrained network is built, which file
holds its weights and how an input must be prepared for those weights. Code elsewhere (weights,
features, trainer, export) asks the spec and never branches on a model name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover
    from core.backbones.feature_models import FeatureModel
    from core.backbones.preprocessing import Preprocessing

Modality = Literal["image", "audio", "text"]
MODALITIES = ("image", "audio", "text")


@dataclass(frozen=True)
class Stage:
    """A group of modules unfrozen together; paths are relative to the ``FeatureModel``."""

    name: str
    modules: tuple[str, ...]


@dataclass(frozen=True)
class WeightsFile:
    """Where the pretrained weights of a backbone can come from.

    ``key`` names the weights themselves (two specs may share one file: the audio front end reuses
    the image efficientnet_lite0 weights); imported files are stored as ``<key>.pt``.
    ``sha256`` is the official hash or its prefix (torch hub puts the first 8 hex digits in the file
    name); None where no official hash is published, then imports are checked by shapes only.
    ``bundled`` returns the path of a copy shipped in an installed Python package, or None.
    ``built_in``: the backbone has no weights at all (a fixed computation such as counting
    tokens); it is always available, and nothing is read, imported or downloaded for it.
    ``members``: the weights are those of other backbones, one per network (a pair).
    """

    key: str
    file_name: str
    url: str | None
    sha256: str | None
    licence: str
    bundled: Callable[[], Path | None] | None = None
    description: str = ""
    built_in: bool = False
    # a backbone of several networks (core.backbones.pair): the backbones whose weights its members
    # load, in order; it has no file of its own (nothing to import or download for it)
    members: tuple = ()  # backbone names (or BackboneSpecs: tests' members outside the registry)


@dataclass(frozen=True, eq=False)  # compared by identity: options is a mapping, not hashable
class BackboneSpec:
    """A pretrained feature extractor: ``build()`` gives an ``nn.Module`` mapping a preprocessed batch
    to pooled features ``[B, feature_dim]``.

    ``builder(**options)`` returns a ``FeatureModel`` whose ``net`` has exactly the keys and shapes of
    the official weight file (classifier included), so loading is strict; ``build()`` then drops the
    parts feature extraction does not use. ``model.stages()`` (names: ``stage_names()``) lists the
    trainable blocks from input to output so the trainer can unfreeze the top N. ``options`` are builder settings that change the features
    (for speech models: which transformer layer); they are part of the cache fingerprint.
    """

    name: str
    modality: Modality
    title: str
    feature_dim: int
    builder: Callable[..., FeatureModel]
    preprocessing: Preprocessing
    weights: WeightsFile
    licence: str
    macs_input: str  # what one "item" is for params/MACs/latency, in words
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""

    def __post_init__(self):
        if self.modality not in MODALITIES:
            raise ValueError(f"{self.name}: modality must be one of {', '.join(MODALITIES)}, not {self.modality!r}")
        if self.preprocessing.modality != self.modality:
            raise ValueError(f"{self.name}: preprocessing is for {self.preprocessing.modality} input")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    # ------------------------------------------------------------------ building

    def build(self, *, with_head: bool = False) -> FeatureModel:
        """The real architecture with random weights (use core.weights.load_pretrained for real ones).

        ``with_head=True`` keeps the ImageNet classifier / unused layers so that an official state dict
        loads strictly; call ``model.finalize()`` afterwards.
        """
        model = self.builder(**self.options)
        if not with_head:
            model.finalize()
        return model

    def stage_names(self) -> list[str]:
        """Names of the blocks from input to output, as ``unfreeze_top`` counts them."""
        import torch

        with torch.device("meta"):  # shapes only: instant even for ViT-B
            return [s.name for s in self.build().stages()]

    def example_input(self, batch: int = 1):
        """A batch of the reference input used for MACs and latency (see ``macs_input``)."""
        return self.preprocessing.example_batch(batch)

    # ------------------------------------------------------------------ variants

    def configured(self, **options) -> BackboneSpec:
        """The same backbone with other builder options (e.g. ``layer=6``); unknown names are refused."""
        unknown = set(options) - set(self.options)
        if unknown:
            known = ", ".join(sorted(self.options)) or "none"
            raise ValueError(f"{self.name} has no option {', '.join(sorted(unknown))} (options: {known})")
        return dataclasses.replace(self, options={**self.options, **options})

    def with_preprocessing(self, **changes) -> BackboneSpec:
        """The same backbone with changed preprocessing settings (e.g. ``resize='squash'``)."""
        return dataclasses.replace(self, preprocessing=dataclasses.replace(self.preprocessing, **changes))

    # ------------------------------------------------------------------ identity

    @property
    def fingerprint(self) -> str:
        """Hash of everything that changes the features apart from the weight bytes: preprocessing
        settings, builder options, and which weights file (by official name/hash)."""
        return _fingerprint(self.name, self.preprocessing.settings(), tuple(sorted(self.options.items())),
                            self.weights.file_name, self.weights.sha256)

    # ------------------------------------------------------------------ size

    @property
    def params(self) -> int:
        """Parameters of the feature extractor (the ImageNet classifier excluded)."""
        return _size_of(self)[0]

    @property
    def macs(self) -> int:
        """Multiply-accumulates for one reference item (``macs_input``), counted by forward hooks."""
        return _size_of(self)[1]

    def describe(self) -> dict[str, Any]:
        """Plain values for listings and JSON (no availability or timing: see core.weights/latency)."""
        return {
            "name": self.name,
            "title": self.title,
            "modality": self.modality,
            "feature_dim": self.feature_dim,
            "params": self.params,
            "macs": self.macs,
            "macs_input": self.macs_input,
            "licence": self.licence,
            "weights_licence": self.weights.licence,
            "weights_file": self.weights.file_name,
            "preprocessing": self.preprocessing.settings(),
            "options": dict(self.options),
            "stages": self.stage_names(),
        }


def _fingerprint(*parts) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


_SIZES: dict[tuple[str, str], tuple[int, int]] = {}


def _size_of(spec: BackboneSpec) -> tuple[int, int]:
    # Counted on the meta device (shapes only, no memory), once per variant and machine
    # (core.backbones.counting.sizes keeps them in the cache folder).
    key = (spec.name, spec.fingerprint)
    if key not in _SIZES:
        from core.backbones.counting import sizes

        _SIZES[key] = sizes(spec)
    return _SIZES[key]
