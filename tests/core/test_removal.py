"""Deleting samples and undoing it: every row back as it was, media files kept until unused."""

from __future__ import annotations

import pytest

from core.audio.segment import SegmentSettings
from core.errors import ProjectError
from core.importer import import_files
from core.project import Project
from tests.helpers.media_factory import shape_image, tone, write_audio, write_image


@pytest.fixture
def project(tmp_path):
    for i in range(6):
        write_image(tmp_path / "src" / ("cats" if i < 3 else "dogs") / f"{i}.png", shape_image("circle", seed=i), fmt="PNG")
    with Project.create(tmp_path / "p", "image") as p:
        import_files(p, [tmp_path / "src"], labels="folder")
        yield p


def snapshot(p):
    rows = p.conn.execute("SELECT * FROM samples ORDER BY id").fetchall()
    return rows, p.conn.execute("SELECT * FROM set_labels ORDER BY sample_id").fetchall(), \
        p.conn.execute("SELECT * FROM predictions ORDER BY sample_id").fetchall()


def test_delete_then_restore_gives_every_row_back(project):
    project.add_label_set("size")
    ids = [s.id for s in project.samples()]
    project.set_set_labels("size", [(ids[0], "big"), (ids[4], "small")])
    project.conn.execute("INSERT INTO runs (id, created_at, status, config) VALUES ('r1', 0, 'done', '{}')")
    cats = project.conn.execute("SELECT id FROM classes WHERE name = 'cats'").fetchone()[0]
    project.conn.execute("INSERT INTO predictions VALUES (?, 'r1', ?, 0.9)", (ids[0], cats))
    before = snapshot(project)

    removal = project.delete_samples([ids[0], ids[4], 9999])
    assert sorted(removal.ids) == [ids[0], ids[4]] and len(removal) == 2
    assert project.count() == 4 and project.status().classes["cats"].total == 2
    assert project.set_labels_of("size") == {}
    assert all((project.root / m).exists() for m in removal.media_paths)  # kept for an undo

    assert project.restore_samples(removal) == [ids[0], ids[4]]
    assert snapshot(project) == before


def test_restore_skips_content_imported_again_and_renumbers_a_taken_id(project, tmp_path):
    last = project.samples()[-1]
    removal = project.delete_samples([last.id])
    # the same file imported again takes its content back (and, SQLite reusing the largest id, its id)
    import_files(project, [last.original_path], labels="none")
    assert project.restore_samples(removal) == []
    assert project.count() == 6

    first = project.samples()[0]
    removal = project.delete_samples([first.id])
    write_image(tmp_path / "new.png", shape_image("square", seed=77), fmt="PNG")
    import_files(project, [tmp_path / "new.png"], labels="none")
    assert project.restore_samples(removal) == [first.id]  # its id was free: the same id
    project.delete_class("cats")  # a class gone meanwhile leaves the sample unlabelled
    removal = project.delete_samples([first.id])
    assert project.restore_samples(removal) == [first.id] and project.sample(first.id).label is None


def test_unreferenced_media_goes_only_when_nothing_uses_it(project):
    a, b = project.samples()[:2]
    removal = project.delete_samples([a.id])
    assert project.remove_unreferenced_media(removal.media_paths | {b.media_path}) == 1
    assert not (project.root / a.media_path).exists() and (project.root / b.media_path).exists()
    with pytest.raises(ProjectError, match="not a file in this project's media folder"):
        project.remove_unreferenced_media(["../project.toml"])
    assert (project.root / "project.toml").exists()


def test_a_recording_goes_with_its_last_segment_and_comes_back_with_it(tmp_path):
    wav = write_audio(tmp_path / "long.wav", tone(440, 3.0), 16000)
    with Project.create(tmp_path / "a", "audio") as p:
        import_files(p, [wav], segment=SegmentSettings(method="fixed", length=1.0))
        ids = [s.id for s in p.samples()]
        first = p.delete_samples(ids[:2])
        assert first.recordings == () and p.conn.execute("SELECT COUNT(*) FROM recordings").fetchone()[0] == 1
        last = p.delete_samples(ids[2:])
        assert len(last.recordings) == 1 and p.conn.execute("SELECT COUNT(*) FROM recordings").fetchone()[0] == 0
        p.restore_samples(last)
        p.restore_samples(first)
        assert [s.id for s in p.samples()] == ids
        assert p.conn.execute("SELECT COUNT(*) FROM recordings").fetchone()[0] == 1
