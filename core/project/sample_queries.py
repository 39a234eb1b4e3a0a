"""Which samples a filter selects: one WHERE clause for every sample query of a project.

Project.samples() and count() page through a filter; a lazy grid that keeps its rows stable while
labels change (labelling in an "unlabelled" view must not make rows jump) asks for the ids of a
filter once (``sample_ids``), then rows by id.
"""

from __future__ import annotations

from core.project.models import SPLITS

UNLABELLED = object()  # filter value: samples without a label

# samples labelled in an extra label set (by the set's name)
_IN_SET = ("SELECT l.sample_id FROM set_labels l JOIN label_sets ls ON ls.id = l.set_id "
           "JOIN set_classes sc ON sc.id = l.class_id WHERE ls.name = ?")


def where_clause(label=None, split=None, status=None, search=None, kind=None, label_set=None) -> tuple[str, list]:
    """(" WHERE ...", parameters) over ``samples s LEFT JOIN classes c``. ``label=UNLABELLED``:
    no label; ``split``: one of SPLITS, or anything else (e.g. 'none') for samples without a split;
    ``label_set``: ``label`` names a class of that extra label set (UNLABELLED: none in it)."""
    clauses, params = [], []
    if label_set is not None and label is not None:
        if label is UNLABELLED:
            clauses.append(f"s.id NOT IN ({_IN_SET})")
            params.append(label_set)
        else:
            clauses.append(f"s.id IN ({_IN_SET} AND sc.name = ?)")
            params += [label_set, label]
    elif label is UNLABELLED:
        clauses.append("s.label_id IS NULL")
    elif label is not None:
        clauses.append("c.name = ?")
        params.append(label)
    if split is not None:
        clauses.append("s.split = ?" if split in SPLITS else "s.split IS NULL")
        if split in SPLITS:
            params.append(split)
    if status is not None:
        clauses.append("s.status = ?")
        params.append(status)
    if kind is not None:
        clauses.append("s.kind = ?")
        params.append(kind)
    if search:  # the file's name, or a text sample's words (its opening, text_head)
        clauses.append("(s.original_path LIKE ? ESCAPE '\\' OR s.text_head LIKE ? ESCAPE '\\')")
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params += [pattern, pattern]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class SampleQueryOps:
    """Mixed into Project: needs ``conn``."""

    def sample_ids(self, *, label=None, split=None, status=None, search=None, kind=None, label_set=None) -> list[int]:
        """The ids a filter selects, in import order (20,000 ids take a few milliseconds)."""
        where, params = where_clause(label, split, status, search, kind, label_set)
        sql = f"SELECT s.id FROM samples s LEFT JOIN classes c ON c.id = s.label_id{where} ORDER BY s.id"
        return [i for (i,) in self.conn.execute(sql, params)]

    def unlabelled_after(self, after_id: int, limit: int = 256, label_set: str | None = None) -> list[int]:
        """Ids of unlabelled, usable samples after ``after_id``, in order (a batch, for "next
        unlabelled"); with ``label_set``, those without a label in that extra set."""
        where, params = where_clause(UNLABELLED, None, "ok", None, None, label_set)
        sql = f"SELECT s.id FROM samples s LEFT JOIN classes c ON c.id = s.label_id{where} AND s.id > ? ORDER BY s.id LIMIT ?"
        return [i for (i,) in self.conn.execute(sql, [*params, int(after_id), int(limit)])]
