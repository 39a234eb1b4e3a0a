"""Turn what the user named (folders, files, CSV listings) into a stable list of candidate files."""

from __future__ import annotations

import csv
import os
from typing import Iterable

from core.errors import UsageError
from core.importer.report import Candidate, Rejected

LABEL_MODES = ("folder", "none")
IGNORED_NAMES = frozenset({"Thumbs.db", "desktop.ini"})


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES


def plan_import(
    paths: Iterable[str | os.PathLike], *, labels: str = "folder", csv_files: Iterable[str | os.PathLike] = ()
) -> tuple[list[Candidate], list[Rejected]]:
    """Expand folders, files and CSV listings into candidates (path, label) in a stable order.

    With ``labels='folder'`` a file's parent folder names its class (ImageFolder layout); files lying
    directly in a folder given on the command line, and single files, are left unlabelled.
    """
    if labels not in LABEL_MODES:
        raise UsageError(f"--labels must be one of {', '.join(LABEL_MODES)}, not '{labels}'.")
    candidates: list[Candidate] = []
    rejected: list[Rejected] = []
    csv_files = list(csv_files)
    for raw in paths:
        path = os.path.abspath(os.fspath(raw))
        if os.path.isdir(path):
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
                label = None
                if labels == "folder" and os.path.normpath(dirpath) != os.path.normpath(path):
                    label = os.path.basename(dirpath)
                for name in sorted(filenames):
                    if not _ignored(name):
                        candidates.append(Candidate(os.path.join(dirpath, name), label))
        elif os.path.isfile(path) and path.lower().endswith(".csv"):
            csv_files.append(path)
        elif os.path.isfile(path):
            candidates.append(Candidate(path, None))
        else:
            rejected.append(Rejected(path, "no such file or folder"))
    for listing in csv_files:
        more, bad = read_listing_csv(listing)
        candidates += more
        rejected += bad
    return candidates, rejected


def read_listing_csv(path: str | os.PathLike) -> tuple[list[Candidate], list[Rejected]]:
    """A CSV with path,label columns (header optional); relative paths are relative to the CSV."""
    path = os.path.abspath(os.fspath(path))
    base = os.path.dirname(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
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
            rejected.append(Rejected(file_path, f"listed in {os.path.basename(path)} line {line_no} but not found"))
            continue
        candidates.append(Candidate(os.path.abspath(file_path), label))
    return candidates, rejected
