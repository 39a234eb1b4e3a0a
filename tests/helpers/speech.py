"""Spoken words from espeak-ng (a Debian package that scripts/setup.sh installs)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.media import resample


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def require_espeak() -> None:
    if not espeak_available():
        pytest.fail("espeak-ng is not installed: run scripts/setup.sh (it installs the Debian package)")


def say(word: str, *, voice: str = "en", speed: int = 160, pitch: int = 50, sample_rate: int = 16000) -> np.ndarray:
    """The word as float32 mono at ``sample_rate``, espeak's own leading/trailing silence trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "w.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(out), word],
            check=True, capture_output=True,
        )
        wave, rate = sf.read(out, dtype="float32")
    if wave.ndim > 1:
        wave = wave.mean(axis=1)
    wave = resample(wave, rate, sample_rate)
    loud = np.flatnonzero(np.abs(wave) > 0.02)
    return wave[loud[0] : loud[-1] + 1] if loud.size else wave


def recording(words, gap: float = 0.6, sample_rate: int = 16000, noise: float = 0.0, seed: int = 0):
    """Words separated by ``gap`` seconds of (noisy) silence. Returns (wave, [(word, start, end)])."""
    rng = np.random.default_rng(seed)
    parts, truth, t = [], [], gap
    parts.append(np.zeros(int(gap * sample_rate), np.float32))
    for word in words:
        w = say(word, sample_rate=sample_rate)
        parts.append(w)
        truth.append((word, t, t + len(w) / sample_rate))
        t += len(w) / sample_rate + gap
        parts.append(np.zeros(int(gap * sample_rate), np.float32))
    wave = np.concatenate(parts)
    if noise:
        wave = wave + rng.normal(0, noise, wave.shape).astype(np.float32)
    return wave.astype(np.float32), truth


def keyword_clip(word: str, voice: str, *, speed: int = 160, pitch: int = 50, seconds: float = 1.0,
                 sample_rate: int = 16000, noise: float = 0.003, seed: int = 0) -> np.ndarray:
    """A word centred in a ``seconds`` clip over faint noise: the shape of a keyword-spotting sample."""
    rng = np.random.default_rng(seed)
    w = say(word, voice=voice, speed=speed, pitch=pitch, sample_rate=sample_rate)
    n = int(seconds * sample_rate)
    w = w[:n]
    clip = rng.normal(0, noise, n).astype(np.float32)
    start = (n - len(w)) // 2
    clip[start : start + len(w)] += w
    return clip


def noise_clip(seconds: float = 1.0, sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """Background: pink-ish noise at a random level."""
    rng = np.random.default_rng(seed)
    white = rng.normal(0, 1, int(seconds * sample_rate))
    pink = np.cumsum(white)
    pink -= np.convolve(pink, np.ones(400) / 400, mode="same")
    pink /= np.abs(pink).max() + 1e-9
    return (pink * rng.uniform(0.01, 0.2)).astype(np.float32)
