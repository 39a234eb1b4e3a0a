"""Bytes of a text file -> one normalised string, or a MediaError with the reason.

Text arrives in whatever encoding a person's tools wrote: UTF-8 (with or without the byte-order
mark Windows editors add), UTF-16 from Excel's "Unicode text" export, and Windows-1252 / Latin-1
from older tools. A byte-order mark decides; otherwise strict UTF-8, then Windows-1252, then
Latin-1 (which decodes any byte, so it is the last resort). Bytes that are clearly not text (NUL
bytes without a UTF-16 mark, mostly control characters) are refused instead of being "decoded".

What is stored and hashed is the decoded text with line endings made "\n" and written as UTF-8, so
the same text saved in two encodings is one sample (duplicates are by content, not by bytes).
"""

from __future__ import annotations

import codecs
import os

from core.errors import MediaError
from core.media import TEXT_EXTENSIONS  # noqa: F401 - re-exported: one list of text suffixes
from core.safe_files import FileRefused, open_regular

LISTING_EXTENSIONS = frozenset({".csv", ".tsv", ".jsonl", ".ndjson"})

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of a file's bytes; MediaError when they are not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return normalise(data[len(bom):].decode(encoding)), encoding + " (byte-order mark)"
            except UnicodeDecodeError as exc:
                raise MediaError(f"starts with a {encoding} byte-order mark but byte {exc.start + len(bom)} "
                                 f"is not valid {encoding}") from None
    if b"\x00" in data:
        raise MediaError("not a text file (it holds NUL bytes, as binary files do; UTF-16 text needs a byte-order mark)")
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _mostly_control(text):
            raise MediaError("not a text file (it is mostly control characters)")
        return normalise(text), encoding
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def normalise(text: str) -> str:
    """Line endings as "\n" (Windows and old Mac files) and no stray byte-order mark."""
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def empty_reason(text: str) -> str | None:
    """Why a text cannot be a sample, or None."""
    if not text.strip():
        return "empty text (nothing but white space)" if text else "empty text"
    return None


def read_text_file(path: str | os.PathLike) -> str:
    """A text file as a string (core.safe_files: a regular file under the size limit)."""
    try:
        with open_regular(path, "text") as fh:
            data = fh.read()
    except FileRefused as exc:
        raise MediaError(exc.reason) from None
    if not data:
        raise MediaError("empty file (0 bytes)")
    return decode_text(data)[0]


def _mostly_control(text: str, sample: int = 4096) -> bool:
    head = text[:sample]
    control = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return control > max(8, len(head) // 10)
