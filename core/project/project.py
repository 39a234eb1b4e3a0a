"""A project folder: project.toml + project.db (SQLite, WAL) + media/ + cache/ + runs/.

Paths inside the database are relative to the project folder, so a copied or moved folder opens
anywhere. One process writes at a time (see lock.py); others may open it read-only.
"""

from __future__ import annotations

import datetime as _dt
import numbers
import os
import shutil
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from core.errors import MediaError, ProjectError, ProjectLockedError, ReadOnlyProjectError
from core.project import config as config_io
from core.project.config import TASKS, ProjectConfig, SplitSettings
from core.project.label_sets import LabelSetOps
from core.project.labels import LabelOps
from core.project.lock import ProjectLock
from core.project.models import SPLITS, ClassCounts, ProjectStatus, Sample
from core.project.recordings import RecordingOps
from core.project.removal import RemovalOps
from core.project.run_records import RunRecordOps
from core.project.sample_queries import SampleQueryOps, where_clause
from core.project.schema import SCHEMA_VERSION, db_version, migrate
from core.project.splits import TEST_AFTER, SplitOps
from core.project.upkeep import MediaGuard, Upkeep, tidy

SUBFOLDERS = ("media", "cache", "runs")

_SAMPLE_COLUMNS = (
    "s.id, s.hash, s.kind, s.media_path, s.original_path, c.name, s.split, s.status, s.status_reason, "
    "s.width, s.height, s.duration, s.sample_rate, s.channels, s.size_bytes, s.added_at, "
    "s.source_hash, s.seg_start, s.seg_end"
)


def _row_to_sample(row) -> Sample:
    return Sample(*row)


class MediaPathError(ProjectError, MediaError):
    """A sample's media path does not reach a regular file inside the project's media/ folder; the
    file is not opened (a damaged or hostile project.db must not make TransferLab read elsewhere)."""


