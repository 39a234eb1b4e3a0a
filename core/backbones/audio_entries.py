"""Audio backbones: a log-mel picture fed to the bundled ImageNet EfficientNet-Lite0 (offline default,
cross-domain transfer), and torchaudio's self-supervised speech models.

Speech models are built with torchaudio's own factories and parameters (the bundle's ``_params``),
so their state dicts are exactly those of the files torchaudio downloads into the torch hub cache.
"""

from __future__ import annotations

import functools

from core.backbones.feature_models import SpeechFeatures, speech_stages
from core.backbones.image_entries import LITE0_WEIGHTS, build_lite0
from core.backbones.preprocessing import LogMelPreprocessing, WaveformPreprocessing
from core.backbones.spec import BackboneSpec, WeightsFile

# The layer whose hidden states are pooled. Not the last: the top layers of wav2vec 2.0 specialise
# in the pre-training objective and carry less of the phonetic/speaker information downstream
# classifiers need (Pasad et al., 2021, "Layer-wise analysis of a self-supervised speech
# representation model"); a middle-upper layer also skips a third of the transformer's compute.
DEFAULT_SPEECH_LAYER = 8


AUDIO_EFFICIENTNET_LITE0 = BackboneSpec(
    name="audio_efficientnet_lite0",
    modality="audio",
    title="Log-mel + EfficientNet-Lite0 (bundled, ImageNet)",
    feature_dim=1280,
    builder=build_lite0,  # the same ImageNet network; the log-mel front end makes the picture
    preprocessing=LogMelPreprocessing(),
    weights=LITE0_WEIGHTS,
    licence="Apache-2.0",
    macs_input="one clip (any length, drawn as a 224x224 log-mel picture; the mel front end is not counted)",
    notes="Offline default for audio: 16 kHz log-mel spectrogram (128 bands, 25 ms windows, 10 ms hop) "
          "scaled to the 224x224 picture the bundled ImageNet weights expect.",
)


def _speech_spec(name: str, bundle_name: str, title: str, licence: str, notes: str) -> BackboneSpec:
    import torchaudio.pipelines as pipelines

    bundle = getattr(pipelines, bundle_name)
    model_type, params = bundle._model_type, dict(bundle._params)
    file_name = bundle._path

    def build(layer: int = DEFAULT_SPEECH_LAYER) -> SpeechFeatures:
        from torchaudio.pipelines._wav2vec2.utils import _get_model

        return SpeechFeatures(_get_model(model_type, params), layer=layer, stage_fn=speech_stages)

    build.__name__ = build.__qualname__ = f"build_{name}"
    return BackboneSpec(
        name=name,
        modality="audio",
        title=title,
        feature_dim=int(params["encoder_embed_dim"]),
        builder=build,
        preprocessing=WaveformPreprocessing(
            sample_rate=int(bundle.sample_rate), normalize=bool(bundle._normalize_waveform)
        ),
        weights=WeightsFile(
            key=name, file_name=file_name,
            url=f"https://download.pytorch.org/torchaudio/models/{file_name}",
            sha256=None,  # torchaudio publishes no hash for these files: imports are checked by shapes
            licence=licence, description=f"torchaudio.pipelines.{bundle_name}",
        ),
        licence=licence,
        macs_input="one second of 16 kHz audio (compute grows with length)",
        options={"layer": DEFAULT_SPEECH_LAYER},
        notes=notes,
    )


@functools.lru_cache(maxsize=1)
def speech_specs() -> tuple[BackboneSpec, ...]:
    return (
        _speech_spec("wav2vec2_base", "WAV2VEC2_BASE", "wav2vec 2.0 Base (LibriSpeech 960h)", "MIT",
                     "Self-supervised speech model (fairseq, MIT licence); pooled hidden states."),
        _speech_spec("hubert_base", "HUBERT_BASE", "HuBERT Base (LibriSpeech 960h)", "MIT",
                     "Self-supervised speech model (fairseq, MIT licence); pooled hidden states."),
        _speech_spec("wavlm_base", "WAVLM_BASE", "WavLM Base (LibriSpeech 960h)", "MIT",
                     "Self-supervised speech model (Microsoft UniLM, MIT licence); pooled hidden states."),
    )
