"""Import files into a project: scan, hash, dedupe, validate, copy -> ImportReport.

Files are copied into media/ under their SHA-256 (content-addressed), so the same content is stored
once and the project folder is self-contained. Each file is read once: hashed, decoded to prove it
is usable, and written from the same bytes (audio is streamed instead, recordings can be long).
Hashing and decoding release the GIL, so a small thread pool keeps both cores busy. Rows are
committed in batches; a kill mid-import loses at most the last unsaved batch and leaves only
harmless unreferenced files in media/, which the next import of those files reuses.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import tempfile
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from core.cancel import CancelToken
from core.errors import UsageError
from core.media import AUDIO_EXTENSIONS, IMAGE_EXTENSIONS, MediaError, kind_of, media_suffix, validate_audio, validate_image

LABEL_MODES = ("folder", "none")
IGNORED_NAMES = frozenset({"Thumbs.db", "desktop.ini"})
MAX_IMAGE_BYTES = 512 * 1024 * 1024
_FLUSH_EVERY = 256
_FLUSH_SECONDS = 0.5


@dataclass(frozen=True)
class Candidate:
    path: str
    label: str | None


@dataclass(frozen=True)
class Rejected:
    path: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    path: str
    existing: str  # the file already in the project with the same content


@dataclass(frozen=True)
class ImportProgress:
    done: int
    total: int
    path: str
    added: int
    duplicates: int
    rejected: int


@dataclass
class ImportReport:
    added_ids: list[int] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    labelled: int = 0
    classes_created: list[str] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    @property
    def added(self) -> int:
        return len(self.added_ids)

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "duplicates": len(self.duplicates),
            "rejected": [{"path": r.path, "reason": r.reason} for r in self.rejected],
            "duplicate_files": [{"path": d.path, "existing": d.existing} for d in self.duplicates],
            "labelled": self.labelled,
            "classes_created": list(self.classes_created),
            "cancelled": self.cancelled,
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        parts = [f"{self.added} added", f"{len(self.duplicates)} duplicates skipped", f"{len(self.rejected)} rejected"]
        text = ", ".join(parts)
        return text + (" (cancelled)" if self.cancelled else "")


# ---------------------------------------------------------------- planning


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES


def plan_import(
    paths: Iterable[str | os.PathLike], *, labels: str = "folder", csv_files: Iterable[str | os.PathLike] = ()
) -> tuple[list[Candidate], list[Rejected]]:
    """Expand folders, files and CSV listings into candidates (path, label) in a stable order.

    With ``labels='folder'`` a file's parent folder names its class (ImageFolder layout); files lying
    directly in a folder given on the command line, and single files, are left unlabelled.
    """
    if labels not in LABEL_MODES:
        raise UsageError(f"--labels must be one of {', '.join(LABEL_MODES)}, not '{labels}'.")
    candidates: list[Candidate] = []
    rejected: list[Rejected] = []
    csv_files = list(csv_files)
    for raw in paths:
        path = os.path.abspath(os.fspath(raw))
        if os.path.isdir(path):
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
                label = None
                if labels == "folder" and os.path.normpath(dirpath) != os.path.normpath(path):
                    label = os.path.basename(dirpath)
                for name in sorted(filenames):
                    if not _ignored(name):
                        candidates.append(Candidate(os.path.join(dirpath, name), label))
        elif os.path.isfile(path) and path.lower().endswith(".csv"):
            csv_files.append(path)
        elif os.path.isfile(path):
            candidates.append(Candidate(path, None))
        else:
            rejected.append(Rejected(path, "no such file or folder"))
    for listing in csv_files:
        more, bad = read_listing_csv(listing)
        candidates += more
        rejected += bad
    return candidates, rejected


def read_listing_csv(path: str | os.PathLike) -> tuple[list[Candidate], list[Rejected]]:
    """A CSV with path,label columns (header optional); relative paths are relative to the CSV."""
    path = os.path.abspath(os.fspath(path))
    base = os.path.dirname(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [], [Rejected(path, f"cannot read the CSV file ({exc})")]
    if not rows:
        return [], [Rejected(path, "the CSV file is empty")]
    header = [c.strip().lower() for c in rows[0]]
    path_col, label_col, start = 0, 1, 0
    if "path" in header or "file" in header or "filename" in header:
        path_col = next(header.index(k) for k in ("path", "file", "filename") if k in header)
        label_col = header.index("label") if "label" in header else -1
        start = 1
    candidates, rejected = [], []
    for line_no, row in enumerate(rows[start:], start=start + 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if path_col >= len(row) or not row[path_col].strip():
            rejected.append(Rejected(f"{path}:{line_no}", "row has no path"))
            continue
        file_path = os.path.join(base, os.path.expanduser(row[path_col].strip()))
        label = row[label_col].strip() if 0 <= label_col < len(row) and row[label_col].strip() else None
        if not os.path.isfile(file_path):
            rejected.append(Rejected(file_path, f"listed in {os.path.basename(path)} line {line_no} but not found"))
            continue
        candidates.append(Candidate(os.path.abspath(file_path), label))
    return candidates, rejected


# ---------------------------------------------------------------- per-file work (threads)


@dataclass(frozen=True)
class _Ingested:
    candidate: Candidate
    hash: str
    kind: str
    media_path: str
    size: int
    meta: dict


@dataclass(frozen=True)
class _Dup:
    candidate: Candidate
    hash: str


def _reject_reason_for_kind(path: str, task: str) -> str | None:
    kind = kind_of(path)
    if kind is None:
        ext = os.path.splitext(path)[1].lower() or "(none)"
        wanted = IMAGE_EXTENSIONS if task == "image" else AUDIO_EXTENSIONS
        return f"unsupported file type {ext} (this {task} project takes {', '.join(sorted(wanted))})"
    if kind != task:
        return f"this is an {kind} file and the project is an {task} project"
    return None


def _store(root: Path, digest: str, suffix: str, write: Callable[[str], None]) -> str:
    rel = f"media/{digest[:2]}/{digest}{suffix}"
    dest = root / rel
    if dest.exists():  # left by an import that was killed before it saved the row
        return rel
    dest.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".import-", dir=dest.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return rel


def _ingest(candidate: Candidate, task: str, root: Path, known: set[str]):
    path = candidate.path
    reason = _reject_reason_for_kind(path, task)
    if reason:
        return Rejected(path, reason)
    try:
        size = os.path.getsize(path)
        if size == 0:
            return Rejected(path, "empty file (0 bytes)")
        if task == "image":
            if size > MAX_IMAGE_BYTES:
                return Rejected(path, f"file is too large for an image ({size // 2**20} MiB)")
            with open(path, "rb") as fh:
                data = fh.read()
            digest = hashlib.sha256(data).hexdigest()
            if digest in known:
                return _Dup(candidate, digest)
            info = validate_image(data)

            def write(tmp: str) -> None:
                with open(tmp, "wb") as out:
                    out.write(data)

            rel = _store(root, digest, info.suffix, write)
            meta = {"width": info.width, "height": info.height}
        else:
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            digest = h.hexdigest()
            if digest in known:
                return _Dup(candidate, digest)
            ainfo = validate_audio(path)
            rel = _store(root, digest, media_suffix(path), lambda tmp: shutil.copyfile(path, tmp))
            meta = {"duration": ainfo.duration, "sample_rate": ainfo.sample_rate, "channels": ainfo.channels}
    except MediaError as exc:
        return Rejected(path, str(exc))
    except PermissionError:
        return Rejected(path, "permission denied")
    except OSError as exc:
        return Rejected(path, f"cannot read the file ({exc.strerror or exc})")
    return _Ingested(candidate, digest, task, rel, size, meta)


# ---------------------------------------------------------------- the import


def import_files(
    project,
    paths: Iterable[str | os.PathLike],
    *,
    labels: str = "folder",
    csv_files: Iterable[str | os.PathLike] = (),
    progress: Callable[[ImportProgress], None] | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import into ``project`` (a writable core.project.Project). Never raises for a bad file."""
    from core.importer_store import ImportWriter

    started = time.perf_counter()
    candidates, rejected = plan_import(paths, labels=labels, csv_files=csv_files)
    report = ImportReport(rejected=list(rejected))
    writer = ImportWriter(project, report, sources=[os.fspath(p) for p in paths] + [os.fspath(c) for c in csv_files])
    writer.reject_many(rejected)
    project_root = os.path.normpath(str(project.root)) + os.sep
    known = writer.known_hashes()
    total = len(candidates)
    workers = workers or min(8, (os.cpu_count() or 2) + 2)
    last_progress = 0.0
    done = 0

    def notify(path: str, force: bool = False) -> None:
        nonlocal last_progress
        now = time.perf_counter()
        if progress and (force or now - last_progress >= 0.1):
            last_progress = now
            progress(ImportProgress(done, total, path, writer.added, len(report.duplicates), len(report.rejected)))

    notify("", force=True)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import") as pool:
        window: deque = deque()
        todo = iter(candidates)

        def refill() -> None:
            while len(window) < workers * 4:
                cand = next(todo, None)
                if cand is None:
                    return
                if os.path.normpath(cand.path).startswith(project_root):
                    window.append(Rejected(cand.path, "the file is inside the project folder"))
                else:
                    window.append(pool.submit(_ingest, cand, project.task, project.root, known))

        refill()
        while window:
            if cancel is not None and cancel.cancelled:
                report.cancelled = True
                for item in window:
                    if not isinstance(item, Rejected):
                        item.cancel()
                break
            item = window.popleft()
            result = item if isinstance(item, Rejected) else item.result()
            refill()
            done += 1
            if isinstance(result, _Ingested):
                known.add(result.hash)
                writer.add(result)
            elif isinstance(result, _Dup):
                writer.duplicate(result.candidate.path, result.hash)
            else:
                writer.reject(result)
            writer.maybe_flush(_FLUSH_EVERY, _FLUSH_SECONDS)
            notify(getattr(result, "path", None) or result.candidate.path)
    report.seconds = time.perf_counter() - started
    writer.finish()
    notify("", force=True)
    return report
