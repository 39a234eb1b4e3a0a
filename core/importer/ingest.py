"""Per-file work of an import, run in worker threads or processes: read once, hash, validate, store.

Each file is read once: hashed, decoded to prove it is usable, and written from the same bytes
(audio is streamed instead: recordings can be long). The copy lands in media/ under its SHA-256
through a temporary name and a rename, so media/ never holds a half-written file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from dataclasses import dataclass
from typing import Callable

from core.importer.report import Candidate, Rejected
from core.media import (
    AUDIO_EXTENSIONS, IMAGE_EXTENSIONS, TEXT_EXTENSIONS, MediaError, kind_of, media_suffix, validate_audio, validate_image,
)
from core.safe_files import MAX_BYTES, FileRefused, open_regular, too_large_reason
from core.text.decode import empty_reason, normalise, read_text_file


@dataclass(frozen=True)
class Ingested:
    candidate: Candidate
    hash: str
    kind: str
    media_path: str
    size: int
    meta: dict
    segments: tuple[tuple[float, float], ...] | None = None  # a recording cut into these spans


@dataclass(frozen=True)
class Dup:
    candidate: Candidate
    hash: str


_WANTED = {"image": IMAGE_EXTENSIONS, "audio": AUDIO_EXTENSIONS, "text": TEXT_EXTENSIONS}
_ALSO = {"text": " and listings of texts: .csv, .tsv, .jsonl"}
_A = {"image": "an", "audio": "an", "text": "a"}


def _reject_reason_for_kind(path: str, task: str) -> str | None:
    kind = kind_of(path)
    # text beside media (a readme among pictures, a picture among texts) is not a sample of the
    # wrong kind but a file this project does not take: say what it takes
    if kind is None or (kind == "text") != (task == "text"):
        ext = os.path.splitext(path)[1].lower() or "(none)"
        return f"unsupported file type {ext} (this {task} project takes {', '.join(sorted(_WANTED[task]))}{_ALSO.get(task, '')})"
    if kind != task:
        return f"this is {_A[kind]} {kind} file and the project is {_A[task]} {task} project"
    return None


_O_BINARY = getattr(os, "O_BINARY", 0)


def _write_bytes(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _O_BINARY, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _read_bytes(path: str) -> bytes:
    """The whole file, read only once it is known to be a regular file under the image limit."""
    with open_regular(path, "image") as fh:
        size = os.fstat(fh.fileno()).st_size
        data = fh.read(size + 1)  # one read; asking one byte more tells whether EOF was reached
        if len(data) <= size:
            return data
        # The file grew while we read it: take the rest, but never more than the limit.
        rest = fh.read(MAX_BYTES["image"] + 1 - len(data))
        if len(data) + len(rest) > MAX_BYTES["image"]:
            raise FileRefused(too_large_reason(len(data) + len(rest), MAX_BYTES["image"], "an image"))
        return data + rest


_made_folders: set[str] = set()  # media/xx folders known to exist (per process)


def _store(root: str, digest: str, suffix: str, write: Callable[[str], None]) -> str:
    rel = f"media/{digest[:2]}/{digest}{suffix}"
    folder = os.path.join(root, "media", digest[:2])
    if folder not in _made_folders:
        os.makedirs(folder, exist_ok=True)
        _made_folders.add(folder)
    # Unique per file and thread, renamed into place: media/ never holds a half-written file.
    # (A file left by an import killed before saving its row is simply replaced by the same bytes.)
    tmp = os.path.join(folder, f".{digest}.{threading.get_ident()}.part")
    try:
        try:
            write(tmp)
        except FileNotFoundError:  # the folder went away since we made it (project recreated)
            os.makedirs(folder, exist_ok=True)
            write(tmp)
        os.replace(tmp, os.path.join(folder, digest + suffix))
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return rel


def ingest_one(candidate: Candidate, task: str, root: str, known: set[str], segment=None):
    """One file -> Ingested, Dup or Rejected. With ``segment`` (SegmentSettings), an audio file
    becomes a recording cut into segments (Ingested with ``segments`` set)."""
    path = candidate.path
    if task == "text":
        return _ingest_text(candidate, root, known)
    reason = _reject_reason_for_kind(path, task)
    if reason:
        return Rejected(path, reason)
    try:
        if task == "image":
            data = _read_bytes(path)
            size = len(data)
            if size == 0:
                return Rejected(path, "empty file (0 bytes)")
            digest = hashlib.sha256(data).hexdigest()
            if digest in known:
                return Dup(candidate, digest)
            info = validate_image(data)
            rel = _store(root, digest, info.suffix, lambda tmp: _write_bytes(tmp, data))
            meta = {"width": info.width, "height": info.height}
        else:
            with open_regular(path, "audio") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size == 0:
                    return Rejected(path, "empty file (0 bytes)")
                h = hashlib.sha256()
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
                digest = h.hexdigest()
                if digest in known:
                    return Dup(candidate, digest)
                ainfo = validate_audio(path)
                meta = {"duration": ainfo.duration, "sample_rate": ainfo.sample_rate, "channels": ainfo.channels}
                segments = None
                if segment is not None and segment.cuts(ainfo.duration):
                    from core.audio.segment import segment_recording

                    segments = segment_recording(path, segment, ainfo.duration)
                    if not segments:
                        return Rejected(path, "no sound found to cut into segments (the recording is silent)")
                rel = _store(root, digest, media_suffix(path), lambda tmp: _copy_from(fh, tmp))
            if segments is not None:
                return Ingested(candidate, digest, task, rel, size, meta, tuple(segments))
    except (FileRefused, MediaError, MemoryError, OSError) as exc:
        return _rejected(path, exc)
    return Ingested(candidate, digest, task, rel, size, meta)


def _rejected(path: str, exc: Exception) -> Rejected:
    """The sentence for a file that could not be read (pictures, sounds and texts alike)."""
    if isinstance(exc, FileRefused):
        return Rejected(path, exc.reason)
    if isinstance(exc, MediaError):
        return Rejected(path, str(exc))
    if isinstance(exc, PermissionError):
        return Rejected(path, "permission denied")
    if isinstance(exc, MemoryError):
        return Rejected(path, "not enough memory to read the file")
    return Rejected(path, f"cannot read the file ({exc.strerror or exc})")


TEXT_HEAD = 4000  # characters of a text kept in project.db for searching (a page or two; the model reads less)


def _ingest_text(candidate: Candidate, root: str, known: set[str]):
    """A text file or a row of a listing: decoded (core.text.decode), stored as UTF-8 under the hash
    of that text, so one text in two encodings, or in a file and a listing, is one sample."""
    path = candidate.path
    try:
        if candidate.text is not None:
            text = normalise(candidate.text)
        else:
            reason = _reject_reason_for_kind(path, "text")
            if reason:
                return Rejected(path, reason)
            text = read_text_file(path)
    except (FileRefused, MediaError, OSError) as exc:
        return _rejected(path, exc)
    reason = empty_reason(text)
    if reason:
        return Rejected(path, reason)
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    if digest in known:
        return Dup(candidate, digest)
    rel = _store(root, digest, ".txt", lambda tmp: _write_bytes(tmp, data))
    return Ingested(candidate, digest, "text", rel, len(data), {"text_head": text[:TEXT_HEAD]})


def _copy_from(fh, tmp: str) -> None:
    """The bytes that were hashed, from the same open file (not the path again)."""
    fh.seek(0)
    with open(tmp, "wb") as out:
        shutil.copyfileobj(fh, out, 1 << 20)


def ingest_chunk(chunk: list[Candidate], task: str, root: str, known: set[str] | None, cancel=None, segment=None) -> list:
    """Ingest files one after the other. Files go to workers in chunks: a hand-off between threads
    or processes costs more than hashing and validating a small image."""
    known = _PROCESS_KNOWN if known is None else known
    results = []
    for cand in chunk:
        if cancel is not None and cancel.cancelled:
            break
        results.append(ingest_one(cand, task, root, known, segment))
    return results


# In worker processes the hashes already in the project arrive once, through the initializer.
_PROCESS_KNOWN: set[str] = set()


def init_process(known: set[str]) -> None:
    global _PROCESS_KNOWN
    _PROCESS_KNOWN = known
