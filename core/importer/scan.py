"""Turn what the user named (folders, files, CSV listings) into a stable list of candidate files."""

from __future__ import annotations

import csv
import io
import os
from typing import Iterable

from core.errors import UsageError
from core.importer.report import Candidate, Rejected
from core.importer.text_listing import is_listing, lists_files, read_text_listing, usual_delimiter
from core.project.labels_csv import unescape_cell
from core.safe_files import FileRefused, open_regular, path_reason, walk_files

LABEL_MODES = ("folder", "none")
IGNORED_NAMES = frozenset({"Thumbs.db", "desktop.ini"})


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES


def plan_import(
    paths: Iterable[str | os.PathLike], *, labels: str = "folder", csv_files: Iterable[str | os.PathLike] = (),
    task: str | None = None,
) -> tuple[list[Candidate], list[Rejected]]:
    """Expand folders, files and CSV listings into candidates (path, label) in a stable order.

    With ``labels='folder'`` a file's parent folder names its class (ImageFolder layout); files lying
    directly in a folder given on the command line, and single files, are left unlabelled. Links to
    folders are followed (the link's name is the class); folders that cannot be listed, looping
    links and files that are not regular files are rejected with the reason (core.safe_files).
    """
    if labels not in LABEL_MODES:
        raise UsageError(f"--labels must be one of {', '.join(LABEL_MODES)}, not '{labels}'.")
    candidates: list[Candidate] = []
    rejected: list[Rejected] = []
    csv_files = list(csv_files)
    for raw in paths:
        path = os.path.abspath(os.fspath(raw))
        if os.path.isdir(path):
            for found in walk_files(path, skip=_ignored):
                if found.problem is not None:
                    rejected.append(Rejected(found.path, found.problem))
                    continue
                if task == "text" and is_listing(found.path):
                    csv_files.append(found.path)
                    continue
                label = None
                if labels == "folder" and os.path.normpath(found.folder) != os.path.normpath(path):
                    label = os.path.basename(found.folder)
                candidates.append(Candidate(found.path, label))
        elif (reason := path_reason(path)) is not None:
            rejected.append(Rejected(path, "no such file or folder" if not os.path.lexists(path) else reason))
        elif path.lower().endswith(".csv") or (task == "text" and is_listing(path)):
            csv_files.append(path)
        else:
            candidates.append(Candidate(path, None))
    for listing in csv_files:
        more, bad = (read_text_listing(listing, labels=labels != "none") if task == "text" and not lists_files(listing)
                     else read_listing_csv(listing))
        candidates += more
        rejected += bad
    return candidates, rejected


def read_listing_csv(path: str | os.PathLike) -> tuple[list[Candidate], list[Rejected]]:
    """A CSV with path,label columns (header optional); relative paths are relative to the CSV."""
    path = os.path.abspath(os.fspath(path))
    base = os.path.dirname(path)
    try:
        with open_regular(path, "listing") as fh:
            rows = [[unescape_cell(c) for c in row]  # a listing written by `label export` reads back
                    for row in csv.reader(io.TextIOWrapper(fh, encoding="utf-8-sig", newline=""),
                                          delimiter=usual_delimiter(os.fspath(path)))]
    except FileRefused as exc:
        return [], [Rejected(path, f"cannot read the CSV file ({exc.reason})")]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [], [Rejected(path, f"cannot read the CSV file ({exc})")]
    if not rows:
        return [], [Rejected(path, "the CSV file is empty")]
    header = [c.strip().lower() for c in rows[0]]
    path_col, label_col, start = 0, 1, 0
    if "path" in header or "file" in header or "filename" in header:
        path_col = next(header.index(k) for k in ("path", "file", "filename") if k in header)
        label_col = header.index("label") if "label" in header else -1
        start = 1
    candidates, rejected = [], []
    for line_no, row in enumerate(rows[start:], start=start + 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if path_col >= len(row) or not row[path_col].strip():
            rejected.append(Rejected(f"{path}:{line_no}", "row has no path"))
            continue
        file_path = os.path.join(base, os.path.expanduser(row[path_col].strip()))
        label = row[label_col].strip() if 0 <= label_col < len(row) and row[label_col].strip() else None
        if not os.path.isfile(file_path):
            where = f"listed in {os.path.basename(path)} line {line_no}"
            problem = path_reason(file_path) if os.path.lexists(file_path) else None
            if problem is None and os.path.isdir(file_path):  # path_reason passes folders; a row names one file
                problem = "a folder, not a file (a listing names one file a row; import the folder itself instead)"
            rejected.append(Rejected(file_path, f"{where} but not found" if problem is None else f"{where}: {problem}"))
            continue
        candidates.append(Candidate(os.path.abspath(file_path), label))
    return candidates, rejected
