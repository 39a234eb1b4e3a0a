"""Labels to and from CSV, so labels can be edited in a spreadsheet or brought from another tool."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field

from core.atomic import atomic_write_text
from core.errors import LabelError, MediaError
from core.safe_files import FileRefused, open_regular
from core.text.decode import decode_text

EXPORT_COLUMNS = ("path", "label", "split", "hash", "original_path")
SET_PREFIX = "label:"  # a column per extra label set (multi-task): "label:has spots"

# A spreadsheet runs a cell that starts with one of these as a formula (`=cmd|' /C calc'!A0`): an
# exported cell starting so gets a leading apostrophe, which spreadsheets read as "text" and hide.
# A cell that already starts with an apostrophe gets one more, so import can undo exactly this.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def escape_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def unescape_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


@dataclass
class LabelImportReport:
    applied: int = 0
    unchanged: int = 0
    unmatched: list[str] = field(default_factory=list)  # "line N: reason"

    def to_json(self) -> dict:
        return {"applied": self.applied, "unchanged": self.unchanged, "unmatched": list(self.unmatched)}


def export_labels(project, path: str | os.PathLike, *, include_unlabelled: bool = True) -> int:
    """Write path,label,split,hash,original_path (path relative to the project folder), then a
    label:NAME column per extra label set. Returns rows."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    sets = {name: project.set_labels_of(name) for name in project.label_sets()}
    writer.writerow([escape_cell(c) for c in (*EXPORT_COLUMNS, *(SET_PREFIX + name for name in sets))])
    rows = 0
    for s in project.samples():
        if s.label is None and not include_unlabelled:
            continue
        writer.writerow([escape_cell(c) for c in (s.media_path, s.label or "", s.split or "", s.hash, s.original_path or "",
                                                  *(labels.get(s.id, "") for labels in sets.values()))])
        rows += 1
    try:
        atomic_write_text(path, buf.getvalue())
    except OSError as exc:  # a read-only disk, no permission, a folder that is not there
        raise LabelError(f"Cannot write the labels file {path}: {exc.strerror or exc}.") from None
    return rows


def import_labels(project, path: str | os.PathLike) -> LabelImportReport:
    """Apply labels from a CSV with a ``label`` column and one of ``hash``, ``path``,
    ``original_path`` or ``file`` to find the sample. An empty label clears it. One transaction
    for the main labels, and one per ``label:NAME`` column (an extra label set, created if new)."""
    try:
        with open_regular(path, "listing") as fh:
            # in the encodings text imports read (a spreadsheet saves Windows-1252 or UTF-16 as often as UTF-8)
            content, _ = decode_text(fh.read())
        rows = [{k: unescape_cell(v) if isinstance(v, str) else v for k, v in row.items()}
                for row in csv.DictReader(io.StringIO(content, newline=""))]
    except FileRefused as exc:
        raise LabelError(f"Cannot read the labels file {path}: {exc.reason}.") from None
    except MediaError as exc:
        raise LabelError(f"Cannot read the labels file {path}: {exc}.") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LabelError(f"Cannot read the labels file {path}: {exc}") from None
    if not rows:
        raise LabelError(f"The labels file {path} has no rows.")
    columns = {c.strip().lower() for c in rows[0].keys() if c}
    set_columns = {c.strip()[len(SET_PREFIX):].strip(): c for c in rows[0].keys()
                   if c and c.strip().lower().startswith(SET_PREFIX) and c.strip()[len(SET_PREFIX):].strip()}
    has_main = "label" in columns
    if not (has_main or set_columns) or not columns & {"hash", "path", "original_path", "file"}:
        raise LabelError(
            f"The labels file {path} needs a 'label' column and one of 'hash', 'path', 'original_path' or 'file' "
            f"(it has: {', '.join(sorted(columns))})."
        )
    by_hash, by_media, by_original, by_name = {}, {}, {}, {}
    for s in project.samples():
        by_hash[s.hash] = s.id
        by_media[s.media_path] = s.id
        if s.original_path:
            by_original[s.original_path] = s.id
            by_name.setdefault(os.path.basename(s.original_path), []).append(s.id)
    report = LabelImportReport()
    assignments = []
    by_set: dict[str, list[tuple[int, str | None]]] = {name: [] for name in set_columns}
    current = {s.id: s.label for s in project.samples()}
    for line_no, raw in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        sample_id = (
            by_hash.get(row.get("hash", ""))
            or by_media.get(row.get("path", "").replace("\\", "/"))
            or by_original.get(row.get("original_path", ""))
            or by_original.get(row.get("path", ""))
        )
        name = row.get("file") or os.path.basename(row.get("path", "") or row.get("original_path", ""))
        if sample_id is None and name and len(by_name.get(name, [])) == 1:
            sample_id = by_name[name][0]
        if sample_id is None:
            what = row.get("hash") or row.get("path") or row.get("original_path") or row.get("file") or "(empty)"
            report.unmatched.append(f"line {line_no}: no sample matches {what}")
            continue
        for name, column in set_columns.items():
            by_set[name].append((sample_id, (raw.get(column) or "").strip() or None))
        if not has_main:
            continue
        label = row.get("label") or None
        if current.get(sample_id) == label:
            report.unchanged += 1
            continue
        assignments.append((sample_id, label))
    if assignments:
        report.applied = project.set_labels(assignments)
    for name, pairs in by_set.items():
        report.applied += project.set_set_labels(name, pairs, create_set=True)
    return report
