"""Run under torchrun by tests/core/test_train_ddp.py: train a project with a real out-of-memory
error injected on rank 1 only, as a GPU of a multi-GPU machine would raise it."""

import os
import sys

import torch

from core.errors import TransferLabError
from core.project import Project
from core.train import TrainConfig, Trainer


def faults(batch_size: int) -> None:
    if os.environ.get("RANK") == "1":
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (injected on rank 1)")


def main() -> int:
    project = Project.open(sys.argv[1], read_only=os.environ.get("RANK") != "0")
    config = TrainConfig(mode="full", epochs=1, batch_size=8, image_size=64, device="cpu", augment="none")
    try:
        Trainer(project, config, faults=faults).fit()
    except TransferLabError as exc:
        print(f"rank {os.environ.get('RANK')}: {exc.message}", file=sys.stderr, flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
