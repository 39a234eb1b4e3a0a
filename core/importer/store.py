"""The database side of an import: batched, transactional writes of samples and rejections."""

from __future__ import annotations

import json
import os
import time

from core.audio.segment import segment_hash
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
    def __init__(self, project, report: ImportReport, sources: list[str], segment=None):
        self.project = project
        self._segmenting = json.dumps(segment.to_json()) if segment is not None else None
        self.report = report
        self._pending_rows: list = []
        self._pending_rejections: list[Rejected] = []
        self._pending_dups: list[tuple[str, str, str | None]] = []  # path, hash, the label it came with
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
        conn = self.project.conn
        known = {h for (h,) in conn.execute("SELECT hash FROM samples")}
        known.update(h for (h,) in conn.execute("SELECT hash FROM recordings"))
        return known

    def add(self, ingested) -> None:
        self._pending_rows.append(ingested)
        self._pending_hashes[ingested.hash] = ingested.candidate.path

    def duplicate(self, path: str, digest: str, label: str | None = None) -> None:
        self._pending_dups.append((path, digest, label))

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
            # A file that imports fine clears an old rejection of the same path; most projects have none.
            had_rejections = conn.execute("SELECT EXISTS (SELECT 1 FROM rejections)").fetchone()[0]
            for item in rows:
                label_id = None
                name = item.candidate.label
                if name:
                    if name not in class_ids:
                        class_ids[name] = self.project._ensure_class(conn, name)
                    label_id = class_ids[name]
                if item.segments is not None:
                    ids = self._insert_recording(conn, item, label_id, now)
                    if ids is None:
                        dups.append((item.candidate.path, item.hash, item.candidate.label))
                        continue
                    added_ids.extend(ids)
                    labelled += len(ids) if label_id is not None else 0
                    if had_rejections:
                        conn.execute("DELETE FROM rejections WHERE path = ?", (item.candidate.path,))
                    continue
                cur = conn.execute(
                    "INSERT OR IGNORE INTO samples (hash, kind, media_path, original_path, label_id, width, height, "
                    "duration, sample_rate, channels, size_bytes, added_at, labelled_at, text_head) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.hash, item.kind, item.media_path, item.candidate.path, label_id,
                        item.meta.get("width"), item.meta.get("height"), item.meta.get("duration"),
                        item.meta.get("sample_rate"), item.meta.get("channels"), item.size, now,
                        now if label_id else None, item.meta.get("text_head"),
                    ),
                )
                if cur.rowcount == 0:  # same content reached the database another way meanwhile
                    dups.append((item.candidate.path, item.hash, item.candidate.label))
                    continue
                added_ids.append(int(cur.lastrowid))
                labelled += label_id is not None
                if had_rejections:
                    conn.execute("DELETE FROM rejections WHERE path = ?", (item.candidate.path,))
            for rej in rejections:
                conn.execute(
                    "INSERT INTO rejections (path, reason, at) VALUES (?, ?, ?) "
                    "ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, at = excluded.at",
                    (rej.path, rej.reason, now),
                )
            self.project._assign_pending_splits(conn)
            resolved_dups = []
            for path, digest, label in dups:
                # the existing sample's label too: a duplicate that came with another one is worth a word
                # (the last column: whether the match is a recording, whose label is not one sample's)
                row = conn.execute(
                    "SELECT s.original_path, s.media_path, c.name, 0 FROM samples s LEFT JOIN classes c "
                    "ON c.id = s.label_id WHERE s.hash = ? UNION ALL "
                    "SELECT original_path, media_path, NULL, 1 FROM recordings WHERE hash = ?",
                    (digest, digest),
                ).fetchone()
                existing = (row[0] or row[1]) if row else self._pending_hashes.get(digest, "")
                on_recording = row is not None and row[3] == 1
                resolved_dups.append(Duplicate(path, existing, label if not on_recording else None,
                                               row[2] if row else None))
        self.report.added_ids.extend(added_ids)
        self.report.labelled += labelled
        self.report.duplicates.extend(resolved_dups)
        self._pending_rows, self._pending_rejections, self._pending_dups = [], [], []
        self._pending_hashes = {}
        self._last_flush = time.perf_counter()

    def _insert_recording(self, conn, item, label_id, now) -> list[int] | None:
        """The recording once, then one sample per segment. None when the recording is known."""
        cur = conn.execute(
            "INSERT OR IGNORE INTO recordings (hash, media_path, original_path, duration, sample_rate, channels, "
            "size_bytes, segmenting, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.hash, item.media_path, item.candidate.path, item.meta.get("duration"),
                item.meta.get("sample_rate"), item.meta.get("channels"), item.size, self._segmenting, now,
            ),
        )
        if cur.rowcount == 0:
            return None
        ids = []
        for start, end in item.segments:
            seg_hash = segment_hash(item.hash, start, end)
            cur = conn.execute(
                "INSERT OR IGNORE INTO samples (hash, kind, media_path, original_path, label_id, duration, "
                "sample_rate, channels, size_bytes, added_at, labelled_at, source_hash, seg_start, seg_end) "
                "VALUES (?, 'audio', ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
                (
                    seg_hash, item.media_path, item.candidate.path, label_id, round(end - start, 6),
                    item.meta.get("sample_rate"), item.meta.get("channels"), now, now if label_id else None,
                    item.hash, start, end,
                ),
            )
            if cur.rowcount:
                ids.append(int(cur.lastrowid))
        return ids

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
