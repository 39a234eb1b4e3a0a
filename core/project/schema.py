"""project.db schema and its migrations.

The schema version lives in SQLite's ``PRAGMA user_version`` (and is mirrored in project.toml for
people reading the folder). Opening a project runs every migration between its version and
``SCHEMA_VERSION`` in one transaction, after copying project.db aside, so an interrupted migration
leaves the old database intact. A project from a newer TransferLab is refused with a sentence.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

SCHEMA_VERSION = 5


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the migration's open transaction; run statement by statement.
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        CREATE TABLE classes (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            position    INTEGER NOT NULL,
            color       TEXT,
            created_at  REAL NOT NULL
        );
        CREATE TABLE samples (
            id             INTEGER PRIMARY KEY,
            hash           TEXT NOT NULL UNIQUE,          -- sha256 of the file content
            kind           TEXT NOT NULL CHECK (kind IN ('image', 'audio')),
            media_path     TEXT NOT NULL,                 -- relative to the project folder
            original_path  TEXT,
            label_id       INTEGER REFERENCES classes(id) ON DELETE SET NULL,
            split          TEXT CHECK (split IN ('train', 'val', 'test')),
            status         TEXT NOT NULL DEFAULT 'ok',    -- 'ok' or 'broken'
            status_reason  TEXT,
            width          INTEGER,
            height         INTEGER,
            duration       REAL,
            sample_rate    INTEGER,
            channels       INTEGER,
            size_bytes     INTEGER,
            added_at       REAL NOT NULL,
            labelled_at    REAL
        );
        CREATE INDEX samples_by_label ON samples(label_id);
        CREATE INDEX samples_by_split ON samples(split);
        CREATE TABLE rejections (
            id      INTEGER PRIMARY KEY,
            path    TEXT NOT NULL UNIQUE,
            reason  TEXT NOT NULL,
            at      REAL NOT NULL
        );
        CREATE TABLE imports (
            id           INTEGER PRIMARY KEY,
            started_at   REAL NOT NULL,
            finished_at  REAL,
            sources      TEXT NOT NULL,   -- JSON list of what was asked for
            added        INTEGER NOT NULL DEFAULT 0,
            duplicates   INTEGER NOT NULL DEFAULT 0,
            rejected     INTEGER NOT NULL DEFAULT 0,
            cancelled    INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE runs (
            id          TEXT PRIMARY KEY,
            created_at  REAL NOT NULL,
            status      TEXT NOT NULL,
            config      TEXT NOT NULL,   -- JSON
            metrics     TEXT             -- JSON
        );
        CREATE TABLE predictions (
            sample_id   INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
            run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            label_id    INTEGER REFERENCES classes(id) ON DELETE CASCADE,
            confidence  REAL NOT NULL,
            PRIMARY KEY (sample_id, run_id)
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        """,
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Segments of long recordings: a sample may be a time span of a recording."""
    _run_script(
        conn,
        """
        CREATE TABLE recordings (
            hash           TEXT PRIMARY KEY,     -- sha256 of the recording file
            media_path     TEXT NOT NULL,
            original_path  TEXT,
            duration       REAL,
            sample_rate    INTEGER,
            channels       INTEGER,
            size_bytes     INTEGER,
            segmenting     TEXT,                 -- JSON: how it was cut
            added_at       REAL NOT NULL
        );
        -- a segment: the recording it comes from, and its time span in seconds
        ALTER TABLE samples ADD COLUMN source_hash TEXT;
        ALTER TABLE samples ADD COLUMN seg_start REAL;
        ALTER TABLE samples ADD COLUMN seg_end REAL;
        CREATE INDEX samples_by_source ON samples(source_hash);
        """,
    )


def _v3(conn: sqlite3.Connection) -> None:
    """Class attributes (yellow, spotted, ...): zero-shot classes are described by them alone."""
    conn.execute("ALTER TABLE classes ADD COLUMN attributes TEXT")  # JSON list of attribute names


def _v4(conn: sqlite3.Connection) -> None:
    """More label sets than the main one (multi-task): "species" in classes/samples as before, and
    for example "has spots" here, each with its own classes and its own label per sample."""
    _run_script(
        conn,
        """
        CREATE TABLE label_sets (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            position    INTEGER NOT NULL,
            created_at  REAL NOT NULL
        );
        CREATE TABLE set_classes (
            id        INTEGER PRIMARY KEY,
            set_id    INTEGER NOT NULL REFERENCES label_sets(id) ON DELETE CASCADE,
            name      TEXT NOT NULL,
            position  INTEGER NOT NULL,
            UNIQUE (set_id, name)
        );
        CREATE TABLE set_labels (
            sample_id    INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
            set_id       INTEGER NOT NULL REFERENCES label_sets(id) ON DELETE CASCADE,
            class_id     INTEGER NOT NULL REFERENCES set_classes(id) ON DELETE CASCADE,
            labelled_at  REAL NOT NULL,
            PRIMARY KEY (sample_id, set_id)
        );
        CREATE INDEX set_labels_by_class ON set_labels(class_id);
        """,
    )


_OLD_KINDS = "kind IN ('image', 'audio')"
_NEW_KINDS = "kind IN ('image', 'audio', 'text')"


def _v5(conn: sqlite3.Connection) -> None:
    """Text samples: 'text' joins the kinds a sample may be, and a text sample keeps its opening in
    ``text_head`` (what a search of the samples looks in, besides the file name).

    SQLite cannot alter a CHECK constraint, and rebuilding the samples table would cascade-delete
    every prediction and extra label (foreign keys cannot be switched off inside the migration's
    transaction). Widening the constraint in the stored schema is the procedure SQLite's
    documentation gives for loosening a CHECK (https://sqlite.org/lang_altertable.html, "making
    other kinds of table schema changes"): no stored row can break a looser rule."""
    (version,) = conn.execute("PRAGMA schema_version").fetchone()
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'samples'",
                     (_OLD_KINDS, _NEW_KINDS))
        conn.execute(f"PRAGMA schema_version = {int(version) + 1}")  # other connections re-read the schema
    finally:
        conn.execute("PRAGMA writable_schema = OFF")
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'samples'").fetchone()
    if _NEW_KINDS not in sql:
        raise sqlite3.DatabaseError("the samples table's kinds could not be widened to include text")
    conn.execute("ALTER TABLE samples ADD COLUMN text_head TEXT")


# MIGRATIONS[n] brings a database from version n-1 to version n.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1, 2: _v2, 3: _v3, 4: _v4, 5: _v5}


def db_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int | None = None) -> list[int]:
    """Apply the missing migrations atomically; return the versions applied."""
    target = SCHEMA_VERSION if target is None else target
    current = db_version(conn)
    applied: list[int] = []
    if current >= target:
        return applied
    conn.execute("BEGIN IMMEDIATE")
    try:
        for version in range(current + 1, target + 1):
            MIGRATIONS[version](conn)
            applied.append(version)
        conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied
