"""The one registry of backbones, by name, in the order they are offered to the user."""

from __future__ import annotations

import functools

from core.backbones.spec import BackboneSpec
from core.errors import TransferLabError


class UnknownBackboneError(TransferLabError):
    exit_code = 2


@functools.lru_cache(maxsize=1)
def _bundled() -> dict[str, BackboneSpec]:
    """The backbones whose weights ship with the app. Looking one of them up imports neither
    torchvision nor torchaudio: reading their metadata pulled in torch's compiler stack (sympy,
    triton), 135 MB of a probe's memory on a model that uses none of it."""
    from core.backbones.audio_entries import AUDIO_EFFICIENTNET_LITE0
    from core.backbones.image_entries import (
        EFFICIENTNET_LITE0,
        EFFICIENTNET_LITE01,
        EFFICIENTNET_LITE1,
        EFFICIENTNET_LITE2,
    )
    from core.backbones.text_entries import MINILM_L6
    from core.backbones.tfidf import TFIDF

    return {s.name: s for s in (EFFICIENTNET_LITE0, EFFICIENTNET_LITE1, EFFICIENTNET_LITE2, EFFICIENTNET_LITE01,
                                AUDIO_EFFICIENTNET_LITE0, MINILM_L6, TFIDF)}


@functools.lru_cache(maxsize=1)
def _registry() -> dict[str, BackboneSpec]:
    # Built on first use: reading torchvision/torchaudio metadata costs a moment at import time.
    from core.backbones.audio_entries import speech_specs
    from core.backbones.image_entries import torchvision_specs

    bundled = _bundled()
    # a picture probe's default (probe_default_for) first, then the single networks
    lite = [bundled[n] for n in ("efficientnet_lite0_lite1", "efficientnet_lite0", "efficientnet_lite1",
                                 "efficientnet_lite2")]
    specs = (*lite, *torchvision_specs(), bundled["audio_efficientnet_lite0"], *speech_specs(), bundled["minilm_l6"],
             bundled["tfidf"])
    table: dict[str, BackboneSpec] = {}
    for spec in specs:
        if spec.name in table:
            raise RuntimeError(f"two backbones are named {spec.name}")
        table[spec.name] = spec
    return table


def all_specs(modality: str | None = None) -> list[BackboneSpec]:
    """Every backbone (of one modality when given): offline defaults first."""
    return [s for s in _registry().values() if modality is None or s.modality == modality]


def names(modality: str | None = None) -> list[str]:
    return [s.name for s in all_specs(modality)]


def get(name_or_spec: str | BackboneSpec) -> BackboneSpec:
    """The spec of a backbone; a spec passes through (so APIs accept either)."""
    if isinstance(name_or_spec, BackboneSpec):
        return name_or_spec
    try:
        return _bundled().get(name_or_spec) or _registry()[name_or_spec]
    except KeyError:
        raise UnknownBackboneError(
            f"There is no backbone called {name_or_spec!r}; choose one of: {', '.join(names())}."
        ) from None


def default_for(modality: str) -> BackboneSpec:
    """The single network that works offline out of the box for a project of this modality: what
    fine-tuning, few-shot and zero-shot models use unless told otherwise."""
    return get({"image": "efficientnet_lite0", "audio": "audio_efficientnet_lite0", "text": "minilm_l6"}[modality])


def probe_default_for(modality: str) -> BackboneSpec | None:
    """The backbone a probe of this modality trains on unless told otherwise, where it is not
    ``default_for``'s: pictures are read by EfficientNet-Lite0 and Lite1 together (a head on each,
    averaged; core.backbones.pair), which beat Lite0 alone by 2.15 points through real projects on
    the transfer-quality suite's eight picture tasks (bench/bench_transfer_suite.py --backbone, 5 and
    20 a class, three draws: 36 of 48 better; README). None: the single network."""
    return get("efficientnet_lite0_lite1") if modality == "image" else None
