"""Listings of texts: CSV, TSV and JSON Lines files with one sample per row (a text and, optionally,
its label), as spreadsheets, databases and scrapers write them.

The text column is found by its header (``text``, ``content``, ``body``, ...); in a file of two
columns whose header names only the label (``tweet,label``) it is the other one; where the first
row names no known column, it is the first column of a file of one or two columns (the second then
being the label). A header naming a file column and no text (``path,label``) makes it a listing of
text files, read as image projects read theirs (core.importer.scan). A row that cannot be a sample (no text, white space only, a line of JSON that
does not parse) is rejected with its file and line and the rest of the file goes on; a file that
cannot be read at all is one rejection with the reason.
"""

from __future__ import annotations

import csv
import io
import json
import os

from core.errors import MediaError
from core.importer.report import Candidate, Rejected
from core.safe_files import FileRefused, open_regular
from core.text.decode import decode_text, empty_reason

TEXT_COLUMNS = ("text", "content", "body", "message", "sentence", "review", "document", "comment", "description")
LABEL_COLUMNS = ("label", "class", "category", "target", "sentiment", "topic", "tag")
LISTING_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")


def is_listing(path: str) -> bool:
    return path.lower().endswith(LISTING_SUFFIXES)


FILE_COLUMNS = ("path", "file", "filename")  # a listing of files (path,label), as image projects take


def lists_files(path: str | os.PathLike) -> bool:
    """A CSV/TSV whose header names a file column and no text column: a listing of text files
    (`import --csv`'s path,label), not of texts. Read as texts, its paths became the samples and its
    header a sample of the class 'label'."""
    path = os.fspath(path)
    if path.lower().endswith((".jsonl", ".ndjson")):
        return False
    try:
        with open_regular(path, "listing") as fh:
            content, _ = decode_text(fh.read())
    except (FileRefused, MediaError, OSError):
        return False  # read_text_listing says why
    names = _header_names(content, _delimiter(content, usual_delimiter(path)))
    return not names & set(TEXT_COLUMNS) and bool(names & set(FILE_COLUMNS))


def read_text_listing(path: str | os.PathLike, *, labels: bool = True) -> tuple[list[Candidate], list[Rejected]]:
    """Candidates (``text`` set, ``path`` = "FILE:LINE") and rejected rows of one listing."""
    path = os.path.abspath(os.fspath(path))
    try:
        with open_regular(path, "listing") as fh:
            content, _ = decode_text(fh.read())
    except FileRefused as exc:
        return [], [Rejected(path, f"cannot read the listing ({exc.reason})")]
    except MediaError as exc:
        return [], [Rejected(path, f"cannot read the listing: {exc}")]
    except OSError as exc:
        return [], [Rejected(path, f"cannot read the listing ({exc.strerror or exc})")]
    if not content.strip():
        return [], [Rejected(path, "the listing is empty")]
    if path.lower().endswith((".jsonl", ".ndjson")):
        rows, rejected = _json_rows(path, content)
    else:
        rows, rejected = _delimited_rows(path, content, _delimiter(content, usual_delimiter(path)))
    candidates = []
    for line_no, text, label in rows:
        where = f"{path}:{line_no}"
        if not isinstance(text, str):
            rejected.append(Rejected(where, "row has no text" if text is None else "the text is not a string"))
            continue
        reason = empty_reason(text)
        if reason:
            rejected.append(Rejected(where, reason))
            continue
        label = str(label).strip() if labels and label is not None and str(label).strip() else None
        candidates.append(Candidate(where, label, text=text))
    # rows the reader refused and rows refused here, in the order of their lines
    rejected.sort(key=_line_of)
    return candidates, rejected


def _line_of(rejected: Rejected) -> int:
    """A rejected row's line ("FILE:LINE"); 0 for the whole file."""
    tail = rejected.path.rsplit(":", 1)
    return int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else 0


