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
