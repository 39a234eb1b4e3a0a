"""Audio tasks of the transfer-quality suite: speech from espeak-ng (speaker-disjoint test sets),
musical chords, synthetic environmental sounds, and words in background noise.

Each ``draw_*`` returns ``(classes, draw, counts)`` like the image tasks; ``draw`` returns a float32
mono waveform at ``RATE`` (written as 16-bit WAV by the suite). Clips are placed at a random offset
in a slightly longer recording with a little noise, like a microphone's take, not trimmed to the
word.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16000

WORDS = ["yes", "no", "up", "down", "left", "right", "stop", "go", "on", "off"]

# Speakers: an accent and a voice variant. Pool and test speakers share neither.
POOL_ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-029"]
TEST_ACCENTS = ["en-gb-x-rp", "en-us-nyc", "en-gb-x-gbclan"]
POOL_VARIANTS = ["m1", "m3", "f1", "f3", "klatt", "m5"]
TEST_VARIANTS = ["m2", "f2", "f4", "m7", "klatt3"]


def _resample(wave, rate):
    import soxr

    return soxr.resample(wave, rate, RATE).astype(np.float32) if rate != RATE else wave.astype(np.float32)


def speak(word, accent, variant, speed, pitch):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "w.wav"
        subprocess.run(["espeak-ng", "-v", f"{accent}+{variant}", "-s", str(speed), "-p", str(pitch), "-w",
                        str(out), word], check=True, capture_output=True)
        wave, rate = sf.read(out, dtype="float32")
    if wave.ndim > 1:
        wave = wave.mean(axis=1)
    wave = _resample(wave, rate)
    loud = np.flatnonzero(np.abs(wave) > 0.02)
    return wave[loud[0]:loud[-1] + 1] if loud.size else wave


def _place(sound, rng, seconds, noise_level):
    """``sound`` at a random offset in a clip of ``seconds`` (or its own length, if longer)."""
    n = max(int(seconds * RATE), len(sound) + 1)
    clip = rng.normal(0, noise_level, n).astype(np.float32)
    start = int(rng.integers(0, n - len(sound) + 1))
    clip[start:start + len(sound)] += sound
    return clip


def _speaker(rng, split):
    accents, variants = (POOL_ACCENTS, POOL_VARIANTS) if split == "pool" else (TEST_ACCENTS, TEST_VARIANTS)
    return (accents[int(rng.integers(len(accents)))], variants[int(rng.integers(len(variants)))],
            int(rng.integers(120, 200)), int(rng.integers(25, 75)))


def draw_words():
    """Ten command words spoken by espeak-ng; the test speakers (accent and voice) never occur in
    the pool."""

    def draw(k, rng, split, index):
        word = speak(WORDS[k], *_speaker(rng, split)) * float(rng.uniform(0.3, 1.0))
        return _place(word, rng, 1.0, float(rng.uniform(0.001, 0.01)))

    return WORDS, draw, {}


# ------------------------------------------------------------------ noise for words in noise


def _coloured_noise(rng, n, exponent):
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.arange(spec.size) + 1.0
    wave = np.fft.irfft(spec / f ** (exponent / 2), n)
    return (wave / (np.abs(wave).max() + 1e-9)).astype(np.float32)


def _babble(rng, n):
    out = np.zeros(n, np.float32)
    for _ in range(3):
        w = speak(str(rng.choice(["hello", "weather", "later", "table", "window", "seven", "music"])),
                  *_speaker(rng, "pool"))
        start = int(rng.integers(0, max(1, n - len(w))))
        seg = w[: n - start]
        out[start:start + len(seg)] += seg
    return out / (np.abs(out).max() + 1e-9)


def _hum(rng, n):
    t = np.arange(n) / RATE
    f0 = float(rng.choice([50.0, 60.0])) * float(rng.uniform(0.98, 1.02))
    wave = sum(np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6.3)) / h for h in range(1, 8))
    return (wave / np.abs(wave).max()).astype(np.float32)


def draw_words_in_noise():
    """Five command words spoken over loud background noise (pink, brown, hum or babble at 0-10 dB
    signal-to-noise); test speakers unseen, as in the words task."""
    words = WORDS[:5]

    def draw(k, rng, split, index):
        word = speak(words[k], *_speaker(rng, split))
        clip = _place(word, rng, 1.0, 0.0)
        kind = int(rng.integers(4))
        n = len(clip)
        noise = (_coloured_noise(rng, n, 1.0), _coloured_noise(rng, n, 2.0), _hum(rng, n), _babble(rng, n))[kind]
        snr = float(rng.uniform(0, 10))
        p_sig = float(np.mean(word ** 2))
        p_noise = float(np.mean(noise ** 2)) + 1e-12
        clip = clip + noise * np.sqrt(p_sig / (p_noise * 10 ** (snr / 10)))
        return (clip / max(1.0, float(np.abs(clip).max()))).astype(np.float32)

    return words, draw, {}


# ------------------------------------------------------------------ chords

CHORDS = {"major": (0, 4, 7), "minor": (0, 3, 7), "diminished": (0, 3, 6), "augmented": (0, 4, 8),
          "sus4": (0, 5, 7), "dominant7": (0, 4, 7, 10)}


def draw_chords():
    """Chord qualities (major, minor, diminished, augmented, sus4, dominant seventh) on any root
    from C3 to B4, in a random timbre (harmonic mix, attack, decay), slightly detuned, sometimes
    arpeggiated."""
    names = list(CHORDS)

    def draw(k, rng, split, index):
        seconds = float(rng.uniform(0.8, 1.2))
        t = np.arange(int(seconds * RATE)) / RATE
        root = 48 + int(rng.integers(0, 24))
        harmonics = rng.uniform(0, 1, 6) ** 2
        harmonics[0] = 1.0
        decay = float(rng.uniform(0.5, 4.0))
        attack = float(rng.uniform(0.002, 0.08))
        arp = float(rng.uniform(0.0, 0.12)) if rng.random() < 0.4 else 0.0
        wave = np.zeros_like(t)
        for i, step in enumerate(CHORDS[names[k]]):
            f = 440.0 * 2 ** ((root + step - 69) / 12) * float(rng.uniform(0.997, 1.003))
            start = i * arp
            tt = np.clip(t - start, 0, None)
            env = np.where(t >= start, np.minimum(tt / attack, 1.0) * np.exp(-decay * tt), 0.0)
            for h, a in enumerate(harmonics, start=1):
                if f * h < RATE / 2:
                    wave += a * env * np.sin(2 * np.pi * f * h * tt + rng.uniform(0, 6.3))
        wave = wave / (np.abs(wave).max() + 1e-9) * float(rng.uniform(0.2, 0.9))
        return _place(wave.astype(np.float32), rng, 1.2, float(rng.uniform(0.001, 0.01)))

    return names, draw, {}


# ------------------------------------------------------------------ environmental sounds

SOUNDS = ["rain", "wind", "engine", "birdsong", "dripping", "siren", "knocking"]


def draw_environment():
    """Seven kinds of everyday sound in a noisy place (pink or brown noise from 5 dB below to 5 dB
    above them),
    synthesised with random parameters: rain (dense random
    clicks through a band filter), wind (slowly swelling low noise), an engine (a buzzing harmonic
    series with jitter), birdsong (fast chirps), dripping (sparse decaying tones), a siren (a slow
    pitch sweep), knocking (a few thuds)."""

    def draw(k, rng, split, index):
        n = int(RATE * float(rng.uniform(0.9, 1.3)))
        t = np.arange(n) / RATE
        kind = SOUNDS[k]
        if kind == "rain":
            clicks = (rng.random(n) < rng.uniform(0.01, 0.05)) * rng.normal(0, 1, n)
            spec = np.fft.rfft(clicks)
            f = np.fft.rfftfreq(n, 1 / RATE)
            lo, hi = rng.uniform(800, 2000), rng.uniform(3000, 7000)
            wave = np.fft.irfft(spec * ((f > lo) & (f < hi)), n)
        elif kind == "wind":
            wave = _coloured_noise(rng, n, 2.0) * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * t + rng.uniform(0, 6)))
        elif kind == "engine":
            f0 = rng.uniform(25, 90) * (1 + 0.02 * np.sin(2 * np.pi * rng.uniform(1, 5) * t))
            phase = 2 * np.pi * np.cumsum(f0) / RATE
            wave = sum(np.sin(h * phase) / h ** rng.uniform(0.5, 1.2) for h in range(1, 20)) + 0.2 * _coloured_noise(rng, n, 1.0)
        elif kind == "birdsong":
            wave = np.zeros(n)
            pos = 0
            while pos < n:
                dur = int(RATE * rng.uniform(0.03, 0.12))
                tt = np.arange(min(dur, n - pos)) / RATE
                f_start, f_end = rng.uniform(2000, 6000, 2)
                freq = f_start + (f_end - f_start) * tt / max(tt[-1] if tt.size else 1, 1e-3)
                wave[pos:pos + tt.size] += np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.hanning(tt.size)
                pos += dur + int(RATE * rng.uniform(0.02, 0.15))
        elif kind == "dripping":
            wave = np.zeros(n)
            for start in rng.uniform(0, n / RATE - 0.1, int(rng.integers(2, 6))):
                tt = t - start
                f = rng.uniform(600, 1800)
                wave += np.where(tt >= 0, np.sin(2 * np.pi * f * (1 + 0.3 * np.exp(-tt * 30)) * tt) * np.exp(-tt * rng.uniform(15, 40)), 0)
        elif kind == "siren":
            f = rng.uniform(600, 900) + rng.uniform(200, 500) * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t + rng.uniform(0, 6))
            wave = np.sin(2 * np.pi * np.cumsum(f) / RATE) + 0.3 * np.sin(4 * np.pi * np.cumsum(f) / RATE)
        else:  # knocking
            wave = np.zeros(n)
            start = rng.uniform(0.05, 0.3)
            for i in range(int(rng.integers(2, 5))):
                tt = t - start - i * rng.uniform(0.12, 0.25)
                f = rng.uniform(80, 250)
                wave += np.where(tt >= 0, (np.sin(2 * np.pi * f * tt) + 0.5 * rng.normal(0, 1, n) * np.exp(-tt * 200)) * np.exp(-tt * 35), 0)
        wave = np.asarray(wave, dtype=np.float64)
        wave = wave / (np.sqrt(np.mean(wave ** 2)) + 1e-9)
        # in a noisy place: pink or brown noise from 5 dB below to 5 dB above the sound
        noise = _coloured_noise(rng, n, float(rng.choice([1.0, 2.0])))
        noise = noise / (np.sqrt(np.mean(noise ** 2)) + 1e-9) * 10 ** (float(rng.uniform(-5, 5)) / 20)
        wave = wave + noise
        return (wave / (np.abs(wave).max() + 1e-9) * float(rng.uniform(0.2, 0.9))).astype(np.float32)

    return SOUNDS, draw, {}
