"""What choosing a training's mode costs a new process: the backbone's multiply-accumulates counted
(core.backbones.counting.count_params_and_macs, which loads TorchDynamo) against read from the
cache folder (core.backbones.counting.sizes, what every process after the first on a machine does).

Each measurement is a fresh Python process (as `transferlab train` is), alternating the two, that
imports core and torch, then times ``spec.macs`` for the offline image and audio backbones and
reports whether TorchDynamo was loaded and the process's peak memory after a probe's size check.

Run: .venv/bin/python bench/bench_sizes.py [--rounds 3] -> bench/results/sizes.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402

CHILD = r"""
import json, resource, sys, time
import core, torch
from core.backbones import default_for
specs = [default_for("image"), default_for("audio")]
t = time.perf_counter()
macs = [s.macs for s in specs]
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "macs": macs, "dynamo_loaded": "torch._dynamo" in sys.modules,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(cache: Path) -> dict:
    env = dict(os.environ, TRANSFERLAB_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "sizes.json"))
    a = parser.parse_args()
    runs = {"counted": [], "remembered": []}
    for _ in range(a.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            runs["counted"].append(child(Path(tmp)))  # an empty cache folder: the first process counts
            runs["remembered"].append(child(Path(tmp)))  # the next one reads what it kept
    summary = {k: {"median_seconds": sorted(r["seconds"] for r in v)[len(v) // 2],
                   "median_peak_mib": sorted(r["peak_mib"] for r in v)[len(v) // 2],
                   "dynamo_loaded": [r["dynamo_loaded"] for r in v]} for k, v in runs.items()}
    assert all(r["macs"] == runs["counted"][0]["macs"] for v in runs.values() for r in v)
    Path(a.out).write_text(json.dumps({"machine": machine(), "summary": summary, "runs": runs}, indent=1))
    for k, v in summary.items():
        print(f"{k:10s} {v['median_seconds']:.3f} s, peak {v['median_peak_mib']:.0f} MiB, TorchDynamo loaded: "
              f"{v['dynamo_loaded']}")


if __name__ == "__main__":
    main()
