"""Resampling a long recording: a 10-minute 44.1 kHz WAV (16-bit) to 16 kHz mono float32.

Each way in a fresh process (peak memory: the process's peak resident set, VmHWM, with the same
modules loaded in each, so the baseline is shared), best of three runs:

- before: the hand-written resampler TransferLab used until now (one FFT over the whole
  recording, spectrum truncated, inverse FFT), kept here as the reference;
- soxr: core.media.read_audio(path, 16000) now (libsoxr over the whole waveform);
- streamed: core.media.iter_audio(path, 16000), what `transferlab detect` and the Play page read
  long recordings with now (libsoxr a block at a time, 10 s blocks);
- baseline: the same process doing nothing, for the imports' share of the memory.

    .venv/bin/python bench/bench_resample.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.machine import machine  # noqa: E402

SECONDS, SRC, DST = 600, 44100, 16000


def fft_resample(wave: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """TransferLab's resampler before soxr (core/media.py until this change), verbatim."""
    if src_rate == dst_rate or wave.size == 0:
        return wave.astype(np.float32, copy=False)
    n_out = max(1, int(round(wave.shape[0] * dst_rate / src_rate)))
    spectrum = np.fft.rfft(wave.astype(np.float64))
    n_bins = n_out // 2 + 1
    out_spec = np.zeros(n_bins, dtype=np.complex128)
    keep = min(n_bins, spectrum.shape[0])
    out_spec[:keep] = spectrum[:keep]
    out = np.fft.irfft(out_spec, n=n_out) * (n_out / wave.shape[0])
    return out.astype(np.float32)


def child(way: str, path: str) -> None:
    """Run one way in this process and print seconds, peak RSS (MiB) and output length as JSON."""
    import soundfile  # noqa: F401 - every way loads the same modules before the clock starts
    import soxr  # noqa: F401

    from core.media import iter_audio, read_audio

    start = time.perf_counter()
    if way == "before":
        n = len(fft_resample(read_audio(path), SRC, DST))
    elif way == "soxr":
        n = len(read_audio(path, DST))
    elif way == "streamed":
        n = sum(len(block) for block in iter_audio(path, DST))
    else:
        n = 0
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mib": _peak_mib(), "samples": n}))


def _peak_mib() -> float:
    """This process's peak resident memory. Linux's VmHWM starts afresh at exec; ru_maxrss does
    not (a child keeps its parent's peak from before the exec), so it is only the fallback."""
    import resource

    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(way: str, path: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    out = subprocess.run([sys.executable, __file__, "--child", way, path], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import soundfile as sf

    from core.media import read_audio

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ten_minutes.wav")
        rng = np.random.default_rng(0)
        t = np.arange(SECONDS * SRC) / SRC
        wave = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
        sf.write(path, wave, SRC, subtype="PCM_16")
        del wave, t
        # the two whole-waveform results agree where both are valid (away from the ends)
        x = read_audio(path)[: SRC * 20]
        a, b = fft_resample(x, SRC, DST), read_audio(path, DST, end=20.0)
        agree = float(np.max(np.abs(a[DST:-DST] - b[DST:-DST])))
        del x, a, b
        rows = {}
        for way in ("baseline", "before", "soxr", "streamed"):
            runs = [run(way, path) for _ in range(3)]
            rows[way] = {"seconds": round(min(r["seconds"] for r in runs), 3),
                         "peak_mib": round(min(r["peak_mib"] for r in runs), 1), "samples": runs[0]["samples"]}
    base = rows["baseline"]["peak_mib"]
    for way in ("before", "soxr", "streamed"):
        rows[way]["above_baseline_mib"] = round(rows[way]["peak_mib"] - base, 1)
    doc = {
        "benchmark": f"resample a {SECONDS // 60}-minute {SRC} Hz 16-bit WAV to {DST} Hz mono float32",
        "reference": "before: TransferLab's hand-written whole-file FFT resampler (in this file)",
        "results": rows,
        "speed_up_soxr": round(rows["before"]["seconds"] / rows["soxr"]["seconds"], 1),
        "max_difference_before_vs_soxr": agree,
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    (HERE / "results" / "resample.json").write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
