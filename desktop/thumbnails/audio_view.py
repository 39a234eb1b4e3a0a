"""What the audio detail shows, computed off the GUI thread: a waveform envelope and a
log-magnitude spectrogram as an RGB picture (numpy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.media import audio_info, read_audio
from desktop.thumbnails.render import envelope

MAX_SECONDS = 120.0
# A perceptually ordered dark-to-bright ramp (close to matplotlib's "magma").
_STOPS = np.array([
    (0.00, 0, 0, 4), (0.25, 80, 18, 123), (0.50, 182, 54, 121), (0.75, 251, 136, 97), (1.00, 252, 253, 191),
], dtype=np.float32)


@dataclass(frozen=True)
class AudioPicture:
    lows: np.ndarray
    highs: np.ndarray
    peak: float
    seconds: float
    sample_rate: int
    spectrogram: np.ndarray  # uint8 (height, width, 3), low frequencies at the bottom


def colormap(values: np.ndarray) -> np.ndarray:
    v = np.clip(values, 0.0, 1.0)
    out = np.empty(v.shape + (3,), dtype=np.uint8)
    for ch in range(3):
        out[..., ch] = np.interp(v, _STOPS[:, 0], _STOPS[:, ch + 1]).astype(np.uint8)
    return out


def spectrogram(wave: np.ndarray, n_fft: int = 512, hop: int = 128, max_columns: int = 1200) -> np.ndarray:
    if wave.size < n_fft:
        wave = np.pad(wave, (0, n_fft - wave.size))
    frames = 1 + (wave.size - n_fft) // hop
    if frames > max_columns:  # long files: spread the columns over the whole recording
        hop = max((wave.size - n_fft) // (max_columns - 1), 1)
        frames = 1 + (wave.size - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    window = np.hanning(n_fft).astype(np.float32)
    mag = np.abs(np.fft.rfft(wave[idx] * window, axis=1))
    db = 20 * np.log10(mag + 1e-6)
    top = db.max(initial=-120.0)
    norm = (db - (top - 80.0)) / 80.0  # an 80 dB range below the loudest bin
    return colormap(norm.T[::-1].copy())


def analyse(path, columns: int = 1200) -> AudioPicture:
    sr = audio_info(path).sample_rate  # MediaError, with the reason, for a file that is not sound
    wave = read_audio(path, end=MAX_SECONDS)
    lows, highs = envelope(wave, columns)
    return AudioPicture(lows, highs, float(np.abs(wave).max(initial=0.0)), wave.size / sr if sr else 0.0, sr,
                        spectrogram(wave))
