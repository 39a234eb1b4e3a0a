"""JSON Lines listings read as CSV headers are: field names in any case ("Text", "LABEL"); a label
that is a JSON object or list is a rejected row, not a class named "{'a': 1}"; true stays true."""

from __future__ import annotations

import json

import pytest

from core.importer import import_files


@pytest.fixture
def project(text_project):
    return text_project


def _texts(project) -> dict:
    """text -> label of every sample."""
    return {project.path_of(s).read_text(encoding="utf-8"): s.label for s in project.samples()}


def _imported_cleanly(project, listing, content: str, added: int) -> dict:
    """Write ``content`` to ``listing``, import it (no row rejected), and return _texts."""
    listing.write_text(content, encoding="utf-8")
    report = import_files(project, [listing])
    assert report.rejected == [] and report.added == added
    return _texts(project)


def test_jsonl_field_names_in_any_case(project, tmp_path):
    content = "\n".join([json.dumps({"Text": "capital keys", "Label": "pos"}),
                         json.dumps({"TEXT": "upper keys", "CATEGORY": "neg"})])
    texts = _imported_cleanly(project, tmp_path / "caps.jsonl", content, added=2)
    assert texts == {"capital keys": "pos", "upper keys": "neg"}


def test_jsonl_label_that_is_not_one_value_is_rejected(project, tmp_path):
    listing = tmp_path / "odd.jsonl"
    listing.write_text("\n".join([json.dumps({"text": "nested", "label": {"a": 1}}),
                                  json.dumps({"text": "listed", "label": ["a", "b"]}),
                                  json.dumps({"text": "number", "label": 3}),
                                  json.dumps({"text": "flag", "label": True}),
                                  json.dumps({"text": 123, "label": "x"})]), encoding="utf-8")
    report = import_files(project, [listing])
    rejected = {r.path.rsplit(":", 1)[-1]: r.reason for r in report.rejected}
    assert rejected == {"1": "the label is a JSON object or list, not one class name",
                        "2": "the label is a JSON object or list, not one class name",
                        "5": "the text is not a string"}
    assert sorted(c.name for c in project.classes()) == ["3", "true"]


@pytest.mark.parametrize("delimiter", [";", "|"])
def test_a_csv_saved_with_another_delimiter_is_read_by_its_header(project, tmp_path, delimiter):
    """Spreadsheets in many European languages save "text;label" as .csv: it was one column, the
    header became a sample and every label part of its text."""
    content = f"text{delimiter}label\nfirst text, with a comma{delimiter}pos\nsecond{delimiter}neg\n"
    texts = _imported_cleanly(project, tmp_path / "semi.csv", content, added=2)
    assert texts == {"first text, with a comma": "pos", "second": "neg"}


def test_a_comma_csv_whose_texts_hold_semicolons_stays_a_comma_csv(project, tmp_path):
    listing = tmp_path / "plain.csv"
    listing.write_text('text,label\n"one; two",pos\n', encoding="utf-8")
    import_files(project, [listing])
    assert [(project.path_of(s).read_text(encoding="utf-8"), s.label) for s in project.samples()] == [("one; two", "pos")]


@pytest.mark.parametrize("content", ["tweet,label\nhappy day,pos\nsad day,neg\n", "sentiment,tweet\npos,happy day\nneg,sad day\n"])
def test_a_header_that_names_only_the_label_is_still_a_header(project, tmp_path, content):
    """"tweet,label": the text column's name is not one of the known ones, the label's is; the header
    row became a sample "tweet" of a class "label"."""
    listing = tmp_path / "tweets.csv"
    listing.write_text(content, encoding="utf-8")
    import_files(project, [listing])
    texts = _texts(project)
    assert texts == {"happy day": "pos", "sad day": "neg"}


def test_a_first_sample_of_a_class_named_like_a_column_stays_a_sample(project, tmp_path):
    """No header, and the first row's class is "topic": its text is a sentence, not a column name,
    so the row is a sample (a header is one word a column)."""
    listing = tmp_path / "topics.csv"
    listing.write_text("The match went to extra time,topic\nRain all day tomorrow,weather\n", encoding="utf-8")
    import_files(project, [listing])
    texts = _texts(project)
    assert texts == {"The match went to extra time": "topic", "Rain all day tomorrow": "weather"}