class Project(LabelOps, LabelSetOps, SplitOps, RunRecordOps, SampleQueryOps, RemovalOps, RecordingOps):
    """An open project. Use as a context manager, or call close()."""

    def __init__(self, root: Path, config: ProjectConfig, *, read_only: bool, lock: ProjectLock | None):
        self.root = root
        self.config = config
        self.read_only = read_only
        self._lock = lock
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_guard = threading.Lock()
        self._closed = False
        self._media_guard = MediaGuard(root)
        # why it is read-only, as the end of a sentence: "open read-only because ..."
        self.read_only_reason = "" if not read_only else (
            "its folder cannot be written" if not os.access(root, os.W_OK) else "it is open in another TransferLab")
        self.upkeep = Upkeep()  # what opening it for writing tidied (core.project.upkeep)

    # ------------------------------------------------------------ opening and closing

    @classmethod
    def create(
        cls,
        root: str | os.PathLike,
        task: str,
        name: str | None = None,
        *,
        sample_rate: int = config_io.DEFAULT_SAMPLE_RATE,
        seed: int = 0,
    ) -> "Project":
        root = Path(root).expanduser().resolve()
        if task not in TASKS:
            raise ProjectError(f"The task must be one of {', '.join(TASKS)}, not '{task}'.")
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Integral) or not 1000 <= sample_rate <= 768000:
            raise ProjectError(f"The sample rate must be a whole number of Hz from 1000 to 768000, not {sample_rate!r}.")
        if (root / "project.toml").exists():
            raise ProjectError(f"'{root}' is already a TransferLab project.")
        if root.exists() and not root.is_dir():
            raise ProjectError(f"'{root}' exists and is not a folder.")
        if root.exists() and any(root.iterdir()):
            raise ProjectError(f"'{root}' is not empty; choose a new or empty folder for the project.")
        try:
            root.mkdir(parents=True, exist_ok=True)
            for sub in SUBFOLDERS:
                (root / sub).mkdir(exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"Cannot create the project folder '{root}': {exc.strerror or exc}.") from None
        created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
        cfg = ProjectConfig(
            name=name or root.name,
            task=task,
            schema_version=SCHEMA_VERSION,
            created=created,
            sample_rate=int(sample_rate),
            splits=SplitSettings(seed=int(seed), test_after=TEST_AFTER),
        )
        # The database first: a folder with project.toml is a project, so toml is written last.
        conn = _connect(root / "project.db", read_only=False)
        try:
            migrate(conn)
        finally:
            conn.close()
        config_io.save(root / "project.toml", cfg)
        return cls.open(root)

    @classmethod
    def open(cls, root: str | os.PathLike, *, read_only: bool = False) -> "Project":
        root = Path(root).expanduser()
        if root.name == "project.toml":
            root = root.parent
        root = root.resolve()
        if root.exists() and not root.is_dir():
            raise ProjectError(f"'{root}' is a file, not a project folder (a project is the folder that "
                               "holds project.toml).")
        if not root.is_dir():
            raise ProjectError(f"There is no project folder at '{root}'.")
        cfg = config_io.load(root / "project.toml")
        db_path = root / "project.db"
        if not db_path.exists():
            raise ProjectError(f"'{root}' has a project.toml but no project.db; the project is incomplete.")
        lock = None
        if not read_only:
            lock = ProjectLock(root)
            lock.acquire()
        project = cls(root, cfg, read_only=read_only, lock=lock)
        try:
            try:
                project._check_and_migrate()
            except sqlite3.DatabaseError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise ProjectError(f"The project database {db_path} is busy: another process has been "
                                       "writing to it for a while. Try again in a moment.") from None
                raise ProjectError(
                    f"The project database {db_path} is damaged or is not a TransferLab database ({exc}); "
                    "restore it from a backup (a project.db.vN.bak beside it, if there is one)."
                ) from None
            if not read_only:
                for sub in SUBFOLDERS:
                    (root / sub).mkdir(exist_ok=True)
                project.upkeep = tidy(project)  # we hold the lock: nobody else writes here now
        except BaseException:
            project.close()
            raise
        return project

    @classmethod
    def open_or_read_only(cls, root: str | os.PathLike) -> "Project":
        """Open for writing, or read-only when another process holds the project."""
        try:
            return cls.open(root)
        except ProjectLockedError:
            return cls.open(root, read_only=True)

    def _check_and_migrate(self) -> None:
        conn = self.conn
        version = db_version(conn)
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"'{self.root}' was saved by a newer TransferLab (project format {version}; this version "
                f"reads up to {SCHEMA_VERSION}). Update TransferLab to open it."
            )
        if version < SCHEMA_VERSION:
            if self.read_only:
                raise ProjectError(
                    f"'{self.root}' needs an upgrade of its project format ({version} -> {SCHEMA_VERSION}); "
                    "open it for writing once to upgrade."
                )
            if version > 0:
                backup = self.root / f"project.db.v{version}.bak"
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                shutil.copy2(self.root / "project.db", backup)
            migrate(conn, SCHEMA_VERSION)
            self.config = self.config.with_changes(schema_version=SCHEMA_VERSION)
            config_io.save(self.root / "project.toml", self.config)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._connections_guard:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ database access

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections must not be shared across threads)."""
        if self._closed:
            raise ProjectError(f"The project '{self.root}' is closed.")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.root / "project.db", read_only=self.read_only)
            self._local.conn = conn
            with self._connections_guard:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed write; rolled back whole on any error."""
        self._require_writable()
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _require_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyProjectError(
                f"The project '{self.root}' is open read-only ({self.read_only_reason})."
            )

    # ------------------------------------------------------------ paths and settings

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def task(self) -> str:
        return self.config.task

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def path_of(self, sample: Sample) -> Path:
        """The media file; for a segment, its whole recording (read sample.start..sample.end).
        Raises MediaPathError (a MediaError: callers treat the sample as unreadable) when the stored
        path does not reach a regular file inside media/ (core.project.upkeep.MediaGuard)."""
        problem = self._media_guard.problem(sample.media_path)
        if problem:
            raise MediaPathError(problem)
        return self.root / sample.media_path

    def read_audio(self, sample: Sample, sample_rate: int | None = None):
        """A sample's waveform (float32 mono), only its time span for a segment."""
        # Here, not at the top: core.media loads numpy and Pillow (0.2 s), which opening a project
        # for the command line's quick commands (label, split, status) never needs.
        from core.media import read_audio

        return read_audio(self.path_of(sample), sample_rate, start=sample.start, end=sample.end)

    def segments_of(self, source_hash: str) -> list[Sample]:
        """The samples cut from one recording, in time order."""
        rows = self.conn.execute(
            f"SELECT {_SAMPLE_COLUMNS} FROM samples s LEFT JOIN classes c ON c.id = s.label_id "
            "WHERE s.source_hash = ? ORDER BY s.seg_start",
            (source_hash,),
        )
        return [_row_to_sample(r) for r in rows]

    def update_config(self, **changes) -> None:
        self._require_writable()
        self.config = self.config.with_changes(**changes)
        config_io.save(self.root / "project.toml", self.config)

    # ------------------------------------------------------------ samples

    def samples(
        self,
        *,
        label=None,
        split: str | None = None,
        status: str | None = None,
        search: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Sample]:
        """Samples in import order. ``label=UNLABELLED`` selects unlabelled ones; ``split='none'``
        selects samples without a split."""
        where, params = where_clause(label, split, status, search, kind)
        sql = f"SELECT {_SAMPLE_COLUMNS} FROM samples s LEFT JOIN classes c ON c.id = s.label_id{where} ORDER BY s.id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [int(limit), int(offset)]
        return [_row_to_sample(r) for r in self.conn.execute(sql, params)]

    def count(self, *, label=None, split=None, status=None, search=None, kind=None) -> int:
        where, params = where_clause(label, split, status, search, kind)
        sql = f"SELECT COUNT(*) FROM samples s LEFT JOIN classes c ON c.id = s.label_id{where}"
        return int(self.conn.execute(sql, params).fetchone()[0])

    def sample(self, sample_id: int) -> Sample:
        row = self.conn.execute(
            f"SELECT {_SAMPLE_COLUMNS} FROM samples s LEFT JOIN classes c ON c.id = s.label_id WHERE s.id = ?",
            (int(sample_id),),
        ).fetchone()
        if row is None:
            raise ProjectError(f"There is no sample with id {sample_id} in this project.")
        return _row_to_sample(row)

    def find_samples(self, refs: Iterable[str]) -> tuple[list[int], list[str]]:
        """Resolve what a person types (id, hash prefix, original path or file name) to sample ids.

        Returns (ids, refs that matched nothing or more than one sample)."""
        ids, unresolved = [], []
        conn = self.conn
        for ref in refs:
            ref = str(ref)
            rows = []
            if ref.isdigit():
                rows = conn.execute("SELECT id FROM samples WHERE id = ?", (int(ref),)).fetchall()
            if not rows and len(ref) >= 6 and all(ch in "0123456789abcdef" for ch in ref.lower()):
                rows = conn.execute("SELECT id FROM samples WHERE hash LIKE ?", (ref.lower() + "%",)).fetchall()
            if not rows:
                full = os.path.abspath(ref)
                rows = conn.execute(
                    "SELECT id FROM samples WHERE original_path = ? OR original_path = ? OR media_path = ?",
                    (ref, full, ref),
                ).fetchall()
            if not rows:
                rows = conn.execute(
                    "SELECT id FROM samples WHERE original_path LIKE ? ESCAPE '\\'",
                    ("%" + os.sep + ref.replace("%", "\\%").replace("_", "\\_"),),
                ).fetchall()
            if len(rows) == 1:
                ids.append(int(rows[0][0]))
            else:
                unresolved.append(ref if not rows else f"{ref} (matches {len(rows)} samples)")
        return ids, unresolved

    def mark_broken(self, sample_id: int, reason: str) -> None:
        """Record that a sample failed to decode (e.g. its file was deleted or damaged)."""
        with self.transaction() as conn:
            conn.execute("UPDATE samples SET status = 'broken', status_reason = ? WHERE id = ?", (reason, sample_id))

    # ------------------------------------------------------------ rejections and status

    def rejections(self) -> list[tuple[str, str]]:
        return [(p, r) for p, r in self.conn.execute("SELECT path, reason FROM rejections ORDER BY id")]

    def status(self) -> ProjectStatus:
        conn = self.conn
        total = conn.execute("SELECT COUNT(*) FROM samples WHERE status = 'ok'").fetchone()[0]
        broken = conn.execute("SELECT COUNT(*) FROM samples WHERE status != 'ok'").fetchone()[0]
        unlabelled = conn.execute(
            "SELECT COUNT(*) FROM samples WHERE status = 'ok' AND label_id IS NULL"
        ).fetchone()[0]
        rejected = conn.execute("SELECT COUNT(*) FROM rejections").fetchone()[0]
        per_class: dict[str, dict[str, int]] = {c.name: {} for c in self.classes()}
        split_totals = {s: 0 for s in SPLITS}
        for name, split, n in conn.execute(
            "SELECT c.name, s.split, COUNT(*) FROM samples s JOIN classes c ON c.id = s.label_id "
            "WHERE s.status = 'ok' GROUP BY c.name, s.split"
        ):
            per_class[name][split or "unassigned"] = n
            if split:
                split_totals[split] += n
        classes = {
            name: ClassCounts(total=sum(c.values()), **{k: c.get(k, 0) for k in (*SPLITS, "unassigned")})
            for name, c in per_class.items()
        }
        return ProjectStatus(
            name=self.name,
            task=self.task,
            samples=int(total),
            labelled=int(total - unlabelled),
            unlabelled=int(unlabelled),
            rejected=int(rejected),
            broken=int(broken),
            splits=split_totals,
            classes=classes,
        )


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    # Each thread gets its own connection (see Project.conn); check_same_thread=False only lets
    # close() run from the thread that closes the project, e.g. the GUI thread after an import.
    if read_only:
        # SQLite's WAL mode needs the -shm file beside the database even to read; in a folder that cannot be
        # written (a read-only disk or share) it cannot make one, so the database is read as immutable:
        # nobody can be writing it there.
        immutable = "&immutable=1" if not os.access(path.parent, os.W_OK) else ""
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro{immutable}", uri=True, isolation_level=None, timeout=10, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a label edit whose call returned survives a crash or power loss, not only a kill.
        conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn
