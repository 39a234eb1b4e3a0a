"""Outputs that cannot be written: a sentence, no leftovers, and what only reads the project works
on one opened read-only. `export` to a read-only folder ran the whole export, then ended in
"unexpected error (OSError: Read-only file system)" and left the 87 MiB staged model in the run's
folder; `label export` to such a place was "unexpected error" too, and refused a read-only project."""

from __future__ import annotations

import errno

import pytest

from core.cli import main
from core.export import exporter, staging
from core.export.report import ExportError
from core.project import Project


@pytest.fixture
def text_project(tmp_path):
    (tmp_path / "a.txt").write_text("one text", encoding="utf-8")
    from core.importer import import_files

    with Project.create(tmp_path / "proj", "text") as p:
        import_files(p, [tmp_path / "a.txt"])
    return tmp_path / "proj"


def _read_only(*_args, **_kwargs):
    raise OSError(errno.EROFS, "Read-only file system")


def test_export_to_a_folder_that_cannot_be_written_says_so_before_any_work(text_project, tmp_path, monkeypatch):
    monkeypatch.setattr(exporter.tempfile, "mkstemp", _read_only)
    with Project.open(text_project) as project, pytest.raises(ExportError) as refused:
        exporter.export_run(project, tmp_path / "out" / "m.onnx")  # (it has no run: that would come later)
    assert "Cannot write in the folder" in refused.value.message and "Read-only file system" in refused.value.message


def test_a_staged_file_that_cannot_be_placed_is_removed(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    stage = staging.Staging(tmp_path / "out" / "m.onnx", run_dir)
    tmp = stage.path("fp32")
    tmp.write_bytes(b"model")
    monkeypatch.setattr(staging, "place", _read_only)
    with pytest.raises(OSError):
        stage.commit(["fp32"])
    stage.cleanup()
    assert not tmp.exists()


def test_label_export_where_it_cannot_write_is_a_sentence(text_project, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert main(["label", "export", str(text_project), str(tmp_path / "afile" / "labels.csv")]) == 1
    err = capsys.readouterr().err
    assert "Cannot write the labels file" in err and "unexpected error" not in err


def test_label_export_of_a_project_open_elsewhere_works(text_project, tmp_path, capsys):
    with Project.open(text_project):  # the app has it open: the command line opens it read-only
        assert main(["label", "export", str(text_project), str(tmp_path / "labels.csv")]) == 0
    assert (tmp_path / "labels.csv").read_text(encoding="utf-8").startswith("path,label,split,hash")
