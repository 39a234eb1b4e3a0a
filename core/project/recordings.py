"""Recordings already in a project: cut a whole-file sample into segments, add segments to a
recording (the quiet parts of recordings as a background class), and undo a cut.

A cut is one transaction: the file becomes a recording (its bytes stay where they are in media/),
each span becomes a sample carrying the file's label, and the whole-file sample goes. ``undo_cut``
is the reverse, also one transaction.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Iterable

from core.audio.segment import segment_hash
from core.errors import ProjectError


@dataclass(frozen=True)
class Cut:
    """What ``cut_sample`` did: the new segments, and the whole-file sample it replaced."""
    segment_ids: tuple[int, ...]
    removal: object  # core.project.removal.Removal of the whole-file sample


def _clean_spans(spans, duration: float | None) -> list[tuple[float, float]]:
    out = []
    for start, end in spans:
        start, end = max(0.0, float(start)), float(end)
        if duration:
            end = min(end, float(duration))
        if end - start > 1e-3:
            out.append((round(start, 4), round(end, 4)))
    return sorted(set(out))


@dataclass(frozen=True)
class Recording:
    hash: str
    media_path: str
    original_path: str | None
    duration: float | None


class RecordingOps:
    """Mixed into Project: needs ``conn``, ``transaction()`` and the removal helpers."""

    def recordings(self) -> list[Recording]:
        """The long recordings samples were cut from, in the order they came in."""
        rows = self.conn.execute("SELECT hash, media_path, original_path, duration FROM recordings ORDER BY added_at, hash")
        return [Recording(*row) for row in rows]

    def cut_sample(self, sample_id: int, spans: Iterable[tuple[float, float]], segmenting=None) -> Cut:
        """Replace a whole audio file by samples of ``spans`` (seconds) of it, each with its label.
        ``segmenting`` (SegmentSettings or a dict) is kept with the recording: how it was cut."""
        sample = self.sample(sample_id)
        if sample.kind != "audio":
            raise ProjectError(f"{sample.display_name} is not a recording: only audio can be cut into samples.")
        if sample.is_segment:
            raise ProjectError(f"{sample.display_name} is already a segment of a recording.")
        if sample.status != "ok":
            raise ProjectError(f"{sample.display_name} cannot be read ({sample.status_reason}), so it cannot be cut.")
        spans = _clean_spans(spans, sample.duration)
        if not spans:
            raise ProjectError(f"No segments to cut from {sample.display_name}: nothing was heard in it.")
        how = segmenting.to_json() if hasattr(segmenting, "to_json") else segmenting
        now = time.time()
        with self.transaction() as conn:
            label_id = conn.execute("SELECT label_id FROM samples WHERE id = ?", (sample.id,)).fetchone()[0]
            removal = self._take_samples(conn, [sample.id])
            conn.execute(
                "INSERT INTO recordings (hash, media_path, original_path, duration, sample_rate, channels, "
                "size_bytes, segmenting, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sample.hash, sample.media_path, sample.original_path, sample.duration, sample.sample_rate,
                 sample.channels, sample.size_bytes, json.dumps(how) if how is not None else None, sample.added_at),
            )
            ids = self._insert_segments(conn, sample, spans, label_id, now)
            self._assign_pending_splits(conn)
        return Cut(tuple(ids), removal)

    def undo_cut(self, cut: Cut) -> list[int]:
        """The whole file back as it was (label, split, predictions), its segments gone."""
        with self.transaction() as conn:
            self._take_samples(conn, cut.segment_ids)
            return self._put_back_samples(conn, cut.removal)

    def add_segments(self, recording_hash: str, spans: Iterable[tuple[float, float]], label: str | None) -> list[int]:
        """More samples cut from a recording already in the project (spans that exist are skipped),
        labelled ``label`` (the class is made if new)."""
        row = self.conn.execute("SELECT media_path, original_path, duration, sample_rate, channels, added_at "
                                "FROM recordings WHERE hash = ?", (recording_hash,)).fetchone()
        if row is None:
            raise ProjectError("That recording is not in this project.")
        from core.project.models import Sample

        source = Sample(0, recording_hash, "audio", row[0], row[1], None, None, "ok", duration=row[2],
                        sample_rate=row[3], channels=row[4], added_at=row[5])
        now = time.time()
        with self.transaction() as conn:
            label_id = self._ensure_class(conn, label) if label else None
            ids = self._insert_segments(conn, source, _clean_spans(spans, row[2]), label_id, now)
            self._assign_pending_splits(conn)
        return ids

    @staticmethod
    def _insert_segments(conn, recording, spans, label_id, now) -> list[int]:
        ids = []
        for start, end in spans:
            cur = conn.execute(
                "INSERT OR IGNORE INTO samples (hash, kind, media_path, original_path, label_id, duration, "
                "sample_rate, channels, size_bytes, added_at, labelled_at, source_hash, seg_start, seg_end) "
                "VALUES (?, 'audio', ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
                (segment_hash(recording.hash, start, end), recording.media_path, recording.original_path, label_id,
                 round(end - start, 6), recording.sample_rate, recording.channels, now, now if label_id else None,
                 recording.hash, start, end),
            )
            if cur.rowcount:
                ids.append(int(cur.lastrowid))
        return ids
