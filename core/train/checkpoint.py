"""Checkpoints (last.pt, best.pt) of runs/<id>/ (the run's other files: core.run_catalogue).

A checkpoint holds only tensors and plain Python values, so ``torch.load(weights_only=True)`` reads
it: model, optimizer and schedule state, epoch, config, class names, RNG states (as tensors), the
early-stopping state and a schema version. Writes are atomic (core.atomic): a run killed while
saving leaves the previous file intact.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from core.atomic import atomic_writer
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
    """GPU tensors are written as they are, each copied to host memory in turn by torch.save (moving
    the whole model and optimizer state to the CPU first would hold all of it in host memory at once);
    load() maps them onto the CPU, so a run trained on a GPU is read where there is none."""
    # Straight into the temporary file: a copy in memory first would double the peak for a big model.
    with atomic_writer(path) as fh:
        torch.save({"schema": SCHEMA_VERSION, **payload}, fh)


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

