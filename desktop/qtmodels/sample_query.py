"""Which samples a view shows: a filter, and the read-only queries a lazy grid needs.

core.Project answers pages by offset; a grid that keeps its rows stable while labels change
(labelling in the "Unlabelled" view must not make rows jump) needs the ids of a filter once,
then rows by id. These two small queries read the documented schema (samples, classes, and for
an extra label set label_sets, set_classes, set_labels) and never write.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.project import SPLITS

UNLABELLED_FILTER = "\x00unlabelled"  # the class filter value for "no label yet"


@dataclass(frozen=True)
class SampleFilter:
    label: str | None = None  # a class name, UNLABELLED_FILTER, or None for every class
    split: str | None = None  # 'train' | 'val' | 'test' | 'none' | None
    status: str | None = "ok"  # 'ok' | 'broken' | None
    search: str = ""  # substring of the original file path
    label_set: str | None = None  # ``label`` is a class of this extra label set (None: the main set)

    def with_changes(self, **changes) -> "SampleFilter":
        return replace(self, **changes)

    def describe(self) -> str:
        bits = []
        if self.label == UNLABELLED_FILTER:
            bits.append("unlabelled")
        elif self.label:
            bits.append(f"labelled '{self.label}'")
        if self.split == "none":
            bits.append("without a split")
        elif self.split:
            bits.append(f"in {self.split}")
        if self.search:
            bits.append(f"matching '{self.search}'")
        return ", ".join(bits)


IN_SET = ("SELECT l.sample_id FROM set_labels l JOIN label_sets ls ON ls.id = l.set_id "
          "JOIN set_classes sc ON sc.id = l.class_id WHERE ls.name = ?")


def _where(f: SampleFilter) -> tuple[str, list]:
    clauses, params = [], []
    if f.label_set is not None and f.label:
        if f.label == UNLABELLED_FILTER:
            clauses.append(f"s.id NOT IN ({IN_SET})")
            params.append(f.label_set)
        else:
            clauses.append(f"s.id IN ({IN_SET} AND sc.name = ?)")
            params += [f.label_set, f.label]
    elif f.label == UNLABELLED_FILTER:
        clauses.append("s.label_id IS NULL")
    elif f.label:
        clauses.append("c.name = ?")
        params.append(f.label)
    if f.split == "none":
        clauses.append("s.split IS NULL")
    elif f.split in SPLITS:
        clauses.append("s.split = ?")
        params.append(f.split)
    if f.status:
        clauses.append("s.status = ?")
        params.append(f.status)
    if f.search:
        clauses.append("s.original_path LIKE ? ESCAPE '\\'")
        escaped = f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def sample_ids(project, f: SampleFilter) -> list[int]:
    """The ids a filter selects, in import order (20,000 ids take a few milliseconds)."""
    where, params = _where(f)
    sql = f"SELECT s.id FROM samples s LEFT JOIN classes c ON c.id = s.label_id{where} ORDER BY s.id"
    return [i for (i,) in project.conn.execute(sql, params)]


def unlabelled_after(project, after_id: int, limit: int = 256, label_set: str | None = None) -> list[int]:
    """Ids of unlabelled, usable samples after ``after_id``, in order (a batch, for "next unlabelled");
    with ``label_set``, those without a label in that extra set."""
    if label_set is not None:
        rows = project.conn.execute(
            f"SELECT s.id FROM samples s WHERE s.id NOT IN ({IN_SET}) AND s.status = 'ok' AND s.id > ? "
            "ORDER BY s.id LIMIT ?", (label_set, int(after_id), int(limit)))
        return [i for (i,) in rows]
    rows = project.conn.execute(
        "SELECT id FROM samples WHERE label_id IS NULL AND status = 'ok' AND id > ? ORDER BY id LIMIT ?",
        (int(after_id), int(limit)),
    )
    return [i for (i,) in rows]
