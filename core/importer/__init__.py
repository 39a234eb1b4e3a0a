"""Import files into a project: scan, hash, dedupe, validate, copy -> ImportReport.

Files are copied into media/ under their SHA-256 (content-addressed): the same content is stored
once and the project folder is self-contained. Work runs in a pool; the calling thread alone writes
the database, in batches, one transaction each. A kill mid-import loses at most the last unsaved
batch and leaves only unreferenced files in media/, which the next import of those files reuses.

Small files cost more in Python bookkeeping than in hashing or decoding, and threads share one
interpreter lock for that bookkeeping, so big imports use worker processes (one per core); small
ones use threads, which start instantly.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator

from core.cancel import CancelToken
from core.importer.ingest import Dup, Ingested, ingest_chunk, init_process
from core.importer.report import Candidate, Duplicate, ImportProgress, ImportReport, Rejected
from core.importer.scan import LABEL_MODES, plan_import, read_listing_csv

__all__ = [
    "import_files", "plan_import", "read_listing_csv", "ImportReport", "ImportProgress",
    "Candidate", "Rejected", "Duplicate", "LABEL_MODES",
]

_FLUSH_EVERY = 256
_FLUSH_SECONDS = 0.5
_CHUNK_FILES = 16  # threads: small chunks keep cancel and progress snappy
_CHUNK_FILES_PROCESSES = 128  # processes: every chunk's results are pickled; fewer, larger ones
_CHUNK_BYTES = 32 * 1024 * 1024  # a chunk of long recordings must not delay cancel for long
PROCESS_THRESHOLD = 2000  # below this, starting worker processes costs more than it saves


def _make_pool(total: int, workers: int | None, use_processes: bool | None, known: set[str]) -> tuple[Executor, int, bool]:
    cores = os.cpu_count() or 1
    if use_processes is None:
        use_processes = total >= PROCESS_THRESHOLD and cores > 1
    if use_processes:
        n = workers or cores
        # spawn, never fork: the app has Qt and SQLite threads that a fork would copy mid-flight.
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=init_process, initargs=(known,)), n, True
    n = workers or min(8, cores + 2)
    return ThreadPoolExecutor(max_workers=n, thread_name_prefix="import"), n, False


def import_files(
    project,
    paths: Iterable[str | os.PathLike],
    *,
    labels: str = "folder",
    csv_files: Iterable[str | os.PathLike] = (),
    progress: Callable[[ImportProgress], None] | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    use_processes: bool | None = None,
    segment=None,
) -> ImportReport:
    """Import into ``project`` (a writable core.project.Project). Never raises for a bad file.

    ``segment`` (core.audio.segment.SegmentSettings, audio projects): cut each recording into
    samples, by fixed windows or by where sound is heard; the recording is kept once in media/."""
    if segment is not None and project.task != "audio":
        from core.errors import UsageError

        raise UsageError("Only audio projects can cut recordings into segments.")
    from core.importer.store import ImportWriter

    started = time.perf_counter()
    paths, csv_files = list(paths), list(csv_files)
    candidates, rejected = plan_import(paths, labels=labels, csv_files=csv_files, task=project.task)
    report = ImportReport(rejected=list(rejected))
    writer = ImportWriter(project, report, sources=[os.fspath(p) for p in paths + csv_files], segment=segment)
    writer.reject_many(rejected)
    project_root = os.path.normpath(str(project.root)) + os.sep
    root = str(project.root)
    known = writer.known_hashes()
    total = len(candidates)
    last_progress = 0.0
    done = 0

    def notify(path: str, force: bool = False) -> None:
        nonlocal last_progress
        now = time.perf_counter()
        if progress and (force or now - last_progress >= 0.1):
            last_progress = now
            progress(ImportProgress(done, total, path, writer.added, len(report.duplicates), len(report.rejected)))

    notify("", force=True)
    todo: Iterator[Candidate] = iter(candidates)
    pool, n_workers, in_processes = _make_pool(total, workers, use_processes, known)
    window: deque = deque()  # (future or ready results, the chunk's candidates), in file order

    def next_chunk() -> tuple[list[Candidate], list[Rejected]]:
        limit = _CHUNK_FILES_PROCESSES if in_processes else _CHUNK_FILES
        chunk, inside, size = [], [], 0
        for cand in todo:
            if os.path.normpath(cand.path).startswith(project_root):
                inside.append(Rejected(cand.path, "the file is inside the project folder"))
            else:
                chunk.append(cand)
                if project.task == "audio":
                    try:
                        size += os.path.getsize(cand.path)
                    except OSError:
                        pass
            if len(chunk) + len(inside) >= limit or size >= _CHUNK_BYTES:
                break
        return chunk, inside

    def refill() -> None:
        while len(window) < n_workers * 2:
            chunk, inside = next_chunk()
            if not chunk and not inside:
                return
            if inside:
                window.append((inside, []))
            if chunk:
                # Processes got their copy of `known` once, at start; threads share the live set.
                args = (chunk, project.task, root, None, None, segment) if in_processes else (chunk, project.task, root, known, cancel, segment)
                window.append((pool.submit(ingest_chunk, *args), chunk))

    try:
        refill()
        while window:
            if cancel is not None and cancel.cancelled:
                for item, _ in window:
                    if not isinstance(item, list):
                        item.cancel()
                break
            item, chunk = window.popleft()
            try:
                results = item if isinstance(item, list) else item.result()
            except BrokenProcessPool:
                # Worker processes could not start or died (a host that cannot spawn, a crash in a
                # decoder): redo the unfinished chunks in threads rather than fail the import.
                unfinished = list(chunk) + [c for it, ch in window for c in ch]
                window.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool, n_workers, in_processes = _make_pool(total, workers, False, known)
                todo = itertools.chain(unfinished, todo)
                refill()
                continue
            refill()
            for result in results:
                done += 1
                if isinstance(result, Ingested) and result.hash in known:
                    # the same content twice in this import, seen by two workers at once
                    result = Dup(result.candidate, result.hash)
                if isinstance(result, Ingested):
                    known.add(result.hash)
                    writer.add(result)
                    notify(result.candidate.path)
                elif isinstance(result, Dup):
                    writer.duplicate(result.candidate.path, result.hash, result.candidate.label)
                    notify(result.candidate.path)
                else:
                    writer.reject(result)
                    notify(result.path)
            writer.maybe_flush(_FLUSH_EVERY, _FLUSH_SECONDS)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    report.cancelled = bool(cancel is not None and cancel.cancelled and done < total)
    report.seconds = time.perf_counter() - started
    writer.finish()
    notify("", force=True)
    return report
