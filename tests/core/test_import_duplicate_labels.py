"""A duplicate that came with another label than the sample already in the project: the project's
label is kept (as before), and the report now says which label was dropped instead of nothing."""

from __future__ import annotations

import pytest

from core.cli import main
from core.importer import import_files
from core.project import Project
from tests.helpers.media_factory import shape_image, write_image


@pytest.fixture
def project(text_project):
    return text_project


def test_the_same_text_with_two_labels_is_reported(project, tmp_path):
    listing = tmp_path / "dups.csv"
    listing.write_text("text,label\nsame text twice,pos\nsame text twice,neg\nother,pos\nother,pos\n", encoding="utf-8")
    report = import_files(project, [listing])
    assert report.added == 2
    dups = {d.path.rsplit(":", 1)[-1]: (d.label, d.existing_label, d.label_differs) for d in report.duplicates}
    assert dups == {"3": ("neg", "pos", True), "5": ("pos", "pos", False)}
    assert [s.label for s in project.samples()] == ["pos", "pos"]  # the first label stays
    assert report.to_json()["duplicate_files"][0]["label"] == "neg"


def test_a_labelled_duplicate_of_an_unlabelled_sample_is_reported(project, tmp_path):
    (tmp_path / "a.txt").write_text("a text", encoding="utf-8")
    import_files(project, [tmp_path / "a.txt"], labels="none")
    (tmp_path / "src" / "cls").mkdir(parents=True)
    (tmp_path / "src" / "cls" / "b.txt").write_text("a text", encoding="utf-8")
    report = import_files(project, [tmp_path / "src"], labels="folder")
    [dup] = report.duplicates
    assert (dup.label, dup.existing_label, dup.label_differs) == ("cls", None, True)


def test_image_folders_and_the_command_line_say_it(tmp_path, capsys):
    im = shape_image("circle")
    write_image(tmp_path / "src1" / "cat" / "x.png", im)
    write_image(tmp_path / "src2" / "dog" / "x.png", im)
    Project.create(tmp_path / "img", "image").close()
    assert main(["import", str(tmp_path / "img"), str(tmp_path / "src1")]) == 0
    capsys.readouterr()
    assert main(["import", str(tmp_path / "img"), str(tmp_path / "src2")]) == 0
    err = capsys.readouterr().err
    assert "1 duplicate(s) came with another label than the sample already in the project" in err
    assert "says 'dog'" in err and "has 'cat'" in err
