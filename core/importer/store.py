"""The database side of an import: batched, transactional writes of samples and rejections."""

from __future__ import annotations

import json
import os
import time

from core.importer.report import Duplicate, ImportReport, Rejected


def remove_stale_parts(media_dir) -> int:
    """Delete half-written copies left in media/ by an import that was killed mid-file."""
    removed = 0
    cutoff = time.time() - 60  # an import running in this same process may be writing one right now
    try:
        folders = [e.path for e in os.scandir(media_dir) if e.is_dir()]
    except FileNotFoundError:
        return 0
    for folder in folders:
        for entry in os.scandir(folder):
            if entry.name.startswith(".") and entry.name.endswith(".part"):
                try:
                    if entry.stat().st_mtime > cutoff:
                        continue
                    os.unlink(entry.path)
                    removed += 1
                except OSError:
                    pass
    return removed


class ImportWriter:
    def __init__(self, project, report: ImportReport, sources: list[str]):
        self.project = project
        self.report = report
        self._pending_rows: list = []
        self._pending_rejections: list[Rejected] = []
        self._pending_dups: list[tuple[str, str]] = []
        self._pending_hashes: dict[str, str] = {}
        self._last_flush = time.perf_counter()
        self._classes_before = set(project.class_names())
        remove_stale_parts(project.media_dir)
        with project.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO imports (started_at, sources) VALUES (?, ?)", (time.time(), json.dumps(sources))
            )
            self.import_id = int(cur.lastrowid)

    @property
    def added(self) -> int:
        return self.report.added + len(self._pending_rows)

    def known_hashes(self) -> set[str]:
        return {h for (h,) in self.project.conn.execute("SELECT hash FROM samples")}

    def add(self, ingested) -> None:
        self._pending_rows.append(ingested)
        self._pending_hashes[ingested.hash] = ingested.candidate.path

    def duplicate(self, path: str, digest: str) -> None:
        self._pending_dups.append((path, digest))

    def reject(self, rejected: Rejected) -> None:
        self.report.rejected.append(rejected)
        self._pending_rejections.append(rejected)

    def reject_many(self, rejected: list[Rejected]) -> None:
        # Already in report.rejected (from planning); only the database needs them.
        self._pending_rejections.extend(rejected)

    def maybe_flush(self, every: int, seconds: float) -> None:
        pending = len(self._pending_rows) + len(self._pending_rejections) + len(self._pending_dups)
        if pending >= every or (pending and time.perf_counter() - self._last_flush >= seconds):
            self.flush()

    def flush(self) -> None:
        rows, rejections, dups = self._pending_rows, self._pending_rejections, self._pending_dups
        if not (rows or rejections or dups):
            return
        now = time.time()
        added_ids: list[int] = []
        labelled = 0
        class_ids: dict[str, int] = {}  # per transaction: classes cannot change under it
        with self.project.transaction() as conn:
            for item in rows:
                label_id = None
                name = item.candidate.label
                if name:
                    if name not in class_ids:
                        class_ids[name] = self.project._ensure_class(conn, name)
                    label_id = class_ids[name]
                cur = conn.execute(
                    "INSERT OR IGNORE INTO samples (hash, kind, media_path, original_path, label_id, width, height, "
                    "duration, sample_rate, channels, size_bytes, added_at, labelled_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.hash, item.kind, item.media_path, item.candidate.path, label_id,
                        item.meta.get("width"), item.meta.get("height"), item.meta.get("duration"),
                        item.meta.get("sample_rate"), item.meta.get("channels"), item.size, now,
                        now if label_id else None,
                    ),
                )
                if cur.rowcount == 0:  # same content reached the database another way meanwhile
                    dups.append((item.candidate.path, item.hash))
                    continue
                added_ids.append(int(cur.lastrowid))
                labelled += label_id is not None
                conn.execute("DELETE FROM rejections WHERE path = ?", (item.candidate.path,))
            for rej in rejections:
                conn.execute(
                    "INSERT INTO rejections (path, reason, at) VALUES (?, ?, ?) "
                    "ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, at = excluded.at",
                    (rej.path, rej.reason, now),
                )
            self.project._assign_pending_splits(conn)
            resolved_dups = []
            for path, digest in dups:
                row = conn.execute("SELECT original_path, media_path FROM samples WHERE hash = ?", (digest,)).fetchone()
                existing = (row[0] or row[1]) if row else self._pending_hashes.get(digest, "")
                resolved_dups.append(Duplicate(path, existing))
        self.report.added_ids.extend(added_ids)
        self.report.labelled += labelled
        self.report.duplicates.extend(resolved_dups)
        self._pending_rows, self._pending_rejections, self._pending_dups = [], [], []
        self._pending_hashes = {}
        self._last_flush = time.perf_counter()

    def finish(self) -> None:
        self.flush()
        with self.project.transaction() as conn:
            conn.execute(
                "UPDATE imports SET finished_at = ?, added = ?, duplicates = ?, rejected = ?, cancelled = ? WHERE id = ?",
                (
                    time.time(), self.report.added, len(self.report.duplicates), len(self.report.rejected),
                    int(self.report.cancelled), self.import_id,
                ),
            )
        self.report.classes_created = [c for c in self.project.class_names() if c not in self._classes_before]
