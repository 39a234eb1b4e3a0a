"""More than one label set per project (multi-task): the main set is the project's classes (what
every page, split and single-task run uses), and each extra set ("has spots", "colour") has its own
classes and at most one label per sample. A sample may be labelled in some sets and not others.

Extra sets live in their own tables (label_sets, set_classes, set_labels; project format 4), so
nothing that reads the main labels changed. Every call is one committed SQLite transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from core.errors import LabelError
from core.project.labels import clean_class_name

DEFAULT_MAIN_SET = "class"


class LabelSetOps:
    """Mixed into Project: needs ``conn``, ``transaction()`` and LabelOps."""

    # ------------------------------------------------------------ the sets

    @property
    def main_label_set(self) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'main_label_set'").fetchone()
        return row[0] if row and row[0] else DEFAULT_MAIN_SET

    def rename_main_label_set(self, name: str) -> None:
        name = clean_class_name(name, "label set")
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM label_sets WHERE name = ?", (name,)).fetchone():
                raise LabelError(f"There is already a label set named '{name}'.")
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('main_label_set', ?)", (name,))

    def label_sets(self) -> list[str]:
        """The extra label sets, in the order they were added (the main one is not listed)."""
        return [n for (n,) in self.conn.execute("SELECT name FROM label_sets ORDER BY position, id")]

    def add_label_set(self, name: str) -> str:
        name = clean_class_name(name, "label set")
        with self.transaction() as conn:
            if name == self.main_label_set or conn.execute("SELECT 1 FROM label_sets WHERE name = ?", (name,)).fetchone():
                raise LabelError(f"There is already a label set named '{name}'.")
            position = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM label_sets").fetchone()[0]
            conn.execute("INSERT INTO label_sets (name, position, created_at) VALUES (?, ?, ?)", (name, position, time.time()))
        return name

    def delete_label_set(self, name: str) -> int:
        """Delete an extra set with its classes and labels; returns how many labels went with it."""
        with self.transaction() as conn:
            set_id = self._set_id(conn, name)
            gone = conn.execute("SELECT COUNT(*) FROM set_labels WHERE set_id = ?", (set_id,)).fetchone()[0]
            conn.execute("DELETE FROM label_sets WHERE id = ?", (set_id,))
        return int(gone)

    def _set_id(self, conn, name: str) -> int:
        row = conn.execute("SELECT id FROM label_sets WHERE name = ?", (name,)).fetchone()
        if row is None:
            if name == self.main_label_set:
                raise LabelError(f"'{name}' is the main label set: use the ordinary label commands for it.")
            known = ", ".join(self.label_sets()) or "none yet"
            raise LabelError(f"There is no label set named '{name}' (extra label sets: {known}).")
        return int(row[0])

    # ------------------------------------------------------------ classes of a set

    def set_class_names(self, label_set: str) -> list[str]:
        set_id = self._set_id(self.conn, label_set)
        return [n for (n,) in self.conn.execute(
            "SELECT name FROM set_classes WHERE set_id = ? ORDER BY position, id", (set_id,))]

    def set_class_counts(self, label_set: str) -> dict[str, int]:
        """{class: labelled readable samples} of an extra set, in class order."""
        set_id = self._set_id(self.conn, label_set)
        rows = self.conn.execute(
            "SELECT c.name, (SELECT COUNT(*) FROM set_labels l JOIN samples s ON s.id = l.sample_id "
            "WHERE l.class_id = c.id AND s.status = 'ok') FROM set_classes c WHERE c.set_id = ? "
            "ORDER BY c.position, c.id", (set_id,))
        return {name: int(n) for name, n in rows}

    def add_set_class(self, label_set: str, name: str) -> str:
        with self.transaction() as conn:
            set_id = self._set_id(conn, label_set)
            self._ensure_set_class(conn, set_id, clean_class_name(name))
        return clean_class_name(name)

    def rename_set_class(self, label_set: str, old: str, new: str) -> None:
        """Rename a class of an extra set; its samples keep their label under the new name."""
        new = clean_class_name(new)
        with self.transaction() as conn:
            set_id = self._set_id(conn, label_set)
            class_id = self._require_set_class(conn, set_id, label_set, old)
            if new != old and conn.execute("SELECT 1 FROM set_classes WHERE set_id = ? AND name = ?",
                                           (set_id, new)).fetchone():
                raise LabelError(f"The label set '{label_set}' already has a class named '{new}'.")
            conn.execute("UPDATE set_classes SET name = ? WHERE id = ?", (new, class_id))

    def delete_set_class(self, label_set: str, name: str) -> int:
        """Delete a class of an extra set; its samples become unlabelled in that set. Returns how many."""
        with self.transaction() as conn:
            set_id = self._set_id(conn, label_set)
            class_id = self._require_set_class(conn, set_id, label_set, name)
            n = conn.execute("SELECT COUNT(*) FROM set_labels WHERE class_id = ?", (class_id,)).fetchone()[0]
            conn.execute("DELETE FROM set_classes WHERE id = ?", (class_id,))  # its labels go with it
        return int(n)

    def _require_set_class(self, conn, set_id: int, label_set: str, name: str) -> int:
        row = conn.execute("SELECT id FROM set_classes WHERE set_id = ? AND name = ?", (set_id, name)).fetchone()
        if row is None:
            known = ", ".join(n for (n,) in conn.execute(
                "SELECT name FROM set_classes WHERE set_id = ? ORDER BY position, id", (set_id,))) or "none yet"
            raise LabelError(f"The label set '{label_set}' has no class named '{name}' (its classes: {known}).")
        return int(row[0])

    @staticmethod
    def _ensure_set_class(conn, set_id: int, name: str) -> int:
        row = conn.execute("SELECT id FROM set_classes WHERE set_id = ? AND name = ?", (set_id, name)).fetchone()
        if row is not None:
            return int(row[0])
        position = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM set_classes WHERE set_id = ?",
                                (set_id,)).fetchone()[0]
        return int(conn.execute("INSERT INTO set_classes (set_id, name, position) VALUES (?, ?, ?)",
                                (set_id, name, position)).lastrowid)

    # ------------------------------------------------------------ labels in a set

    def set_set_label(self, label_set: str, sample_ids: Iterable[int], name: str | None) -> int:
        """Label samples in an extra set (``name=None`` clears); returns how many changed."""
        return self.set_set_labels(label_set, [(i, name) for i in sample_ids])

    def set_set_labels(self, label_set: str, assignments: Iterable[tuple[int, str | None]], *,
                       create_set: bool = False) -> int:
        """Many labels of one extra set in one transaction (``None`` clears); returns how many changed."""
        pairs = [(int(i), n) for i, n in assignments]
        now = time.time()
        with self.transaction() as conn:
            self._check_ids(conn, [i for i, _ in pairs])
            if create_set and not conn.execute("SELECT 1 FROM label_sets WHERE name = ?", (label_set,)).fetchone():
                position = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM label_sets").fetchone()[0]
                conn.execute("INSERT INTO label_sets (name, position, created_at) VALUES (?, ?, ?)",
                             (clean_class_name(label_set, "label set"), position, now))
            set_id = self._set_id(conn, label_set)
            changed = 0
            for i, name in pairs:
                if name is None:
                    changed += conn.execute("DELETE FROM set_labels WHERE sample_id = ? AND set_id = ?",
                                            (i, set_id)).rowcount
                    continue
                class_id = self._ensure_set_class(conn, set_id, clean_class_name(name))
                changed += conn.execute(
                    "INSERT INTO set_labels (sample_id, set_id, class_id, labelled_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (sample_id, set_id) DO UPDATE SET class_id = excluded.class_id, "
                    "labelled_at = excluded.labelled_at WHERE set_labels.class_id IS NOT excluded.class_id",
                    (i, set_id, class_id, now)).rowcount
            return changed

    def set_labels_of(self, label_set: str) -> dict[int, str]:
        """{sample id: class} of every sample labelled in an extra set."""
        set_id = self._set_id(self.conn, label_set)
        return {int(sid): name for sid, name in self.conn.execute(
            "SELECT l.sample_id, c.name FROM set_labels l JOIN set_classes c ON c.id = l.class_id "
            "WHERE l.set_id = ?", (set_id,))}
