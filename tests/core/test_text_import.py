"""Text projects' import: encodings, duplicates by content, empty texts, listings with bad rows."""

from __future__ import annotations

import codecs
import json

import pytest

from core.errors import MediaError
from core.importer import import_files
from core.project import Project
from core.text.decode import decode_text

CAFE = "Le café était fermé, dommage."


@pytest.mark.parametrize("data, encoding", [
    (CAFE.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + CAFE.encode("utf-8"), "utf-8 (byte-order mark)"),
    (codecs.BOM_UTF16_LE + CAFE.encode("utf-16-le"), "utf-16-le (byte-order mark)"),
    (codecs.BOM_UTF16_BE + CAFE.encode("utf-16-be"), "utf-16-be (byte-order mark)"),
    (CAFE.encode("latin-1"), "cp1252"),
])
def test_every_usual_encoding_reads_the_same_text(data, encoding):
    assert decode_text(data) == (CAFE, encoding)


def test_windows_quotes_and_line_endings():
    text, encoding = decode_text("“Quoted” – dash\r\nnext\rline".encode("cp1252"))
    assert text == "“Quoted” – dash\nnext\nline" and encoding == "cp1252"


def test_latin1_is_the_last_resort_for_bytes_cp1252_lacks():
    text, encoding = decode_text(b"caf\xe9 \x81")  # 0x81 is undefined in Windows-1252
    assert encoding == "latin-1" and text == "café \x81"


@pytest.mark.parametrize("data, words", [
    (b"PK\x03\x04\x00\x00binary", "NUL bytes"),
    (bytes(range(1, 32)) * 10, "control characters"),
    (codecs.BOM_UTF8 + b"\xff\xfe broken", "not valid utf-8"),
])
def test_bytes_that_are_not_text_are_refused_with_the_reason(data, words):
    with pytest.raises(MediaError, match=words):
        decode_text(data)


@pytest.fixture()
def project(tmp_path):
    with Project.create(tmp_path / "p", "text") as p:
        yield p


