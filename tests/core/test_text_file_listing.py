"""A text project given a listing of files (`import --csv` path,label, as image projects take): the
files' texts are imported under their labels. Read as a listing of texts, the paths themselves became
the samples and the header row a sample of the class 'label'."""

import pytest

from core.importer import import_files
from core.project import Project


@pytest.fixture
def project(tmp_path):
    p = Project.create(tmp_path / "proj", "text")
    yield p
    p.close()


@pytest.mark.parametrize("name, header, sep", [("files.csv", "path,label", ","), ("files.tsv", "file\tlabel", "\t")])
def test_a_listing_of_text_files_imports_the_files(project, tmp_path, name, header, sep):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("meow purr", encoding="utf-8")
    (tmp_path / "docs" / "b.txt").write_text("woof bark", encoding="utf-8")
    listing = tmp_path / name
    listing.write_text(f"{header}\ndocs/a.txt{sep}cat\ndocs/b.txt{sep}dog\n", encoding="utf-8")
    report = import_files(project, [], csv_files=[listing])
    assert report.rejected == [] and report.added == 2
    texts = {project.path_of(s).read_text(encoding="utf-8"): s.label for s in project.samples()}
    assert texts == {"meow purr": "cat", "woof bark": "dog"}
    assert sorted(project.class_names()) == ["cat", "dog"]


def test_a_listing_with_a_text_column_is_still_texts(project, tmp_path):
    listing = tmp_path / "texts.csv"
    listing.write_text("text,file\nhello there,a.txt\n", encoding="utf-8")
    import_files(project, [listing])
    assert [project.path_of(s).read_text(encoding="utf-8") for s in project.samples()] == ["hello there"]
