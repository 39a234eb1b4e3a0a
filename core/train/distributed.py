"""Running under ``torchrun`` (DDP): which process this is, and what differs when there are several.

Launched with ``torchrun --nproc-per-node N``, the environment names the rank and world size; the
process group is joined here (gloo for CPU tensors, nccl for a GPU's). Every rank trains on its
share of each epoch's order (sources.epoch_order, padded like DistributedSampler so every rank runs
the same number of batches: DDP's all-reduce would wait forever for a rank that stopped early),
gradients are averaged by DistributedDataParallel, every rank evaluates the whole validation set
(same numbers everywhere, no gather needed), and only rank 0 writes files or sends events.

Decisions that must be the same on every rank (the run id, stopping) go through rank 0 or a
collective here, never through each rank's own clock or signal handler.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


def launched_rank() -> int:
    """This process's rank as torchrun set it (0 outside torchrun), readable before joining the group."""
    return int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else 0


@dataclass
class DistContext:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_environment(cls) -> DistContext:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        import torch.distributed as dist

        if not dist.is_initialized():
            # by the tensors' device: a run asked to train on the CPU of a computer with a GPU (--device
            # cpu) all-reduces CPU tensors, which nccl alone refuses (seen on an H200 machine)
            dist.init_process_group("cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo")
        return cls(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))

    def device_setting(self, setting: str) -> str:
        """Each rank uses its own GPU (LOCAL_RANK) when the setting leaves the choice open."""
        if self.world > 1 and setting in ("auto", "cuda") and torch.cuda.is_available():
            return f"cuda:{self.local_rank}"
        return setting

    def wrap(self, model):
        """What the loop calls for a forward pass. Rebuilt whenever the trainable parameters change
        (DDP registers the parameters that require gradients when it is built). A probe is solved,
        not trained by epochs (core.train.probe_fit), so it never comes here."""
        if self.world == 1:
            return model
        from torch.nn.parallel import DistributedDataParallel

        device = next(model.parameters()).device
        return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    def same_everywhere(self, value):
        """Rank 0's ``value`` on every rank (e.g. the run id, which each rank would draw differently)."""
        if self.world == 1:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def any(self, flag: bool) -> bool:
        """True on every rank when it is True on one: a cancel (Ctrl+C reaches the ranks at different
        batches) must stop all of them before the same batch, or the others wait in the all-reduce."""
        if self.world == 1:
            return flag
        import torch.distributed as dist

        t = torch.tensor([1.0 if flag else 0.0])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        """Leave the process group (at the end of the process's run; a no-op without torchrun)."""
        if self.world > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()

    def average(self, loss: float, acc: float, seen: int) -> tuple[float, float]:
        """Training loss and accuracy over all ranks, weighted by the items each rank saw."""
        if self.world == 1:
            return loss, acc
        import torch.distributed as dist

        t = torch.tensor([loss * seen, acc * seen, float(seen)], dtype=torch.float64)
        dist.all_reduce(t)
        return float(t[0] / t[2]), float(t[1] / t[2])
