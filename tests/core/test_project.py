import shutil
import sqlite3

import pytest

from core.errors import ProjectError, ProjectLockedError, ReadOnlyProjectError
from core.importer import import_files
from core.project import Project
from core.project import schema
from tests.helpers.media_factory import shape_image, write_image


def test_create_makes_the_documented_folder(tmp_path):
    with Project.create(tmp_path / "Birds", "image", "My birds") as project:
        for sub in ("media", "cache", "runs"):
            assert (project.root / sub).is_dir()
        assert (project.root / "project.toml").is_file()
        assert project.name == "My birds" and project.task == "image"
        mode = project.conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        assert schema.db_version(project.conn) == schema.SCHEMA_VERSION
    text = (tmp_path / "Birds" / "project.toml").read_text()
    assert 'task = "image"' in text and f"schema_version = {schema.SCHEMA_VERSION}" in text


def test_create_refuses_non_empty_folder_and_bad_task(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(ProjectError, match="not empty"):
        Project.create(tmp_path / "full", "image")
    with pytest.raises(ProjectError, match="task"):
        Project.create(tmp_path / "p", "video")


def test_open_explains_what_is_wrong(tmp_path):
    with pytest.raises(ProjectError, match="no project folder"):
        Project.open(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ProjectError, match="not a TransferLab project"):
        Project.open(tmp_path / "plain")
    (tmp_path / "photo.jpg").write_bytes(b"a picture")  # a file given where the project goes
    with pytest.raises(ProjectError, match=r"'.*photo.jpg' is a file, not a project folder"):
        Project.open(tmp_path / "photo.jpg")


def test_copied_folder_opens_elsewhere_with_its_samples_and_labels(tmp_path):
    src = tmp_path / "src"
    write_image(src / "a" / "one.png", shape_image("circle", seed=1))
    write_image(src / "b" / "two.png", shape_image("square", seed=2))
    with Project.create(tmp_path / "orig", "image") as project:
        import_files(project, [src])
    shutil.copytree(tmp_path / "orig", tmp_path / "elsewhere" / "copy")
    shutil.rmtree(tmp_path / "orig")
    shutil.rmtree(src)
    with Project.open(tmp_path / "elsewhere" / "copy") as copy:
        samples = copy.samples()
        assert sorted(s.label for s in samples) == ["a", "b"]
        assert all(copy.path_of(s).is_file() for s in samples)


def test_second_writer_is_refused_with_a_sentence_and_read_only_works(tmp_path):
    with Project.create(tmp_path / "p", "image") as first:
        first.add_class("cat")
        with pytest.raises(ProjectLockedError, match="already open"):
            Project.open(tmp_path / "p")
        with Project.open(tmp_path / "p", read_only=True) as viewer:
            assert viewer.class_names() == ["cat"]
            with pytest.raises(ReadOnlyProjectError):
                viewer.add_class("dog")
        with Project.open_or_read_only(tmp_path / "p") as fallback:
            assert fallback.read_only
    with Project.open(tmp_path / "p") as again:  # the lock went with the first one
        assert not again.read_only


def test_newer_project_format_is_refused(tmp_path):
    Project.create(tmp_path / "p", "image").close()
    conn = sqlite3.connect(tmp_path / "p" / "project.db")
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(ProjectError, match="newer TransferLab"):
        Project.open(tmp_path / "p")


def test_migration_path_upgrades_old_databases_and_keeps_a_backup(tmp_path, monkeypatch):
    Project.create(tmp_path / "p", "image").close()
    with Project.open(tmp_path / "p") as project:
        project.add_class("kept")
    nxt = schema.SCHEMA_VERSION + 1

    def add_notes(conn):
        conn.execute("ALTER TABLE samples ADD COLUMN notes TEXT")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", nxt)
    monkeypatch.setitem(schema.MIGRATIONS, nxt, add_notes)
    monkeypatch.setattr("core.project.project.SCHEMA_VERSION", nxt)
    with Project.open(tmp_path / "p") as project:
        assert schema.db_version(project.conn) == nxt
        cols = [r[1] for r in project.conn.execute("PRAGMA table_info(samples)")]
        assert "notes" in cols
        assert project.class_names() == ["kept"]
        assert project.config.schema_version == nxt
    assert (tmp_path / "p" / f"project.db.v{nxt - 1}.bak").is_file()


def test_failed_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    Project.create(tmp_path / "p", "image").close()
    nxt = schema.SCHEMA_VERSION + 1

    def broken(conn):
        conn.execute("ALTER TABLE samples ADD COLUMN half_done TEXT")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", nxt)
    monkeypatch.setitem(schema.MIGRATIONS, nxt, broken)
    monkeypatch.setattr("core.project.project.SCHEMA_VERSION", nxt)
    with pytest.raises(RuntimeError):
        Project.open(tmp_path / "p")
    conn = sqlite3.connect(tmp_path / "p" / "project.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == nxt - 1
    assert "half_done" not in [r[1] for r in conn.execute("PRAGMA table_info(samples)")]


@pytest.fixture
def unwritable_project(tmp_path):
    """A project with one sample, in a folder its user cannot write to (a read-only share, say)."""
    from tests.helpers.hostile import permissions_apply

    if not permissions_apply():
        pytest.skip("permission bits do not apply to this process")
    root = tmp_path / "P"
    with Project.create(root, "image") as project:
        write_image(tmp_path / "in" / "cat" / "a.png", shape_image("circle"))
        import_files(project, [tmp_path / "in"])
    root.chmod(0o555)
    yield root
    root.chmod(0o755)


def test_a_project_in_a_folder_that_cannot_be_written_is_read_and_refuses_changes_with_a_sentence(unwritable_project):
    """It was 'unexpected error' for every command (project.lock could not be made), and with the lock
    file already there 'the project database is damaged ... restore it from a backup'."""
    from tests.core.test_hostile_input import transferlab

    status = transferlab("status", unwritable_project)
    assert status.returncode == 0, status.stderr
    assert "cat" in status.stdout and "its folder cannot be written" in status.stdout
    for args in (["import", unwritable_project, unwritable_project.parent / "in"],
                 ["label", "add", unwritable_project, "dog"]):
        refused = transferlab(*args)
        assert refused.returncode == 1, refused.stderr
        assert "cannot be changed: its folder is not writable" in refused.stderr, refused.stderr
        assert "unexpected error" not in refused.stderr and "damaged" not in refused.stderr
    with Project.open(unwritable_project, read_only=True) as viewer:
        assert viewer.class_names() == ["cat"] and viewer.status().labelled == 1


@pytest.mark.parametrize("val, test, words", [(-0.1, 0.1, "validation share must be from 0 to under 1"),
                                              (0.1, 1.5, "test share must be from 0 to under 1"),
                                              (0.6, 0.5, "leave room for training data")])
def test_split_shares_out_of_range_name_the_share(val, test, words):
    from core.project.config import SplitSettings

    with pytest.raises(ProjectError, match=words):
        SplitSettings(val=val, test=test)
