import csv

import pytest

from core.errors import LabelError
from core.importer import import_files
from core.project import UNLABELLED
from core.project.labels_csv import export_labels, import_labels
from tests.helpers.media_factory import shape_image, write_image


@pytest.fixture
def project_with_samples(image_project, tmp_path):
    src = tmp_path / "src"
    for i in range(6):
        write_image(src / f"img{i}.png", shape_image("circle", seed=i + 1))
    report = import_files(image_project, [src], labels="none")
    assert report.added == 6
    return image_project


def test_set_and_clear_labels(project_with_samples):
    p = project_with_samples
    ids = [s.id for s in p.samples()]
    assert p.set_label(ids[:3], "cat") == 3
    assert p.set_label(ids[:3], "cat") == 0  # nothing changed
    assert p.count(label="cat") == 3 and p.count(label=UNLABELLED) == 3
    assert p.clear_label(ids[:1]) == 1
    assert p.labels_of(ids[:2]) == {ids[0]: None, ids[1]: "cat"}
    with pytest.raises(LabelError, match="No sample with id 999"):
        p.set_label([999], "cat")


def test_class_operations_keep_or_report_what_happens_to_samples(project_with_samples):
    p = project_with_samples
    ids = [s.id for s in p.samples()]
    p.set_label(ids[:2], "cat")
    p.set_label(ids[2:4], "kitten")
    p.set_label(ids[4:5], "dog")
    p.rename_class("cat", "feline")
    assert p.count(label="feline") == 2 and "cat" not in p.class_names()
    with pytest.raises(LabelError, match="already exists"):
        p.rename_class("feline", "dog")
    assert p.merge_classes(["kitten"], into="feline") == 2
    assert p.count(label="feline") == 4
    assert p.delete_class("dog") == 1
    assert p.labels_of([ids[4]]) == {ids[4]: None}
    assert p.delete_class("feline", move_to="animal") == 4
    assert p.class_names() == ["animal"]
    assert [c.position for c in p.classes()] == [0]
    with pytest.raises(LabelError, match="no class named"):
        p.delete_class("nope")
    with pytest.raises(LabelError, match="empty"):
        p.add_class("   ")


def test_shortcuts_follow_class_order(image_project):
    for name in ["a", "b", "c"]:
        image_project.add_class(name)
    image_project.reorder_classes(["c", "a"])
    assert [(c.name, c.shortcut) for c in image_project.classes()] == [("c", "1"), ("a", "2"), ("b", "3")]


def test_labels_round_trip_through_csv(project_with_samples, tmp_path):
    p = project_with_samples
    ids = [s.id for s in p.samples()]
    p.set_label(ids[:3], "cat")
    out = tmp_path / "labels.csv"
    assert export_labels(p, out) == 6
    rows = list(csv.DictReader(out.open()))
    assert {r["label"] for r in rows} == {"cat", ""}
    # edit in a "spreadsheet": everything becomes dog, one row points nowhere
    for r in rows:
        r["label"] = "dog"
    rows.append({"path": "media/none.png", "label": "dog", "split": "", "hash": "0" * 64, "original_path": ""})
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    report = import_labels(p, out)
    assert report.applied == 6 and len(report.unmatched) == 1
    assert "line 8" in report.unmatched[0]
    assert p.count(label="dog") == 6


def test_label_csv_by_file_name(project_with_samples, tmp_path):
    f = tmp_path / "by_name.csv"
    f.write_text("file,label\nimg0.png,zero\nimg1.png,one\n")
    assert import_labels(project_with_samples, f).applied == 2
    assert project_with_samples.class_names() == ["zero", "one"]


def test_label_csv_without_needed_columns_is_refused(project_with_samples, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("name,class\na,b\n")
    with pytest.raises(LabelError, match="needs a 'label' column"):
        import_labels(project_with_samples, f)
