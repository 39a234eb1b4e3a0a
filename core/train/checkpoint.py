"""Checkpoints (last.pt, best.pt) and the other files of runs/<id>/.

A checkpoint holds only tensors and plain Python values, so ``torch.load(weights_only=True)`` reads
it: model, optimizer and schedule state, epoch, config, class names, RNG states (as tensors), the
early-stopping state and a schema version. Writes are atomic (core.atomic): a run killed while
saving leaves the previous file intact.
"""

from __future__ import annotations

import io
import json
import os
import random
from pathlib import Path

import numpy as np
import torch

from core.atomic import atomic_write_bytes, atomic_write_text
from core.errors import TransferLabError, torch_load_sentence

SCHEMA_VERSION = 1


class CheckpointError(TransferLabError):
    pass


class RunFinishedError(CheckpointError):
    """``--resume`` of a run that ended by itself: nothing to do, said in a sentence (exit status 0)."""

    exit_code = 0


def rng_state() -> dict[str, torch.Tensor]:
    np_state = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
        "numpy_pos": torch.tensor([np_state[2], np_state[3]], dtype=torch.int64),
        "numpy_gauss": torch.tensor([np_state[4]], dtype=torch.float64),
        "python": torch.tensor(py_state, dtype=torch.int64),
        "python_version": torch.tensor([py_version], dtype=torch.int64),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict[str, torch.Tensor]) -> None:
    torch.set_rng_state(state["torch"])
    pos, has_gauss = (int(v) for v in state["numpy_pos"])
    np.random.set_state(("MT19937", state["numpy"].numpy().astype(np.uint32), pos, has_gauss,
                         float(state["numpy_gauss"][0])))
    random.setstate((int(state["python_version"][0]), tuple(int(v) for v in state["python"]), None))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


def save(path: Path, payload: dict) -> None:
    buffer = io.BytesIO()
    torch.save({"schema": SCHEMA_VERSION, **payload}, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load(path: str | os.PathLike) -> dict:
    path = Path(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"There is no checkpoint at {path}.") from None
    except Exception as exc:
        raise CheckpointError(torch_load_sentence(path, exc, "a TransferLab checkpoint"), detail=str(exc)) from None
    if not isinstance(ckpt, dict) or ckpt.get("schema") != SCHEMA_VERSION:
        found = ckpt.get("schema") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(f"{path} is not a checkpoint this TransferLab can read "
                              f"(format {found}, expected {SCHEMA_VERSION}).")
    return ckpt


def finished(ckpt: dict) -> str | None:
    """How a run whose last.pt this is ended, when it ended by itself: 'completed' (every epoch
    done) or 'early_stopped' (no better validation score for ``patience`` epochs); else None."""
    config = ckpt.get("config") or {}
    epochs, patience = int(config.get("epochs") or 0), int(config.get("patience") or 0)
    done = int(ckpt.get("epoch") or 0)
    if epochs and done >= epochs:
        return "completed"
    if patience and int((ckpt.get("best") or {}).get("bad_epochs") or 0) >= patience:
        return "early_stopped"
    return None


class RunFiles:
    """runs/<id>/: config.json once, metrics.jsonl one line per epoch, the checkpoints."""

    def __init__(self, run_dir: Path):
        self.dir = Path(run_dir)
        self.last = self.dir / "last.pt"
        self.best = self.dir / "best.pt"
        self.metrics = self.dir / "metrics.jsonl"
        self.config = self.dir / "config.json"

    def create(self, config: dict, extra: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.config, json.dumps({**extra, "config": config}, indent=1))

    def append_metrics(self, row: dict) -> None:
        # One short line appended and fsynced: a crash loses at most the line being written.
        with open(self.metrics, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def truncate_metrics(self, epochs: int) -> None:
        """Keep the first ``epochs`` lines (a resumed run rewrites epochs after its checkpoint)."""
        if not self.metrics.exists():
            return
        lines = self.metrics.read_text(encoding="utf-8").splitlines()[:epochs]
        atomic_write_text(self.metrics, "".join(line + "\n" for line in lines))


def record_run(project, run_id: str, status: str, config: dict, metrics: dict | None) -> None:
    """Insert or update the project's runs table (skipped for read-only projects or plain data)."""
    if project is None or getattr(project, "read_only", True):
        return
    import time

    with project.transaction() as conn:
        conn.execute(
            "INSERT INTO runs (id, created_at, status, config, metrics) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET status = excluded.status, metrics = excluded.metrics",
            (run_id, time.time(), status, json.dumps(config), json.dumps(metrics) if metrics else None),
        )
