"""Multi-task: a project with more than one label set ("colour" and "mark"); one shared backbone,
one head per set, trained jointly; metrics per set; an export with one output per set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import LabelError
from core.train import DataError, TrainConfig, Trainer, events
from tests.helpers.multitask import make_project
from tests.helpers.training import tiny_spec

pytestmark = pytest.mark.usefixtures("two_torch_threads")


@pytest.fixture
def spec(tmp_path):
    return tiny_spec(tmp_path / "weights")


@pytest.fixture
def project(tmp_path):
    p, _ = make_project(tmp_path)
    yield p
    p.close()


def test_label_sets_are_stored_listed_and_checked(project):
    assert project.main_label_set == "colour" and project.label_sets() == ["mark"]
    counts = project.set_class_counts("mark")
    assert set(counts) == {"light", "dark"} and sum(counts.values()) == 48 - 3
    first = project.samples()[0]
    assert first.id not in project.set_labels_of("mark")
    assert project.set_set_label("mark", [first.id], "light") == 1
    assert project.set_set_label("mark", [first.id], "light") == 0  # unchanged
    assert project.set_labels_of("mark")[first.id] == "light"
    assert project.set_set_label("mark", [first.id], None) == 1
    with pytest.raises(LabelError, match="already a label set named 'mark'"):
        project.add_label_set("mark")
    with pytest.raises(LabelError, match="already a label set named 'colour'"):
        project.add_label_set("colour")
    with pytest.raises(LabelError, match="no label set named 'size'"):
        project.set_set_label("size", [first.id], "big")
    with pytest.raises(LabelError, match="main label set"):
        project.set_class_names("colour")
    project.add_label_set("spare")
    project.set_set_label("spare", [first.id], "x")
    assert project.delete_label_set("spare") == 1 and project.label_sets() == ["mark"]


def test_a_shared_backbone_learns_every_label_set(project, spec):
    recorder = events.Recorder()
    result = Trainer(project, TrainConfig(mode="full", epochs=10, batch_size=8, augment="none"),
                     callbacks=[recorder], spec=spec, batch_event_interval=0.0).fit()
    print(f"\nmulti-task: colour {result.metrics['val_acc']:.2f}, mark {result.metrics['label_sets_val_acc']['mark']:.2f}")
    assert result.metrics["val_acc"] >= 0.9
    assert result.metrics["label_sets_val_acc"]["mark"] >= 0.8  # chance 0.5
    start = next(e for e in recorder.events if isinstance(e, events.FitStart))
    assert "one head per label set (colour, mark)" in start.mode_reason
    ends = [e for e in recorder.events if isinstance(e, events.EpochEnd)]
    assert all(set(e.label_sets_val_acc) == {"mark"} for e in ends)
    rows = [json.loads(line) for line in open(f"{result.run_dir}/metrics.jsonl")]
    assert set(rows[-1]["label_sets"]["mark"]["per_class_val_acc"]) == {"light", "dark"}


def test_main_set_only_when_asked_and_unknown_sets_are_a_sentence(project, spec):
    result = Trainer(project, TrainConfig(mode="probe", epochs=5, batch_size=8, label_sets="none"), spec=spec).fit()
    assert "label_sets_val_acc" not in result.metrics
    with pytest.raises(DataError, match="no label set named 'size'"):
        Trainer(project, TrainConfig(mode="probe", epochs=2, label_sets="size"), spec=spec).fit()


def test_a_set_with_one_class_is_left_out_with_a_warning(project, spec):
    project.add_label_set("mood")
    project.set_set_label("mood", [s.id for s in project.samples()], "happy")
    recorder = events.Recorder()
    result = Trainer(project, TrainConfig(mode="probe", epochs=3, batch_size=8), callbacks=[recorder], spec=spec).fit()
    assert set(result.metrics["label_sets_val_acc"]) == {"mark"}
    assert any("'mood' has one class" in e.message for e in recorder.events if isinstance(e, events.Warning))


def test_export_has_one_output_per_label_set_and_predicts_each(project, spec, tmp_path):
    from core.evaluate.run_eval import evaluate_run
    from core.export.exporter import export_run
    from core.predict import Predictor

    run = Trainer(project, TrainConfig(mode="full", epochs=10, batch_size=8, augment="none"), spec=spec).fit()
    report = export_run(project, tmp_path / "both.onnx", run.run_id, spec=spec)
    assert report.parity_max_diff < 1e-4
    p = Predictor(report.path)
    assert [o.name for o in p.session.get_outputs()] == ["probabilities", "logits", "probabilities_1"]
    (described,) = json.loads(p.metadata["label_sets"])
    assert described["name"] == "mark" and described["output"] == "probabilities_1"
    assert sorted(described["labels"]) == ["dark", "light"]
    assert p.metadata["main_label_set"] == "colour"
    marks = project.set_labels_of("mark")
    val = [s for s in project.samples(split="val") if s.id in marks]
    predictions = p.predict([project.path_of(s) for s in val])
    colour_ok = np.mean([r.label == s.label for r, s in zip(predictions, val)])
    mark_ok = np.mean([r.label_sets["mark"][0] == marks[s.id] for r, s in zip(predictions, val)])
    assert colour_ok >= 0.9 and mark_ok >= 0.8
    assert "label_sets" in predictions[0].to_json()
    assert "mark (output `probabilities_1`)" in open(report.card_path).read()
    ev = evaluate_run(project, run.run_id, spec=spec)
    assert ev.label_sets["mark"].count == len(val) and ev.label_sets["mark"].accuracy >= 0.8
    assert sorted(json.load(open(ev.report_json))["label_sets"]["mark"]["classes"]) == ["dark", "light"]


def test_label_sets_from_the_command_line(tmp_path, capsys):
    from core.cli import main

    project, marks = make_project(tmp_path, per_class=8, unlabelled_mark=0)
    root = str(project.root)
    first = project.samples()[0]
    project.close()
    assert main(["label", "sets", root, "--add", "size"]) == 0
    assert main(["label", "set", root, "big", str(first.id), "--set", "size"]) == 0
    capsys.readouterr()
    assert main(["label", "sets", root, "--json"]) == 0
    sets = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["main"]) for s in sets] == [("colour", True), ("mark", False), ("size", False)]
    assert sets[2]["classes"] == {"big": 1} and sum(sets[1]["classes"].values()) == 24
    assert main(["label", "clear", root, str(first.id), "--set", "size"]) == 0
    assert main(["label", "classes", root, "--set", "size", "--json"]) == 0
    assert "size" in capsys.readouterr().out
    assert main(["label", "sets", root, "--delete", "size"]) == 0
    assert main(["label", "set", root, "big", str(first.id), "--set", "size"]) != 0
    assert "no label set named 'size'" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["train", root, "--mode", "probe", "--epochs", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["metrics"]["label_sets_val_acc"]) == {"mark"}
    assert main(["eval", root, "--split", "val"]) == 0  # every extra label set is reported, not only the main one
    said = capsys.readouterr().out
    assert "Label set mark (" in said and "dark" in said.split("Label set mark")[1]
    report = said.split("Report: ")[1].strip()
    assert "Label set mark" in open(report, encoding="utf-8").read()
    assert main(["train", root, "--mode", "probe", "--epochs", "5", "--label-sets", "none", "--json"]) == 0
    assert "label_sets_val_acc" not in json.loads(capsys.readouterr().out)["metrics"]


def test_label_sets_travel_through_csv(project, tmp_path):
    from core.project.labels_csv import export_labels, import_labels

    marks = project.set_labels_of("mark")
    export_labels(project, tmp_path / "labels.csv")
    text = (tmp_path / "labels.csv").read_text()
    assert text.splitlines()[0] == "path,label,split,hash,original_path,label:mark"
    project.delete_label_set("mark")
    (tmp_path / "sets.csv").write_text(text.replace("label:mark", "label:mark"))
    report = import_labels(project, tmp_path / "sets.csv")
    assert report.applied == len(marks) and project.set_labels_of("mark") == marks
    only = tmp_path / "only.csv"  # a sheet with nothing but one set's column
    sample = project.samples()[0]
    only.write_text(f"hash,label:size\n{sample.hash},big\n")
    assert import_labels(project, only).applied == 1 and project.set_labels_of("size") == {sample.id: "big"}


def test_classes_of_a_label_set_are_renamed_and_deleted(project, tmp_path, capsys):
    from core.cli import main

    marks = project.set_labels_of("mark")
    project.rename_set_class("mark", "dark", "black")
    assert sorted(project.set_class_names("mark")) == ["black", "light"]
    assert {i: ("dark" if c == "black" else c) for i, c in project.set_labels_of("mark").items()} == marks
    with pytest.raises(LabelError, match="already has a class named 'light'"):
        project.rename_set_class("mark", "black", "light")
    with pytest.raises(LabelError, match="no class named 'grey'"):
        project.delete_set_class("mark", "grey")
    dark = sum(1 for c in marks.values() if c == "dark")
    assert project.delete_set_class("mark", "black") == dark
    assert project.set_class_names("mark") == ["light"] and len(project.set_labels_of("mark")) == len(marks) - dark
    assert project.labels_of([s.id for s in project.samples()])  # the main set is untouched
    root = str(project.root)
    project.close()
    assert main(["label", "rename", root, "light", "white", "--set", "mark"]) == 0
    assert main(["label", "delete", root, "white", "--set", "mark"]) == 0
    assert "now unlabelled there" in capsys.readouterr().out
