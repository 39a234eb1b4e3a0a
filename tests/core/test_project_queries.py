"""The queries the app asks of a project (sample ids of a filter, run rows, stored predictions), all
answered by core.project, and no SQL outside it."""

import ast
from pathlib import Path

import pytest

from core.importer import import_files
from core.project import UNLABELLED, Project
from tests.helpers.media_factory import shape_image, write_image

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def six(image_project, tmp_path):
    src = tmp_path / "src"
    for i in range(6):
        write_image(src / f"img{i}.png", shape_image("circle", seed=i + 1))
    assert import_files(image_project, [src], labels="none").added == 6
    ids = [s.id for s in image_project.samples()]
    image_project.set_label(ids[:2], "cat")
    image_project.set_label(ids[2:3], "dog")
    image_project.add_label_set("spots")
    image_project.set_set_label("spots", ids[1:3], "yes")
    image_project.mark_broken(ids[5], "gone")
    return image_project, ids


def test_sample_ids_of_a_filter_in_the_main_and_an_extra_label_set(six):
    p, ids = six
    assert p.sample_ids() == ids
    assert p.sample_ids(label="cat") == ids[:2]
    assert p.sample_ids(label=UNLABELLED, status="ok") == ids[3:5]
    assert p.sample_ids(label="yes", label_set="spots") == ids[1:3]
    assert p.sample_ids(label=UNLABELLED, label_set="spots", status="ok") == [ids[0], ids[3], ids[4]]
    assert p.sample_ids(search="img1") == [ids[1]]
    assert p.sample_ids(search="%") == []  # a LIKE wildcard typed by a person is a plain character
    assert p.sample_ids(split="none", status="broken") == [ids[5]]


def test_unlabelled_after_walks_forward_in_batches(six):
    p, ids = six
    assert p.unlabelled_after(0) == ids[3:5]
    assert p.unlabelled_after(ids[3]) == [ids[4]]
    assert p.unlabelled_after(0, limit=1) == [ids[3]]
    assert p.unlabelled_after(0, label_set="spots") == [ids[0], ids[3], ids[4]]


def test_a_run_row_keeps_its_config_and_creation_time_when_its_status_changes(image_project):
    image_project.record_run("r1", "running", {"mode": "probe"}, None)
    first = image_project.run_records()["r1"]
    image_project.record_run("r1", "completed", {"mode": "changed"}, {"val_acc": 0.5})
    row = image_project.run_records()["r1"]
    assert (row.status, row.metrics, row.config, row.created_at) == ("completed", {"val_acc": 0.5}, {"mode": "probe"},
                                                                     first.created_at)
    assert first.metrics == {}


def test_predictions_are_stored_per_run_and_name_a_deleted_class_as_none(six):
    p, ids = six
    p.record_run("r1", "completed", {}, None)
    p.store_predictions("r1", [(ids[0], "cat", 0.9), (ids[1], "dog", 0.6)])
    p.store_predictions("r1", [(ids[1], "cat", 0.7)])  # a later evaluation replaces a sample's row
    assert p.predictions_of("r1") == {ids[0]: ("cat", 0.9), ids[1]: ("cat", pytest.approx(0.7))}
    p.delete_class("cat")
    assert p.predictions_of("r1") == {}  # deleting a class deletes the predictions of it
    p.store_predictions("r1", [(ids[2], "gone", 0.5)])
    assert p.predictions_of("r1") == {ids[2]: (None, 0.5)}
    assert p.predictions_of("other") == {}


def test_read_only_projects_answer_queries(six, tmp_path):
    p, ids = six
    p.record_run("r1", "completed", {}, {"val_acc": 1.0})
    root = p.root
    p.close()
    with Project.open(root, read_only=True) as ro:
        assert ro.sample_ids(label="cat") == ids[:2] and "r1" in ro.run_records()


# Their own SQLite files or writers, not project.db queries of the app:
#   core/features.py      the embedding cache (cache/embeddings.db), not project.db
#   core/importer/store.py  the import's batched writer (its inserts are the importer's transactions;
#                           moving them into core/project is left to the importer's owner)
ALLOWED = {"core/features.py", "core/importer/store.py"}


def test_no_sql_outside_core_project():
    offenders = []
    for folder in ("core", "desktop"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("core/project/") or rel in ALLOWED:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in ("execute", "executemany", "executescript", "transaction")):
                    offenders.append(f"{rel}:{node.lineno} .{node.func.attr}(")
    assert not offenders, offenders
