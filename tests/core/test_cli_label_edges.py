"""`label sets` and `label import` at their edges: an empty set name is refused (it listed the sets
and succeeded), a label set made by a CSV's label:NAME column is named in the output, and a labels
CSV saved as Windows-1252 or UTF-16 (as spreadsheets do) is read like the text listings are."""

import codecs

import pytest

from core.cli import main
from core.importer import import_files
from core.project import Project


@pytest.fixture
def proj(tmp_path):
    """A text project of one unlabelled text: (its folder, the text's hash)."""
    (tmp_path / "a.txt").write_text("one text", encoding="utf-8")
    with Project.create(tmp_path / "proj", "text") as p:
        import_files(p, [tmp_path / "a.txt"])
        return tmp_path / "proj", p.samples()[0].hash


@pytest.mark.parametrize("option", ["--add", "--delete", "--rename-main"])
def test_an_empty_label_set_name_is_refused(proj, capsys, option):
    folder, _ = proj
    assert main(["label", "sets", str(folder), option, ""]) == 1
    err = capsys.readouterr().err
    assert "label set" in err and "class name" not in err


def test_a_label_set_made_by_a_csv_column_is_named(proj, tmp_path, capsys):
    folder, digest = proj
    (tmp_path / "l.csv").write_text(f"hash,label:tnoe\n{digest},calm\n", encoding="utf-8")
    assert main(["label", "import", str(folder), str(tmp_path / "l.csv")]) == 0
    assert "New label set(s) from the file's label:NAME columns: tnoe" in capsys.readouterr().out


@pytest.mark.parametrize("data", [
    lambda d: f"hash,label\n{d},café\n".encode("cp1252"),
    lambda d: codecs.BOM_UTF16_LE + f"hash,label\n{d},café\n".encode("utf-16-le"),
])
def test_a_labels_csv_in_a_spreadsheet_encoding_is_read(proj, tmp_path, capsys, data):
    folder, digest = proj
    (tmp_path / "l.csv").write_bytes(data(digest))
    assert main(["label", "import", str(folder), str(tmp_path / "l.csv")]) == 0
    with Project.open(folder) as p:
        assert [s.label for s in p.samples()] == ["café"]
