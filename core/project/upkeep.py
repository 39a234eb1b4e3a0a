"""What a project checks and tidies when it is opened for writing, and where its media may be read.

A process killed mid-way leaves files behind: a checkpoint being saved (runs/<id>/.last.pt.*.tmp),
an export being built (runs/<id>/.export-*.onnx.tmp), half-copied imports (media/xx/.*.part),
imported files whose database row was never saved, thumbnails being written. Opening the project
for writing (it then holds the project's lock, so no other TransferLab writes to it) removes them and
says so. Only files inside the project folder are touched, links are never followed, and only names
TransferLab itself gives to temporary files, or content-addressed media no row refers to, are removed.

A project's database names each sample's file (``media_path``); a hostile or damaged project.db
could point it anywhere. ``MediaGuard`` lets a path through only when it lies inside media/, through
real folders, to a regular file; samples that fail are set aside (marked unreadable) on opening, and
``Project.path_of`` refuses them always, so nothing outside the project is ever opened for a sample.
"""

from __future__ import annotations

import errno
import itertools
import os
import posixpath
import re
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.safe_files import kind_reason

# Readers of a project (export, evaluation, the app's thumbnails) may write temporary files beside
# the writer; one younger than this may still be in use, so it waits for a later opening.
LEFTOVER_AGE = 60.0
_CONTENT_ADDRESSED = re.compile(r"[0-9a-f]{64}\.[A-Za-z0-9]{1,8}")
_EXPORT_STAGING = re.compile(r"\.export-(\d+)-.+\.tmp")
_STAGED = itertools.count(1)  # staging names of this process


@dataclass(frozen=True)
class Removed:
    path: str  # relative to the project folder
    size: int
    what: str


@dataclass(frozen=True)
class SetAside:
    sample_id: int
    media_path: str
    reason: str


@dataclass
class Upkeep:
    """What opening the project tidied: files removed and samples set aside."""

    removed: list[Removed] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    note: str | None = None  # tidying could not finish (the opening went on)

    def __bool__(self) -> bool:
        return bool(self.removed or self.set_aside or self.note)

    def sentences(self) -> list[str]:
        out = []
        if self.removed:
            size = sum(r.size for r in self.removed)
            listed = "; ".join(f"{r.path} ({r.what})" for r in self.removed[:5])
            more = f"; and {len(self.removed) - 5} more" if len(self.removed) > 5 else ""
            n = len(self.removed)
            out.append(f"Cleaned up after an interrupted run: removed {n} leftover file{'s' if n != 1 else ''} "
                       f"({_size(size)}): {listed}{more}.")
        if self.set_aside:
            listed = "; ".join(f"sample {s.sample_id}: {s.reason}" for s in self.set_aside[:3])
            more = f"; and {len(self.set_aside) - 3} more" if len(self.set_aside) > 3 else ""
            n = len(self.set_aside)
            out.append(f"Set aside {n} sample{'s' if n != 1 else ''} whose file is not a regular file inside the "
                       f"project's media folder (marked unreadable, not opened): {listed}{more}.")
        if self.note:
            out.append(self.note)
        return out

    def to_json(self) -> dict:
        return {
            "removed": [{"path": r.path, "bytes": r.size, "what": r.what} for r in self.removed],
            "set_aside": [{"sample_id": s.sample_id, "media_path": s.media_path, "reason": s.reason}
                          for s in self.set_aside],
            **({"note": self.note} if self.note else {}),
        }


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} bytes"


# ------------------------------------------------------------------ media paths


def media_path_problem(rel: str) -> str | None:
    """Why a media path, as stored in project.db, does not name a file inside media/ (by its text
    alone), or None. TransferLab writes ``media/<xx>/<sha256><ext>``, always with forward slashes."""
    if not rel or "\x00" in rel:
        return "its media path is empty or damaged"
    if "\\" in rel or ":" in rel or rel.startswith("/") or os.path.isabs(rel):
        return f"its media path ({rel}) is not a relative path inside the project's media folder"
    parts = rel.split("/")
    if ".." in parts or parts[0] != "media" or len(parts) < 2 or posixpath.normpath(rel) != rel:
        return f"its media path ({rel}) lies outside the project's media folder"
    return None


