"""Every ``torch.onnx.export`` of a process runs on one thread.

After an export on one thread, an export on another thread of the same process crashed inside
torch (a segmentation fault entering FakeTensorMode; seen with an export from the app's engine
thread, then one from the main thread). Model exports and the feature networks built for
onnxruntime embedding both go through ``on_export_thread``.
"""

from __future__ import annotations

import concurrent.futures
import threading

_POOL: concurrent.futures.ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def on_export_thread(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` on the process's export thread; returns its result or raises its error."""
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx-export")
        pool = _POOL
    if threading.current_thread().name.startswith("onnx-export"):
        return fn(*args, **kwargs)  # already there (an export that builds another)
    return pool.submit(fn, *args, **kwargs).result()
