"""The Export page: the best finished run by default (with its numbers), panels that follow the selected
run, measured variants, and a question before an existing model is replaced."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.predict import Predictor
from tests.helpers.training import make_colour_project, tiny_spec


@pytest.fixture
def two_runs(make_window, tmp_path):
    """A finished run, then a later run stopped after its first epoch (the newest, not the best)."""
    from core.train import TrainConfig, TrainControl, Trainer

    spec = tiny_spec(tmp_path / "weights")
    project = make_colour_project(tmp_path, per_class=8)
    good = Trainer(project, TrainConfig(mode="full", epochs=4, batch_size=8, seed=1), spec=spec).fit()
    control = TrainControl()
    stopped = Trainer(project, TrainConfig(mode="full", epochs=6, batch_size=8, seed=2), spec=spec, control=control,
                      callbacks=[lambda e: type(e).__name__ == "CheckpointSaved" and control.cancel()]).fit()
    assert stopped.status == "cancelled" and stopped.best_path is not None
    root = project.root
    project.close()
    window = make_window(root)
    window.services.runs.spec = spec
    page = window.pages["export"]
    window.show_page("export")
    return window, page, good.run_id, stopped.run_id


def _export(qtbot, page, out) -> None:
    page.path_edit.setText(str(out))
    before = page.report
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.report is not before and page.report is not None and page.export_button.isEnabled(),
                    timeout=60000)


def _pick(page, run_id) -> None:
    page.run_picker.setCurrentIndex(page.run_picker.findData(run_id))


def test_the_best_finished_run_is_exported_and_the_panels_follow_the_selection(two_runs, qtbot, tmp_path):
    window, page, good, stopped = two_runs
    runs = window.services.runs
    assert runs.usable()[0].id == stopped  # the newest run...
    assert runs.current == good and page.run_picker.currentData() == good  # ...is not the default
    assert "The best finished run" in page.run_info.text() and "validation accuracy" in page.run_info.text()
    assert "quarter" not in page.int8.text() and "fastest" not in page.int8.text()  # no fixed claims
    assert not page.split.isVisible()  # an image project: nothing to split

    page.fp16.setChecked(True)
    out = tmp_path / "out" / "colours.onnx"
    _export(qtbot, page, out)
    assert page.report.run_id == good and Predictor(out).metadata["run_id"] == good
    table = page.variants
    assert [table.cell_text(r, 0) for r in range(table.rowCount())] == ["fp32 ✓", "fp16 ✓"]
    for row in range(2):  # measured, not claimed
        assert table.cell_text(row, 1).endswith("MiB") and table.cell_text(row, 2).endswith(" ms")
        assert table.cell_text(row, 3).endswith("%")
    assert "labelled samples" in page.variants_note.text()
    # nothing in this project the model did not learn from: no "as fp32" figure, and the note says why
    assert table.cell_text(1, 4) == "–" and "no sample the model did not learn from" in page.variants_note.text()
    assert "colours.labels.txt" in page.check_label.text()

    _pick(page, stopped)  # another run: nothing about the first export may remain on screen
    assert runs.current == stopped
    assert f"Run {stopped} has not been exported yet." == page.check_label.text()
    assert table.rowCount() == 0 and page.meta.rowCount() == 0 and page.code.toPlainText() == ""
    assert not page.copy_button.isEnabled()
    assert "not the best" in page.run_info.text() and good in page.run_info.text()

    _pick(page, good)  # back: its last export, said to be one
    assert "The last export of this run" in page.check_label.text()
    assert page.path_edit.text() == str(out) and table.rowCount() == 2 and page.meta.rowCount() > 3
    assert 'InferenceSession("colours.onnx")' in page.code.toPlainText()


def test_an_existing_model_is_replaced_only_after_a_question(two_runs, qtbot, tmp_path):
    window, page, good, stopped = two_runs
    out = tmp_path / "out" / "colours.onnx"
    _export(qtbot, page, out)
    first_bytes = out.read_bytes()

    _pick(page, stopped)
    page.path_edit.setText(str(out))
    assert page.export() is False  # asks instead
    box = page.dialog
    assert box is not None and box.isVisible()
    assert "colours.onnx" in box.text() and "colours.labels.txt" in box.text() and "colours.md" in box.text()
    box.button(box.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: page.dialog is None, timeout=2000)
    assert out.read_bytes() == first_bytes and page.report is None  # nothing written, nothing shown as done

    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    box = page.dialog
    replace = next(b for b in box.buttons() if b.text() == "Replace")
    replace.click()
    qtbot.waitUntil(lambda: page.report is not None and page.export_button.isEnabled(), timeout=60000)
    assert page.report.run_id == stopped and Predictor(out).metadata["run_id"] == stopped


def test_the_page_fits_1180x760_and_1024x700(two_runs, qtbot, tmp_path):
    """Fitting (issue 15) on the export page of issue 16: the model-file column scrolls up and down
    instead of being cut off at the right (it was, by about 160 px at 1024x700)."""
    window, page, _good, _stopped = two_runs
    page.fp16.setChecked(True)
    _export(qtbot, page, tmp_path / "out" / "colours.onnx")
    for width, height in ((1180, 760), (1024, 700)):
        window.resize(width, height)
        qtbot.waitUntil(lambda: window.width() == width and window.height() == height, timeout=2000)
        qtbot.wait(50)
        column, content = page.left_column, page.left_column.widget()
        assert content.minimumSizeHint().width() <= content.width() <= column.viewport().width(), (width, height)
