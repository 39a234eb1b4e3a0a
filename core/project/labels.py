"""Classes and labels. Every call is one committed SQLite transaction.

Classes live in project.db (not project.toml) so that renaming, deleting or merging a class and
relabelling its samples happen together or not at all.
"""

from __future__ import annotations

import json
import time
from typing import Iterable

from core.errors import LabelError
from core.project.models import ClassInfo

# Distinct, colour-blind-friendly defaults (Okabe-Ito, then Tol's muted set).
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288",
    "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499",
)
MAX_CLASS_NAME = 100


def clean_class_name(name: str, what: str = "class") -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise LabelError(f"A {what} name cannot be empty.")
    if len(cleaned) > MAX_CLASS_NAME:
        raise LabelError(f"The {what} name '{cleaned[:20]}...' is too long (at most {MAX_CLASS_NAME} characters).")
    return cleaned


class LabelOps:
    """Mixed into Project: needs ``conn`` and ``transaction()``."""

    # ------------------------------------------------------------ classes

    def classes(self):
        rows = self.conn.execute(
            "SELECT c.id, c.name, c.position, c.color, "
            "(SELECT COUNT(*) FROM samples s WHERE s.label_id = c.id AND s.status = 'ok') "
            "FROM classes c ORDER BY c.position, c.id"
        )
        return [ClassInfo(*row) for row in rows]

    def class_names(self) -> list[str]:
        return [name for (name,) in self.conn.execute("SELECT name FROM classes ORDER BY position, id")]

    def _class_id(self, conn, name: str) -> int | None:
        row = conn.execute("SELECT id FROM classes WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def _require_class(self, conn, name: str) -> int:
        class_id = self._class_id(conn, name)
        if class_id is None:
            known = ", ".join(self.class_names()) or "none yet"
            raise LabelError(f"There is no class named '{name}' (classes: {known}).")
        return class_id

    def _ensure_class(self, conn, name: str, color: str | None = None) -> int:
        name = clean_class_name(name)
        class_id = self._class_id(conn, name)
        if class_id is not None:
            return class_id
        position = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM classes").fetchone()[0]
        cur = conn.execute(
            "INSERT INTO classes (name, position, color, created_at) VALUES (?, ?, ?, ?)",
            (name, position, color or PALETTE[position % len(PALETTE)], time.time()),
        )
        return int(cur.lastrowid)

    def add_class(self, name: str, color: str | None = None) -> str:
        name = clean_class_name(name)
        with self.transaction() as conn:
            if self._class_id(conn, name) is not None:
                raise LabelError(f"A class named '{name}' already exists.")
            self._ensure_class(conn, name, color)
        return name

    def rename_class(self, old: str, new: str) -> None:
        """Rename in place: every sample labelled ``old`` is now labelled ``new``."""
        new = clean_class_name(new)
        with self.transaction() as conn:
            class_id = self._require_class(conn, old)
            other = self._class_id(conn, new)
            if other is not None and other != class_id:
                raise LabelError(f"A class named '{new}' already exists; merge the two classes instead.")
            conn.execute("UPDATE classes SET name = ? WHERE id = ?", (new, class_id))

    def set_class_color(self, name: str, color: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE classes SET color = ? WHERE id = ?", (color, self._require_class(conn, name)))

    def reorder_classes(self, names: list[str]) -> None:
        """Set the class order (and so the 1-9 shortcut keys); names not given keep their order after."""
        with self.transaction() as conn:
            current = [n for (n,) in conn.execute("SELECT name FROM classes ORDER BY position, id")]
            unknown = [n for n in names if n not in current]
            if unknown:
                raise LabelError(f"Unknown classes: {', '.join(unknown)}.")
            order = list(dict.fromkeys(names)) + [n for n in current if n not in names]
            for position, name in enumerate(order):
                conn.execute("UPDATE classes SET position = ? WHERE name = ?", (position, name))

    def delete_class(self, name: str, *, move_to: str | None = None) -> int:
        """Delete a class. Its samples become unlabelled, or are moved to ``move_to``.

        Returns how many samples were affected, so the caller can say what happened to them."""
        with self.transaction() as conn:
            class_id = self._require_class(conn, name)
            now = time.time()
            if move_to is not None:
                if move_to == name:
                    raise LabelError("A class cannot be moved into itself.")
                target = self._ensure_class(conn, move_to)
                cur = conn.execute(
                    "UPDATE samples SET label_id = ?, labelled_at = ? WHERE label_id = ?", (target, now, class_id)
                )
            else:
                cur = conn.execute(
                    "UPDATE samples SET label_id = NULL, labelled_at = ? WHERE label_id = ?", (now, class_id)
                )
            conn.execute("DELETE FROM classes WHERE id = ?", (class_id,))
            self._compact_positions(conn)
            return cur.rowcount

    def merge_classes(self, sources: Iterable[str], into: str) -> int:
        """Move every sample of ``sources`` into ``into`` (created if needed) and delete the sources."""
        sources = [s for s in dict.fromkeys(sources) if s != into]
        if not sources:
            raise LabelError("Name at least one class to merge that is not the target.")
        with self.transaction() as conn:
            source_ids = [self._require_class(conn, s) for s in sources]
            target = self._ensure_class(conn, into)
            moved = 0
            for source_id in source_ids:
                moved += conn.execute(
                    "UPDATE samples SET label_id = ?, labelled_at = ? WHERE label_id = ?",
                    (target, time.time(), source_id),
                ).rowcount
                conn.execute("DELETE FROM classes WHERE id = ?", (source_id,))
            self._compact_positions(conn)
            return moved

    def set_class_attributes(self, name: str, attributes) -> list[str]:
        """Describe a class by attributes (e.g. "yellow", "spotted"); the class is created if new, so a
        class can exist by its description alone (zero-shot). Returns the cleaned attribute list."""
        cleaned = sorted({" ".join(str(a).split()).lower() for a in attributes if str(a).strip()})
        with self.transaction() as conn:
            class_id = self._ensure_class(conn, name)
            conn.execute("UPDATE classes SET attributes = ? WHERE id = ?", (json.dumps(cleaned), class_id))
        return cleaned

    def class_attributes(self) -> dict[str, list[str]]:
        """Classes that have attributes, in class order."""
        return {
            name: json.loads(attrs)
            for name, attrs in self.conn.execute(
                "SELECT name, attributes FROM classes WHERE attributes IS NOT NULL ORDER BY position, id"
            )
        }

    @staticmethod
    def _compact_positions(conn) -> None:
        ids = [i for (i,) in conn.execute("SELECT id FROM classes ORDER BY position, id")]
        for position, class_id in enumerate(ids):
            conn.execute("UPDATE classes SET position = ? WHERE id = ?", (position, class_id))

    # ------------------------------------------------------------ labels

    def set_label(self, sample_ids: Iterable[int], name: str | None, *, create: bool = True) -> int:
        """Label samples (``name=None`` clears). Returns how many changed. One transaction."""
        ids = [int(i) for i in sample_ids]
        with self.transaction() as conn:
            self._check_ids(conn, ids)
            if name is None:
                class_id = None
            else:
                class_id = self._ensure_class(conn, name) if create else self._require_class(conn, name)
            changed = self._apply_labels(conn, [(i, class_id) for i in ids])
            self._assign_pending_splits(conn)
            return changed

    def clear_label(self, sample_ids: Iterable[int]) -> int:
        return self.set_label(sample_ids, None)

    def set_labels(self, assignments: Iterable[tuple[int, str | None]]) -> int:
        """Many different labels in one transaction (undo/redo of a batch, CSV import)."""
        pairs = [(int(i), n) for i, n in assignments]
        with self.transaction() as conn:
            self._check_ids(conn, [i for i, _ in pairs])
            resolved = [(i, None if n is None else self._ensure_class(conn, n)) for i, n in pairs]
            changed = self._apply_labels(conn, resolved)
            self._assign_pending_splits(conn)
            return changed

    def labels_of(self, sample_ids: Iterable[int]) -> dict[int, str | None]:
        ids = [int(i) for i in sample_ids]
        out: dict[int, str | None] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            for sid, name in self.conn.execute(
                f"SELECT s.id, c.name FROM samples s LEFT JOIN classes c ON c.id = s.label_id WHERE s.id IN ({marks})",
                chunk,
            ):
                out[int(sid)] = name
        return out

    @staticmethod
    def _apply_labels(conn, pairs: list[tuple[int, int | None]]) -> int:
        now = time.time()
        changed = 0
        for sample_id, class_id in pairs:
            changed += conn.execute(
                "UPDATE samples SET label_id = ?, labelled_at = ? WHERE id = ? AND label_id IS NOT ?",
                (class_id, now, sample_id, class_id),
            ).rowcount
        return changed

    @staticmethod
    def _check_ids(conn, ids: list[int]) -> None:
        missing = []
        for sample_id in dict.fromkeys(ids):
            if conn.execute("SELECT 1 FROM samples WHERE id = ?", (sample_id,)).fetchone() is None:
                missing.append(str(sample_id))
        if missing:
            raise LabelError(f"No sample with id {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}.")