class MediaGuard:
    """Checks that a media path reaches a regular file through real folders under media/.

    The folders are checked once (they are few); the file itself on every call (one lstat)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._folders: dict[str, str | None] = {}

    def problem(self, rel: str) -> str | None:
        problem = media_path_problem(rel)
        if problem:
            return problem
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            last = depth == len(parts)
            if not last and key in self._folders:
                problem = self._folders[key]
            else:
                problem = self._entry_problem(key, last)
                if problem == "missing":
                    return None  # a missing file is reported by whoever reads it
                if not last:
                    self._folders[key] = problem
            if problem:
                return problem
        return None

    def _entry_problem(self, key: str, last: bool) -> str | None:
        path = self.root / key
        try:
            st = os.lstat(path)
        except OSError:
            return "missing"
        if stat.S_ISLNK(st.st_mode):
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            return f"its media file is reached through a link ({key} -> {target}), which TransferLab never makes"
        if not last and not stat.S_ISDIR(st.st_mode):
            return f"{key} in its media path is not a folder"
        if last and not stat.S_ISREG(st.st_mode):
            return f"its media file ({key}) is {kind_reason(st.st_mode)}"
        return None


# ------------------------------------------------------------------ tidying on opening


def tidy(project) -> Upkeep:
    """Remove what killed processes left in the project, and set aside samples whose media path
    escapes media/. Call only while holding the project for writing. Its cost is one listing of
    media/ and one query over the samples (measured in bench/bench_hostile.py)."""
    up = Upkeep()
    root = Path(project.root)
    try:
        files = _tidy_media(root, up)
        conn = project.conn
        rows = conn.execute("SELECT id, media_path, status FROM samples").fetchall()
        named = {p for _, p, _ in rows}
        named.update(p for (p,) in conn.execute("SELECT media_path FROM recordings"))
        _set_aside(project, MediaGuard(root), rows, files, up)
        _remove_orphans(project, root, files, named, up)
        for run_dir in _real_subfolders(root / "runs"):
            _remove_temporaries(root, run_dir, up, _stale_in_runs)
        _remove_temporaries(root, root, up, _stale_in_root)
        _tidy_cache(root, root / "cache", up, depth=4)
    except OSError as exc:
        up.note = f"Tidying the project stopped early ({exc.strerror or exc}); nothing else was affected."
    return up


def _is_real_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _real_subfolders(folder: Path) -> list[Path]:
    if not _is_real_folder(folder):
        return []
    with os.scandir(folder) as it:
        return [Path(e.path) for e in it if e.is_dir(follow_symlinks=False)]


def _remove(root: Path, path: str, size: int, what: str, up: Upkeep) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    up.removed.append(Removed(Path(path).relative_to(root).as_posix(), size, what))


def _tidy_media(root: Path, up: Upkeep) -> dict[str, os.DirEntry]:
    """Half-copied imports removed; the regular files found in real folders of media/, by their
    path relative to the project (``media/xx/name``)."""
    files: dict[str, os.DirEntry] = {}
    for folder in _real_subfolders(root / "media"):
        prefix = f"media/{folder.name}/"
        with os.scandir(folder) as it:
            entries = list(it)
        for entry in entries:
            name = entry.name
            if not entry.is_file(follow_symlinks=False):
                continue
            if name.startswith("."):
                if name.endswith(".part"):
                    _remove(root, entry.path, entry.stat(follow_symlinks=False).st_size, "a half-copied import", up)
                continue
            files[prefix + name] = entry
    return files


def _set_aside(project, guard: MediaGuard, rows, files: dict, up: Upkeep) -> None:
    bad = []
    for sample_id, rel, status in rows:
        if status != "ok" or rel in files:
            continue  # found as a regular file in a real folder of media/ just now: nothing to check
        problem = guard.problem(rel or "")
        if problem:
            bad.append(SetAside(int(sample_id), rel or "", problem))
    if not bad:
        return
    with project.transaction() as conn:
        conn.executemany("UPDATE samples SET status = 'broken', status_reason = ? WHERE id = ?",
                         [(s.reason, s.sample_id) for s in bad])
    up.set_aside.extend(bad)


def _remove_orphans(project, root: Path, files: dict, named: set, up: Upkeep) -> None:
    """Complete media files no sample or recording refers to: an import killed before it saved
    their rows. Only content-addressed names (``media/ab/<sha256 starting ab>.ext``) are candidates,
    and a file is kept if anything names it, by path or by content hash."""
    candidates = [rel for rel in files if rel not in named]
    if not candidates:
        return
    named = {posixpath.normpath(p) for p in named if p}
    conn = project.conn
    hashes = {h for (h,) in conn.execute(
        "SELECT hash FROM samples UNION ALL SELECT source_hash FROM samples WHERE source_hash IS NOT NULL "
        "UNION ALL SELECT hash FROM recordings") if h}
    for rel in sorted(candidates):
        folder, name = rel.split("/")[1:]
        if rel in named or not _CONTENT_ADDRESSED.fullmatch(name) or name[:2] != folder \
                or name.split(".", 1)[0] in hashes:
            continue
        entry = files[rel]
        _remove(root, entry.path, entry.stat(follow_symlinks=False).st_size,
                "an imported file whose database row was never saved", up)


def _stale_in_runs(name: str, age: float) -> bool:
    """Temporaries of training's own files go at once (training saves only while it holds the
    project, and we hold it now); an export's staging file when its process is gone (an export may
    run beside the writer, on a read-only project); anything else once it is old."""
    if name.startswith((".last.pt.", ".best.pt.", ".config.json.", ".metrics.jsonl.")):
        return True
    found = _EXPORT_STAGING.fullmatch(name)
    if found:
        return not process_alive(int(found.group(1)))
    return age > LEFTOVER_AGE


def _stale_in_root(name: str, age: float) -> bool:
    return name.startswith(".project.toml.") or age > LEFTOVER_AGE  # settings: saved by the writer only


_WHAT = {".last.pt.": "a checkpoint being saved", ".best.pt.": "a checkpoint being saved",
         ".config.json.": "a run's settings being saved", ".metrics.jsonl.": "a run's history being saved",
         ".export-": "a model being exported", ".project.toml.": "settings being saved"}


def _remove_temporaries(root: Path, folder: Path, up: Upkeep, stale) -> None:
    """Hidden ``.NAME.*.tmp`` files (core.atomic's temporary names) in ``folder``."""
    if not _is_real_folder(folder):
        return
    now = time.time()
    with os.scandir(folder) as it:
        entries = [e for e in it if e.name.startswith(".") and e.name.endswith(".tmp")]
    for entry in entries:
        if not entry.is_file(follow_symlinks=False):
            continue
        st = entry.stat(follow_symlinks=False)
        if stale(entry.name, now - st.st_mtime):
            what = next((w for prefix, w in _WHAT.items() if entry.name.startswith(prefix)), "a file being saved")
            _remove(root, entry.path, st.st_size, what, up)


def staging_path(run_dir: Path, out: Path) -> Path:
    """Where an export builds the file ``out``: in the project's run folder, under a name that an
    opening of the project removes once this process is gone, so a killed export leaves nothing in
    the person's output folder. Beside the output when the run folder cannot be written. The name
    is new on every call (two exports of one run in one process, e.g. the app's Play page and its
    Export page, never share a file)."""
    run_dir = Path(run_dir)
    if _is_real_folder(run_dir) and os.access(run_dir, os.W_OK):
        return run_dir / f".export-{os.getpid()}-{next(_STAGED)}-{out.stem[:80]}.onnx.tmp"
    return out.with_name(f".{out.name}.{os.getpid()}-{next(_STAGED)}.tmp")


def place(staged: Path, out: Path) -> None:
    """Move a finished file to ``out``: a rename on the same file system (atomic, nothing left
    behind); across file systems a copy under a temporary name beside ``out``, flushed, renamed."""
    try:
        os.replace(staged, out)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(staged, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    staged.unlink(missing_ok=True)


def _tidy_cache(root: Path, folder: Path, up: Upkeep, depth: int) -> None:
    """Thumbnails and other cache files being written (``*.part``, ``.*.tmp``) by a process that
    did not finish. The cache is always safe to delete; a young file may be another reader's."""
    if depth <= 0 or not _is_real_folder(folder):
        return
    now = time.time()
    with os.scandir(folder) as it:
        entries = list(it)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _tidy_cache(root, Path(entry.path), up, depth - 1)
        elif (entry.name.endswith(".part") or entry.name.startswith(".") and entry.name.endswith(".tmp")) \
                and entry.is_file(follow_symlinks=False):
            st = entry.stat(follow_symlinks=False)
            if now - st.st_mtime > LEFTOVER_AGE:
                _remove(root, entry.path, st.st_size, "a cache file being written", up)


def process_alive(pid: int) -> bool:
    """Whether a process of this id runs on this machine (when in doubt: yes, so nothing of it goes)."""
    if pid == os.getpid() or os.name != "posix":
        return True  # on Windows os.kill(pid, 0) is not a harmless probe: assume it still runs
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
