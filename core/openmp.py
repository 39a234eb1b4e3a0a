"""One OpenMP thread for the calling thread only, for threads that prepare inputs beside the network.

PyTorch parallelises any operation on more than 32,768 values over its OpenMP threads (every core),
from whichever thread calls it. A decoding thread that resizes and normalises a picture thus runs a
team of its own as wide as the machine, next to the network's threads: on 2 cores, two decoding
threads and onnxruntime had six threads on two cores. With one OpenMP thread in each decoding
thread the end-to-end embedding rate went from 171.5 to 191.5 pictures a second, 4 alternations
in one process, against a bare network loop of 216 (lead-exp s26/ab2.py; AMD EPYC, 2 cores).

``torch.set_num_threads`` is not used for this: it also sets the count every thread starts with
the first time it parallelises (a training thread started later would be held to one thread).
``omp_set_num_threads`` sets the calling thread's own count only. Where the OpenMP library's
symbols cannot be found (Windows) nothing changes: the pictures are the same, only slower.
"""

from __future__ import annotations

import ctypes
import sys


def _setter():
    if sys.platform.startswith("win"):
        return None
    try:
        return ctypes.CDLL(None).omp_set_num_threads  # the OpenMP runtime PyTorch loaded
    except (OSError, AttributeError):
        return None


def one_thread_here() -> bool:
    """Give the calling thread one OpenMP thread (a ThreadPoolExecutor initializer); whether it could."""
    import torch

    setter = _setter()
    if setter is None:
        return False
    # PyTorch sets a thread's count on its first operation there (to torch.set_num_threads' value,
    # where one was set): let it do so first, or it would undo the setting below.
    torch.get_num_threads()
    setter(1)
    return True
