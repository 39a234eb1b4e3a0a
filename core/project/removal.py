"""Removing samples from a project, and putting them back exactly (undo).

``delete_samples`` takes the samples' rows out in one transaction, with everything that hangs on
them (labels in extra label sets, stored predictions, and a recording's row once its last segment
is gone), and hands back a ``Removal`` that holds all of it; ``restore_samples`` puts it back in one
transaction. The media files stay where they are meanwhile (an undo needs them);
``remove_unreferenced_media`` deletes those of them no row uses any more, and nothing else, which
the app does when the project closes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from core.errors import ProjectError


@dataclass(frozen=True)
class Removal:
    """What one ``delete_samples`` took out (plain values: safe to keep in an undo history)."""
    sample_columns: tuple[str, ...]
    samples: tuple[tuple, ...]
    set_labels: tuple[tuple, ...]  # (sample_id, set_id, class_id, labelled_at)
    predictions: tuple[tuple, ...]  # (sample_id, run_id, label_id, confidence)
    recording_columns: tuple[str, ...]
    recordings: tuple[tuple, ...]  # recordings whose last segment went

    @property
    def ids(self) -> list[int]:
        at = self.sample_columns.index("id")
        return [int(row[at]) for row in self.samples]

    @property
    def media_paths(self) -> set[str]:
        at = self.sample_columns.index("media_path")
        return {row[at] for row in self.samples}

    def __len__(self) -> int:
        return len(self.samples)


def _columns(conn, table: str) -> tuple[str, ...]:
    return tuple(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))


def _chunks(ids: list[int], size: int = 500):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


class RemovalOps:
    """Mixed into Project: needs ``conn``, ``transaction()`` and ``root``."""

    def delete_samples(self, sample_ids: Iterable[int]) -> Removal:
        """Delete samples (ids that do not exist are ignored) in one transaction."""
        with self.transaction() as conn:
            return self._take_samples(conn, sample_ids)

    def restore_samples(self, removal: Removal) -> list[int]:
        """Put deleted samples back, with their labels, splits and predictions; returns their ids.

        A sample whose content was imported again meanwhile is not restored twice (its new copy
        stays); one whose id was taken meanwhile comes back under a new id. A class deleted
        meanwhile leaves the sample unlabelled."""
        with self.transaction() as conn:
            return self._put_back_samples(conn, removal)

    @staticmethod
    def _take_samples(conn, sample_ids: Iterable[int]) -> Removal:
        ids = sorted({int(i) for i in sample_ids})
        columns = _columns(conn, "samples")
        rec_columns = _columns(conn, "recordings")
        samples, set_labels, predictions = [], [], []
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            samples += conn.execute(f"SELECT * FROM samples WHERE id IN ({marks}) ORDER BY id", chunk).fetchall()
            set_labels += conn.execute(f"SELECT sample_id, set_id, class_id, labelled_at FROM set_labels "
                                       f"WHERE sample_id IN ({marks})", chunk).fetchall()
            predictions += conn.execute(f"SELECT sample_id, run_id, label_id, confidence FROM predictions "
                                        f"WHERE sample_id IN ({marks})", chunk).fetchall()
            conn.execute(f"DELETE FROM samples WHERE id IN ({marks})", chunk)  # cascades to both
        sources = {row[columns.index("source_hash")] for row in samples} - {None}
        recordings = []
        for source in sorted(sources):
            if conn.execute("SELECT 1 FROM samples WHERE source_hash = ? LIMIT 1", (source,)).fetchone() is None:
                recordings += conn.execute("SELECT * FROM recordings WHERE hash = ?", (source,)).fetchall()
                conn.execute("DELETE FROM recordings WHERE hash = ?", (source,))
        return Removal(columns, tuple(map(tuple, samples)), tuple(map(tuple, set_labels)),
                       tuple(map(tuple, predictions)), rec_columns, tuple(map(tuple, recordings)))

    @staticmethod
    def _put_back_samples(conn, removal: Removal) -> list[int]:
        restored: list[int] = []
        classes = {i for (i,) in conn.execute("SELECT id FROM classes")}
        set_classes = {i for (i,) in conn.execute("SELECT id FROM set_classes")}
        runs = {i for (i,) in conn.execute("SELECT id FROM runs")}
        for row in removal.recordings:
            marks = ",".join("?" * len(row))
            conn.execute(f"INSERT OR IGNORE INTO recordings ({', '.join(removal.recording_columns)}) "
                         f"VALUES ({marks})", row)
        cols = removal.sample_columns
        at_id, at_hash, at_label = cols.index("id"), cols.index("hash"), cols.index("label_id")
        new_id: dict[int, int] = {}
        for row in removal.samples:
            values = list(row)
            if conn.execute("SELECT 1 FROM samples WHERE hash = ?", (values[at_hash],)).fetchone():
                continue  # the same content is in the project again
            old = int(values[at_id])
            if conn.execute("SELECT 1 FROM samples WHERE id = ?", (old,)).fetchone():
                values[at_id] = None  # the id went to a newer sample: a new one
            if values[at_label] is not None and values[at_label] not in classes:
                values[at_label] = None
            cur = conn.execute(f"INSERT INTO samples ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                               values)
            new_id[old] = int(cur.lastrowid) if values[at_id] is None else old
            restored.append(new_id[old])
        for sample_id, set_id, class_id, at in removal.set_labels:
            if sample_id in new_id and class_id in set_classes:
                conn.execute("INSERT OR IGNORE INTO set_labels (sample_id, set_id, class_id, labelled_at) "
                             "VALUES (?, ?, ?, ?)", (new_id[sample_id], set_id, class_id, at))
        for sample_id, run_id, label_id, confidence in removal.predictions:
            if sample_id in new_id and run_id in runs and (label_id is None or label_id in classes):
                conn.execute("INSERT OR IGNORE INTO predictions (sample_id, run_id, label_id, confidence) "
                             "VALUES (?, ?, ?, ?)", (new_id[sample_id], run_id, label_id, confidence))
        return restored

    def remove_unreferenced_media(self, media_paths: Iterable[str]) -> int:
        """Delete those of ``media_paths`` (relative to the project, under media/) that no sample
        or recording uses any more; returns how many files went. Nothing outside media/ is touched."""
        self._require_writable()
        media = os.path.realpath(self.root / "media") + os.sep
        removed = 0
        conn = self.conn
        for rel in sorted(set(media_paths)):
            path = os.path.realpath(self.root / rel)
            if not path.startswith(media):
                raise ProjectError(f"'{rel}' is not a file in this project's media folder.")
            used = conn.execute("SELECT 1 FROM samples WHERE media_path = ? UNION ALL "
                                "SELECT 1 FROM recordings WHERE media_path = ? LIMIT 1", (rel, rel)).fetchone()
            if used is None:
                try:
                    os.unlink(path)
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed
