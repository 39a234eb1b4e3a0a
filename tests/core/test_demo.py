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


def _real_project(folder: Path, tmp_path: Path) -> int:
    """A person's own project with two imported pictures; returns its sample count."""
    from core.importer import import_files
    from tests.helpers.media_factory import shape_image, write_image

    pictures = tmp_path / "pictures"
    write_image(pictures / "cats" / "a.png", shape_image("circle", seed=1))
    write_image(pictures / "cats" / "b.png", shape_image("square", seed=2))
    with Project.create(folder, "image", "My real project") as project:
        return import_files(project, [pictures]).added


def test_reset_never_deletes_the_folder_nor_a_real_project_in_it(tmp_path, capsys):
    """Issue 17.1: `demo --dir D --reset` deleted all of D, and replaced the real project in D/project."""
    base = tmp_path / "D"
    (base / "thesis").mkdir(parents=True)
    (base / "thesis" / "chapter1.txt").write_text("work")
    added = _real_project(base / "project", tmp_path)
    assert cli_main(["demo", "--dir", str(base), "--reset", "--no-open"]) == 2
    err = capsys.readouterr().err
    assert "is not the demo project" in err and "My real project" in err and "not deleting it" in err
    assert (base / "thesis" / "chapter1.txt").read_text() == "work"
    with Project.open(base / "project") as project:
        assert project.name == "My real project" and project.status().samples == added


def test_reset_replaces_only_the_demo_project(tmp_path):
    base = tmp_path / "D"
    first = create_demo_project(base)
    (base / "notes.txt").write_text("mine")  # beside the demo: never touched
    (first.try_dir / "my_photo.jpg").write_bytes(b"mine")
    circle = first.try_dir / "circle_1.jpg"
    circle.write_bytes(b"replaced by the person")  # the demo never overwrites a file in try/
    second = create_demo_project(base, reset=True)
    assert second.created and second.added == 45
    assert (base / "notes.txt").read_text() == "mine"
    assert (first.try_dir / "my_photo.jpg").read_bytes() == b"mine"
    assert circle.read_bytes() == b"replaced by the person"
    assert sorted(p.name for p in base.iterdir()) == ["notes.txt", "project", "try"]  # no side folder left


def test_reset_refuses_a_demo_that_holds_the_persons_own_work(tmp_path):
    from core.importer import import_files
    from tests.helpers.media_factory import shape_image, write_image

    base = tmp_path / "D"
    demo = create_demo_project(base)
    (demo.project / "exported.onnx").write_bytes(b"a model the person saved here")
    with pytest.raises(UsageError, match="exported.onnx, which the demo did not make"):
        create_demo_project(base, reset=True)
    (demo.project / "exported.onnx").unlink()

    write_image(tmp_path / "mine" / "own.png", shape_image("triangle", seed=9))
    with Project.open(demo.project) as project:
        assert import_files(project, [tmp_path / "mine"]).added == 1
    with pytest.raises(UsageError, match="1 of its samples are not bundled sample images"):
        create_demo_project(base, reset=True)
    with Project.open(demo.project) as project:
        assert project.status().samples == 46  # untouched

    renamed = tmp_path / "E"
    create_demo_project(renamed)
    with Project.open(renamed / "project") as project:
        project.update_config(name="My experiments")
    with pytest.raises(UsageError, match="'My experiments'"):
        create_demo_project(renamed, reset=True)


def test_reset_refuses_a_link_and_keeps_its_target(tmp_path):
    target = tmp_path / "elsewhere"
    create_demo_project(target)
    base = tmp_path / "D"
    base.mkdir()
    (base / "project").symlink_to(target / "project")
    with pytest.raises(UsageError, match="a link to"):
        create_demo_project(base, reset=True)
    assert (target / "project" / "project.toml").exists()
