"""`transferlab train` under torchrun: two CPU processes (gloo) reach what one process reaches, and
only rank 0 writes the run.

Launched as a user would (``python -m torch.distributed.run --nproc-per-node 2 -m core train DIR``)
on a small colour project with the bundled EfficientNet-Lite0 at 64 px (no test-only backbone: the
CLI takes only registered ones). Probe mode is what is compared: its head learns this problem
reliably, so "the same result within noise" is a meaningful check; a short full-mode run then shows
that DDP through the backbone (batch norm, sharded decoding, the gradient all-reduce) completes and
writes one run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers.training import make_colour_project

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train(proj: Path, procs: int, *flags: str) -> dict:
    args = ["-m", "core", "train", str(proj), "--image-size", "64", "--batch-size", "8", "--device", "cpu",
            "--json", *flags]
    if procs > 1:
        args = ["-m", "torch.distributed.run", "--nproc-per-node", str(procs), "--master-port",
                str(_free_port()), *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # two ranks on two cores; also what torchrun sets
    r = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=180, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    start = r.stdout.index("{")  # torchrun may print its own banner around the JSON
    return json.loads(r.stdout[start:r.stdout.rindex("}") + 1])


def test_two_processes_match_one_and_only_rank_0_writes(tmp_path):
    project = make_colour_project(tmp_path, per_class=12)
    proj = Path(project.root)
    project.close()
    ddp = _train(proj, 2, "--mode", "probe")  # first: rank 0 fills the embedding cache, rank 1 reads it
    one = _train(proj, 1, "--mode", "probe")
    for key in ("val_acc", "val_loss"):
        assert one["metrics"][key] == one["metrics"][key]  # not NaN
    # 9 validation images: one image is 0.11 of accuracy; DDP's batches are twice as large
    assert ddp["metrics"]["val_acc"] >= 0.66 and one["metrics"]["val_acc"] >= 0.66, (ddp, one)
    assert abs(ddp["metrics"]["val_acc"] - one["metrics"]["val_acc"]) <= 0.23, (ddp, one)
    assert abs(ddp["metrics"]["val_loss"] - one["metrics"]["val_loss"]) <= 0.3, (ddp, one)
    full = _train(proj, 2, "--mode", "full", "--epochs", "2", "--augment", "light")
    assert full["status"] == "completed" and full["epochs_done"] == 2

    runs = sorted(p.name for p in (proj / "runs").iterdir())
    assert runs == sorted([ddp["run_id"], one["run_id"], full["run_id"]])  # one folder per run, not per rank
    for out in (ddp, full):
        lines = (proj / "runs" / out["run_id"] / "metrics.jsonl").read_text().splitlines()
        assert len(lines) == out["epochs_done"]  # rank 1 appended nothing
        assert [json.loads(x)["epoch"] for x in lines] == list(range(1, out["epochs_done"] + 1))
    config = json.loads((proj / "runs" / full["run_id"] / "config.json").read_text())
    assert config["run_id"] == full["run_id"]


def test_out_of_memory_on_one_rank_stops_every_rank_with_a_sentence(tmp_path):
    """Halving the batch on one rank alone would desynchronise the gradient all-reduce and hang the
    others forever; under DDP the run stops instead, and says what to do."""
    project = make_colour_project(tmp_path, per_class=6)
    proj = Path(project.root)
    project.close()
    args = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", str(_free_port()),
            str(ROOT / "tests" / "helpers" / "ddp_oom_entry.py"), str(proj)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=240, env=env)
    assert r.returncode != 0
    assert "rank 1: A GPU ran out of memory with batches of 8 while training on several GPUs" in r.stderr, r.stderr[-3000:]
    assert "--batch-size 4" in r.stderr
    print(f"\nstopped in {time.perf_counter() - t0:.1f}s")
