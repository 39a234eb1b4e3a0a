"""A listing that names a class with other letter case than an existing one ("Pos" beside "pos")
makes a second class, as classes are told apart by case; the import now says so, with the merge."""

from core.cli import main
from core.project import Project


def test_import_names_new_classes_that_differ_only_in_case(tmp_path, capsys):
    Project.create(tmp_path / "proj", "text").close()
    (tmp_path / "a.csv").write_text("text,label\none,pos\ntwo,neg\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("text,label\nthree,Pos\nfour, pos \nfive,other\n", encoding="utf-8")
    assert main(["import", str(tmp_path / "proj"), str(tmp_path / "a.csv")]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["import", str(tmp_path / "proj"), str(tmp_path / "b.csv")]) == 0
    err = capsys.readouterr().err
    assert "the new class 'Pos' differs from 'pos' only in letter case" in err
    assert f"transferlab label merge {tmp_path / 'proj'} Pos --into pos" in err
    assert "other" not in err


def test_label_set_and_label_import_name_a_new_class_and_its_case_twin(tmp_path, capsys):
    Project.create(tmp_path / "proj", "text").close()
    (tmp_path / "a.csv").write_text("text,label\none,pos\ntwo,neg\n", encoding="utf-8")
    assert main(["import", str(tmp_path / "proj"), str(tmp_path / "a.csv")]) == 0
    capsys.readouterr()
    assert main(["label", "set", str(tmp_path / "proj"), "Pos", "a.csv:3"]) == 0
    out, err = capsys.readouterr()
    assert "New class: Pos" in out and "the new class 'Pos' differs from 'pos' only in letter case" in err
    assert main(["label", "set", str(tmp_path / "proj"), "neg", "a.csv:3"]) == 0
    out, err = capsys.readouterr()
    assert "New class" not in out and "warning" not in err
    with Project.open(tmp_path / "proj") as p:
        digest = p.samples()[0].hash
    (tmp_path / "l.csv").write_text(f"hash,label\n{digest},NEG\n", encoding="utf-8")
    assert main(["label", "import", str(tmp_path / "proj"), str(tmp_path / "l.csv")]) == 0
    assert "the new class 'NEG' differs from 'neg' only in letter case" in capsys.readouterr().err