def test_folder_of_class_folders_in_any_encoding(project, tmp_path):
    src = tmp_path / "src"
    (src / "good").mkdir(parents=True)
    (src / "bad").mkdir()
    (src / "good" / "a.txt").write_bytes(codecs.BOM_UTF8 + "Great value, works well".encode())
    (src / "good" / "b.txt").write_bytes("Lovely café".encode("utf-16"))
    (src / "bad" / "c.txt").write_bytes("Broke at once,\r\nawful".encode("cp1252"))
    (src / "good" / "z-same-as-a.txt").write_bytes("Great value, works well".encode("utf-16-le").join([codecs.BOM_UTF16_LE, b""]))
    (src / "bad" / "blank.txt").write_text("  \n\t ")
    (src / "bad" / "zero.txt").write_bytes(b"")
    (src / "bad" / "photo.png").write_bytes(b"\x89PNG")
    (src / "bad" / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    report = import_files(project, [src])
    assert report.added == 3 and len(report.duplicates) == 1
    assert report.duplicates[0].path.endswith("z-same-as-a.txt")  # the same text in UTF-16: one sample
    reasons = {r.path.rsplit("/", 1)[-1]: r.reason for r in report.rejected}
    assert set(reasons) == {"blank.txt", "zero.txt", "photo.png", "binary.txt"}
    assert "empty text" in reasons["blank.txt"] and "0 bytes" in reasons["zero.txt"]
    assert "unsupported file type .png" in reasons["photo.png"] and "NUL bytes" in reasons["binary.txt"]
    stored = {s.label: project.path_of(s).read_bytes().decode("utf-8") for s in project.samples() if s.label != "good"}
    assert stored == {"bad": "Broke at once,\nawful"}  # UTF-8, "\n" line endings
    assert sorted(project.path_of(s).read_text(encoding="utf-8") for s in project.samples() if s.label == "good") == [
        "Great value, works well", "Lovely café"]


def test_listings_csv_tsv_jsonl_with_bad_rows(project, tmp_path):
    csv_file = tmp_path / "reviews.csv"
    csv_file.write_text('id,review,sentiment\n1,"Loved it, truly",positive\n2,,negative\n3,"Two\nlines",negative\n'
                        '4,No label here,\n', encoding="utf-8-sig")
    tsv_file = tmp_path / "more.tsv"
    tsv_file.write_bytes("text\tlabel\nTab separated, fine\tpositive\n   \tnegative\n".encode("utf-16"))
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text("\n".join([json.dumps({"text": "from json", "label": "positive"}), "{not json",
                                json.dumps({"title": "no text field"}), json.dumps(["a list"]),
                                json.dumps({"body": "Loved it, truly", "label": "positive"}), ""]))
    report = import_files(project, [csv_file, tsv_file, jsonl])
    assert report.added == 5 and len(report.duplicates) == 1  # "Loved it, truly" twice
    rejected = {r.path.rsplit("/", 1)[-1]: r.reason for r in report.rejected}
    assert rejected == {"reviews.csv:3": "empty text", "more.tsv:3": "empty text (nothing but white space)",
                        "items.jsonl:2": rejected["items.jsonl:2"], "items.jsonl:3": rejected["items.jsonl:3"],
                        "items.jsonl:4": "the line is not a JSON object with a text field"}
    assert rejected["items.jsonl:2"].startswith("not valid JSON") and "no text field" in rejected["items.jsonl:3"]
    texts = {project.path_of(s).read_text(encoding="utf-8"): s.label for s in project.samples()}
    assert texts == {"Loved it, truly": "positive", "Two\nlines": "negative", "No label here": None,
                     "Tab separated, fine": "positive", "from json": "positive"}
    # a search finds texts by their words as well as by the file they came from
    found = {project.path_of(project.sample(i)).read_text(encoding="utf-8") for i in project.sample_ids(search="LOVED")}
    assert found == {"Loved it, truly"}
    assert len(project.sample_ids(search="reviews.csv")) == 3 and project.sample_ids(search="100%") == []


def test_headerless_two_column_csv_and_a_listing_without_a_text_column(project, tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("first text,a\nsecond text,b\n")
    wide = tmp_path / "wide.csv"
    wide.write_text("x,y,z\n1,2,3\n")
    report = import_files(project, [plain, wide])
    assert report.added == 2
    assert [(r.path.rsplit("/", 1)[-1], "none is named as the text" in r.reason) for r in report.rejected] == [("wide.csv", True)]
    assert sorted(s.label for s in project.samples()) == ["a", "b"]


def test_image_project_still_reads_csv_as_a_list_of_files(tmp_path):
    with Project.create(tmp_path / "img", "image") as p:
        listing = tmp_path / "files.csv"
        listing.write_text("path,label\nmissing.png,x\n")
        report = import_files(p, [listing])
    assert report.added == 0 and "not found" in report.rejected[0].reason


def test_schema_5_admits_text_samples_and_keeps_what_a_v4_database_held(tmp_path):
    import sqlite3

    from core.project import schema

    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    schema.migrate(conn, target=4)
    conn.execute("INSERT INTO classes (id, name, position, created_at) VALUES (1, 'cat', 0, 0)")
    conn.execute("INSERT INTO samples (id, hash, kind, media_path, label_id, added_at) VALUES (1, 'h', 'image', 'm', 1, 0)")
    conn.execute("INSERT INTO runs (id, created_at, status, config) VALUES ('r', 0, 'done', '{}')")
    conn.execute("INSERT INTO predictions (sample_id, run_id, label_id, confidence) VALUES (1, 'r', 1, 0.9)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO samples (hash, kind, media_path, added_at) VALUES ('t', 'text', 'm.txt', 0)")
    assert schema.migrate(conn) == [5]
    assert "text_head" in [r[1] for r in conn.execute("PRAGMA table_info(samples)")]
    conn.execute("INSERT INTO samples (hash, kind, media_path, added_at) VALUES ('t', 'text', 'm.txt', 0)")
    with pytest.raises(sqlite3.IntegrityError):  # still a CHECK: only the kinds there are
        conn.execute("INSERT INTO samples (hash, kind, media_path, added_at) VALUES ('v', 'video', 'm.mp4', 0)")
    assert conn.execute("SELECT COUNT(*) FROM predictions").fetchone() == (1,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    again = sqlite3.connect(tmp_path / "old.db")  # a new connection reads the widened schema
    assert again.execute("SELECT kind FROM samples ORDER BY id").fetchall() == [("image",), ("text",)]


def test_rejected_rows_are_listed_in_the_order_of_their_lines(tmp_path):
    from core.importer.text_listing import read_text_listing

    listing = tmp_path / "mixed.jsonl"  # line 2 is refused after reading (empty), line 3 while reading (not JSON)
    listing.write_text("\n".join([json.dumps({"text": "fine"}), json.dumps({"text": "  "}), "{oops",
                                  json.dumps({"text": ""}), json.dumps([1])]), encoding="utf-8")
    candidates, rejected = read_text_listing(listing)
    assert [c.text for c in candidates] == ["fine"]
    assert [r.path.rsplit(":", 1)[1] for r in rejected] == ["2", "3", "4", "5"]
