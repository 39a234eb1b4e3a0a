"""Evaluate, Play and Export on a run trained with the tiny test backbone."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from tests.helpers.training import colour_image, make_colour_project, tiny_spec


@pytest.fixture
def model_window(make_window, tmp_path):
    from core.train import TrainConfig, Trainer

    spec = tiny_spec(tmp_path / "weights")
    project = make_colour_project(tmp_path, per_class=10)
    # A few wrong labels, so the model makes mistakes to show.
    wrong = [s.id for s in project.samples(split="val")][:3]
    project.set_labels([(i, "blue") for i in wrong])
    Trainer(project, TrainConfig(mode="probe", epochs=4, batch_size=8), spec=spec).fit()
    root = project.root
    project.close()
    window = make_window(root)
    window.services.runs.spec = spec
    window.services.training.spec = spec
    return window


def test_a_relabel_from_the_mistakes_gallery_is_saved(model_window, qtbot):
    window = model_window
    page = window.pages["evaluate"]
    window.show_page("evaluate")
    qtbot.waitUntil(lambda: page.view is not None, timeout=20000)
    ev = page.view.run.evaluation
    assert page.confusion.model().rowCount() == len(ev.classes) == 3
    assert page.per_class.rowCount() == 3
    assert page.gallery.count() == len(ev.mistakes) > 0
    page.confusion.click_cell(ev.classes[0], ev.classes[0])
    assert page.gallery.count() == ev.confusion[0][0]
    page.show_mistakes()
    sample_id = page.gallery.ids()[0]
    page.gallery.setFocus()
    page.gallery.setCurrentRow(0)
    before = window.services.session.project.labels_of([sample_id])[sample_id]
    key = next(k for k in range(1, 4) if window.services.labels.class_for_key(k).name != before)
    key_class = window.services.labels.class_for_key(key).name
    qtbot.keyClick(page.gallery, getattr(Qt.Key, f"Key_{key}"))
    assert window.services.session.project.labels_of([sample_id])[sample_id] == key_class
    assert window.services.runs.stale and page.stale_note.isVisible()


def test_play_shows_predictions_and_the_export_is_read_by_the_cli(model_window, qtbot, tmp_path, capsys):
    window = model_window
    files = []
    for i, colour in enumerate(("red", "green")):
        path = tmp_path / f"new_{colour}.png"
        colour_image(colour, seed=9000 + i).save(path)
        files.append(str(path))
    play = window.pages["play"]
    window.show_page("play")
    assert play.predict(files)
    qtbot.waitUntil(lambda: len(play.results) == 2, timeout=30000)
    assert all(r.prediction.label and r.prediction.top for r in play.results)
    assert play.scroll.isVisible() and play.list_layout.count() == 3

    export = window.pages["export"]
    window.show_page("export")
    run_id = window.services.runs.current
    # the Play page's own copy of the model (in the project's cache) is not the run's export
    assert export.check_label.text() == f"Run {run_id} has not been exported yet." and export.meta.rowCount() == 0
    out = tmp_path / "out" / "colours.onnx"
    export.path_edit.setText(str(out))
    export.fp16.setChecked(True)
    qtbot.mouseClick(export.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: export.report is not None, timeout=60000)
    assert out.exists() and export.meta.rowCount() > 3
    assert "onnxruntime" in export.code.toPlainText()
    from core.cli import main

    capsys.readouterr()
    assert main(["predict", str(out), *files, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [p["label"] for p in printed] and all(p["label"] in ("red", "green", "blue") for p in printed)


def test_evaluate_shows_every_label_set_of_a_multi_task_model(make_window, qtbot, tmp_path):
    from core.train import TrainConfig, Trainer
    from tests.helpers.multitask import make_project

    spec = tiny_spec(tmp_path / "weights")
    project, _ = make_project(tmp_path, per_class=10)
    Trainer(project, TrainConfig(mode="full", epochs=6, batch_size=8, augment="none"), spec=spec).fit()
    root = project.root
    project.close()
    window = make_window(root)
    window.services.runs.spec = spec
    page = window.pages["evaluate"]
    window.show_page("evaluate")
    qtbot.waitUntil(lambda: page.view is not None, timeout=20000)
    assert page.sets_note.isVisible()
    text = page.sets_note.text()
    assert "label set 'colour'" in text and "mark: " in text and "% accuracy" in text
