"""`transferlab demo`: the sample project is made once in the user data folder, then reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.cli.cmd_demo import DEMO_NAME, create_demo_project, default_location
from core.errors import UsageError
from core.project import Project


def test_demo_project_is_created_in_the_data_dir_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSFERLAB_DATA_DIR", str(tmp_path / "data"))
    assert default_location() == tmp_path / "data" / "demo"
    demo = create_demo_project()
    assert demo.created and demo.added == 45
    assert demo.project == (tmp_path / "data" / "demo" / "project").resolve()
    with Project.open(demo.project) as project:
        status = project.status()
        assert project.name == DEMO_NAME and project.task == "image"
        assert status.labelled == 45 and status.unlabelled == 0
        assert sorted(status.classes) == ["circle", "square", "triangle"]
        assert status.splits.get("train", 0) > 0 and status.splits.get("val", 0) > 0
    assert sorted(p.name for p in demo.try_dir.iterdir()) == ["circle_1.jpg", "square_1.jpg", "triangle_1.jpg"]
    assert not [p for p in demo.project.parent.iterdir() if p.name.startswith(".project.partial")]

    again = create_demo_project()
    assert not again.created and again.project == demo.project
    with Project.open(again.project) as project:
        assert project.status().samples == 45  # not imported twice


def test_reset_recreates_and_never_deletes_a_foreign_folder(tmp_path):
    first = create_demo_project(tmp_path / "d")
    (first.project / "media" / "marker").write_text("x")
    second = create_demo_project(tmp_path / "d", reset=True)
    assert second.created and not (second.project / "media" / "marker").exists()

    foreign = tmp_path / "mine"
    (foreign / "project").mkdir(parents=True)
    (foreign / "project" / "thesis.txt").write_text("precious")
    with pytest.raises(UsageError, match="not a TransferLab project"):
        create_demo_project(foreign)
    (foreign / "notes.txt").write_text("precious")
    with pytest.raises(UsageError, match="not deleting"):
        create_demo_project(foreign, reset=True)
    assert (foreign / "project" / "thesis.txt").read_text() == "precious"


def test_demo_command_without_the_gui(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRANSFERLAB_DATA_DIR", str(tmp_path))
    opened = []
    monkeypatch.setattr("core.cli._run_gui", lambda project_dir: opened.append(project_dir) or 0)
    assert cli_main(["demo", "--no-open"]) == 0
    out = capsys.readouterr().out
    assert "Created the demo project" in out and str(Path(tmp_path / "demo" / "try")) in out
    assert opened == []
    assert cli_main(["demo"]) == 0  # second time: reused, and handed to the app
    assert opened == [str((tmp_path / "demo" / "project").resolve())]
    assert "Demo project:" in capsys.readouterr().out
