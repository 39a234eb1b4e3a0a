"""Atomic whole-file writes: the previous file survives a failed write, the process umask is never
touched while writing, and a checkpoint goes to disk without a second copy in memory."""

import os
import stat
import tracemalloc

import pytest
import torch

from core import atomic
from core.atomic import atomic_write_text, atomic_writer
from core.train import checkpoint


def test_a_write_never_changes_the_umask_and_gives_the_usual_mode(tmp_path, monkeypatch):
    def no_umask(*_):
        raise AssertionError("os.umask called while writing: a race with every other thread")

    monkeypatch.setattr(os, "umask", no_umask)
    for i in range(3):
        atomic_write_text(tmp_path / "a.txt", f"version {i}")
    assert (tmp_path / "a.txt").read_text() == "version 2"
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~atomic._UMASK


def test_the_umask_read_once_is_the_process_umask():
    mask = os.umask(0o022)
    os.umask(mask)
    assert atomic._read_umask() == mask


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_one(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "kept")
    with pytest.raises(RuntimeError):
        with atomic_writer(tmp_path / "a.txt") as fh:
            fh.write(b"half of the new")
            raise RuntimeError("killed mid-write")
    assert (tmp_path / "a.txt").read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("cannot be saved")


def test_a_checkpoint_is_written_without_a_copy_in_memory_and_atomically(tmp_path):
    weights = torch.randn(5_000_000)  # 20 MB
    path = tmp_path / "best.pt"
    tracemalloc.start()
    try:
        checkpoint.save(path, {"model": {"w": weights}})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a BytesIO first held the whole file (and getvalue() copied it): a peak of 20 MB or more
    assert peak < 2_000_000, f"{peak / 1e6:.1f} MB held in Python memory while saving"
    assert torch.equal(checkpoint.load(path)["model"]["w"], weights)

    with pytest.raises(RuntimeError, match="cannot be saved"):
        checkpoint.save(path, {"model": {"w": torch.zeros(3)}, "odd": Unpicklable()})
    assert torch.equal(checkpoint.load(path)["model"]["w"], weights)  # the earlier checkpoint is intact
    assert [p.name for p in tmp_path.iterdir()] == ["best.pt"]