def _delimiter(content: str, usual: str) -> str:
    """The file's delimiter: the usual one for its suffix unless the header row names the text column
    only when split by another (a spreadsheet in many European languages saves "text;label" as CSV;
    it became one column: the header a sample, every label part of its text)."""
    header = content.split("\n", 1)[0]

    def names_text(delimiter: str) -> bool:
        return bool(_header_names(header, delimiter) & set(TEXT_COLUMNS))

    if names_text(usual):
        return usual
    return next((d for d in (";", "\t", "|", ",") if d != usual and d in header and names_text(d)), usual)


def usual_delimiter(path: str) -> str:
    """A listing's delimiter by its suffix: tabs in a .tsv, commas otherwise."""
    return "\t" if path.lower().endswith(".tsv") else ","


def _header_names(content: str, delimiter: str) -> set[str]:
    """The first row's cells as column names: stripped, unquoted, lower case."""
    return {c.strip().strip('"').lower() for c in content.split("\n", 1)[0].split(delimiter)}


def _one_word(cell: str) -> bool:
    return 0 < len(cell) <= 40 and len(cell.split()) == 1


def _delimited_rows(path: str, content: str, delimiter: str):
    try:
        rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        return [], [Rejected(path, f"cannot read the listing ({exc})")]
    rows = [(k, row) for k, row in enumerate(rows, 1) if row and any(c.strip() for c in row)]
    if not rows:
        return [], [Rejected(path, "the listing is empty")]
    header = [c.strip().lower() for c in rows[0][1]]
    text_col = next((header.index(n) for n in TEXT_COLUMNS if n in header), None)
    if text_col is not None:
        label_col = next((header.index(n) for n in LABEL_COLUMNS if n in header), None)
        rows = rows[1:]
    elif max(len(r) for _, r in rows) <= 2:
        named_label = next((header.index(n) for n in LABEL_COLUMNS if n in header), None)
        # "tweet,label": a header, the other column the text (it was a sample "tweet" of class
        # "label"); only where that column is one word, as column names are: a first sample of a
        # class called "topic" ("The match went to extra time,topic") stays a sample
        if named_label is not None and len(header) == 2 and _one_word(header[1 - named_label]):
            label_col, text_col = named_label, 1 - named_label
            rows = rows[1:]
        else:
            text_col, label_col = 0, 1  # no header: text, then label
    else:
        kind = "TSV" if delimiter == "\t" else "CSV"
        return [], [Rejected(path, f"the {kind} file has {len(header)} columns and none is named as the text "
                                   f"(name one {', '.join(TEXT_COLUMNS[:4])}, ... in the first row)")]
    # csv counts records, not lines: a quoted text may span lines, so rows are named by record
    out = []
    for k, row in rows:
        text = row[text_col] if text_col < len(row) else None
        label = row[label_col] if label_col is not None and label_col < len(row) else None
        out.append((k, text, label))
    return out, []


def _json_rows(path: str, content: str):
    out, rejected = [], []
    for k, line in enumerate(content.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{k}"
        try:
            obj = json.loads(line)
        except ValueError as exc:
            rejected.append(Rejected(where, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        if isinstance(obj, str):
            out.append((k, obj, None))
            continue
        if not isinstance(obj, dict):
            rejected.append(Rejected(where, "the line is not a JSON object with a text field"))
            continue
        # field names as CSV headers are read: "Text" and "LABEL" name the text and the label too
        fields = {}
        for name in obj:
            fields.setdefault(str(name).strip().lower(), name)
        key = next((fields[n] for n in TEXT_COLUMNS if n in fields), None)
        if key is None:
            rejected.append(Rejected(where, f"the object has no text field (one of {', '.join(TEXT_COLUMNS[:4])}, ...)"))
            continue
        label = next((obj[fields[n]] for n in LABEL_COLUMNS if n in fields), None)
        if isinstance(label, (dict, list)):  # a class named "{'a': 1}" helps no one
            rejected.append(Rejected(where, "the label is a JSON object or list, not one class name"))
            continue
        if isinstance(label, bool):
            label = json.dumps(label)  # true, as the file writes it (not Python's True)
        out.append((k, obj[key], label))
    return out, rejected
