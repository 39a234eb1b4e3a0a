"""Thumbnails on demand: the grid asks for what it paints; two background threads make them.

Requests go on a stack that the workers take from the top, so what is on screen now comes first,
and a stack that grows past ``max_pending`` drops its oldest requests: scrolling quickly through
20,000 samples only makes the thumbnails the person stopped at. Results land in an in-memory LRU
(as QImages, which may be made off the GUI thread) and on disk (render.cache_path).

The drains are jobs of workers.runner on the loader's own pool (two threads, so thumbnails never
wait behind the engine or a training run); each thumbnail is a partial result of its drain.
Another project cancels the drains: they stop after the thumbnail in hand, and the runner drops it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from desktop.thumbnails.render import cache_path, make_thumbnail
from desktop.workers.runner import Runner

BROKEN = QImage()  # a null image marks "cannot be shown"; the delegate draws a hint instead


def to_qimage(im) -> QImage:
    if im.mode == "RGBA":
        data = im.tobytes()
        return QImage(data, im.width, im.height, im.width * 4, QImage.Format.Format_RGBA8888).copy()
    im = im.convert("RGB")
    data = im.tobytes()
    return QImage(data, im.width, im.height, im.width * 3, QImage.Format.Format_RGB888).copy()


def _drain(ctx, loader: "ThumbnailLoader") -> None:
    """Works through the request stack until it is empty (or the drain is cancelled); every
    thumbnail goes out as ``(hash, QImage)``, BROKEN when it failed."""
    while True:
        job = loader._take(ctx)
        if job is None:
            return
        sample_hash, kind, media, target = job
        try:
            if target.is_file():
                image = QImage(str(target))
                if image.isNull():
                    raise OSError("unreadable cached thumbnail")
                loader._count("from_disk")
            else:
                image = to_qimage(make_thumbnail(media, kind, loader.size, target))
                loader._count("generated")
        except Exception:  # noqa: BLE001 - a damaged file gets a hint in the grid, not an error
            image = BROKEN
        ctx.partial((sample_hash, image))


class ThumbnailLoader(QObject):
    ready = Signal(str)  # a sample hash whose thumbnail can now be painted

    def __init__(self, size: int = 128, threads: int = 2, memory_items: int = 1500, max_pending: int = 256,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.size = size
        self.memory_items = memory_items
        self.max_pending = max_pending
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._runner = Runner(self, self._pool)
        self._lock = threading.Lock()
        self._stack: deque = deque()
        self._draining = 0
        self._threads = threads
        self._memory: OrderedDict[str, QImage] = OrderedDict()
        self._wanted: set[str] = set()  # requested and not yet delivered (no double requests)
        self._project = None
        self._cache_dir: Path | None = None
        self.stats = {"requested": 0, "generated": 0, "from_disk": 0, "dropped": 0}

    # ------------------------------------------------------------ the open project

    def set_project(self, project) -> None:
        with self._lock:  # a drain asks for work under this lock: it sees the cancel or the new stack
            self._stack.clear()
            self._runner.cancel_all()  # what they still make is for the project that was
            self._draining = 0
        self._memory.clear()
        self._wanted.clear()
        self._project = project
        self._cache_dir = None if project is None else Path(project.cache_dir) / "thumbnails"

    def shutdown(self, timeout_ms: int = 10000) -> None:
        self.set_project(None)
        self._pool.waitForDone(timeout_ms)

    # ------------------------------------------------------------ asking

    def get(self, sample) -> QImage | None:
        """The thumbnail if it is ready (BROKEN for a file that cannot be shown); else None, and it is
        requested in the background (``ready`` says when)."""
        image = self._memory.get(sample.hash)
        if image is not None:
            self._memory.move_to_end(sample.hash)
            return image
        if self._project is not None and sample.hash not in self._wanted:
            self._request(sample)
        return None

    def _request(self, sample) -> None:
        target = cache_path(self._cache_dir, sample.hash, sample.kind, self.size)
        media = self._project.path_of(sample)
        self._wanted.add(sample.hash)
        self.stats["requested"] += 1
        with self._lock:
            self._stack.append((sample.hash, sample.kind, media, target))
            while len(self._stack) > self.max_pending:
                dropped = self._stack.popleft()
                self._wanted.discard(dropped[1])  # asked again if it is painted again
                self.stats["dropped"] += 1
            start = self._draining < self._threads
            if start:
                self._draining += 1
        if start:
            self._runner.submit(_drain, self, on_partial=self._on_done, doing="making thumbnails")

    def _take(self, ctx):
        with self._lock:
            if ctx.cancelled:  # no longer counted (set_project)
                return None
            if self._stack:
                return self._stack.pop()
            self._draining -= 1
            return None

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    # ------------------------------------------------------------ answers (GUI thread)

    def _on_done(self, made: tuple[str, QImage]) -> None:
        sample_hash, image = made
        self._wanted.discard(sample_hash)
        self._memory[sample_hash] = image
        self._memory.move_to_end(sample_hash)
        while len(self._memory) > self.memory_items:
            self._memory.popitem(last=False)
        self.ready.emit(sample_hash)

    def busy(self) -> bool:
        """Whether thumbnails are being made right now (tests and benchmarks wait for quiet)."""
        with self._lock:
            return self._draining > 0

    def cached(self, sample_hash: str) -> QImage | None:
        return self._memory.get(sample_hash)
