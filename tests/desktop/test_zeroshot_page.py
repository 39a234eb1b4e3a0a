"""Zero-shot by attributes in the app: a class described on the Label page (through the Describe
dialog, as a person types it), including one that has no example at all, and the Train page's
zero-shot mode, whose run lands in the history, becomes current, and names the class it knows by
description alone."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from tests.helpers.coloured_shapes import COLOURS, SHAPES, picture

UNSEEN = "green square"


def make_zoo(root, per_class: int = 4, describe: bool = True):
    """Coloured shapes, every combination labelled but UNSEEN (which has no pictures); with ``describe``
    every class is described by its colour and shape, UNSEEN included."""
    from core.importer import import_files
    from core.project import Project

    for k, colour in enumerate(COLOURS):
        for j, shape in enumerate(SHAPES):
            name = f"{colour} {shape}"
            if name == UNSEEN:
                continue
            folder = root / "src" / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                picture(colour, shape, seed=1000 * (2 * k + j) + i).resize((48, 48)).save(folder / f"{i}.png")
    project = Project.create(root / "p", "image", "Coloured shapes")
    import_files(project, [root / "src"])
    project.reset_splits(val=0.0, test=0.0)
    if describe:
        for colour in COLOURS:
            for shape in SHAPES:
                project.set_class_attributes(f"{colour} {shape}", [colour, shape])
    root_dir = project.root
    project.close()
    return root_dir


def save(dialog, qtbot) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)


def test_describing_a_class_through_the_dialog_saves_its_attributes(make_window, tmp_path, qtbot):
    window = make_window(make_zoo(tmp_path, per_class=1, describe=False))
    page = window.pages["label"]
    window.show_page("label")
    panel = page.classes
    assert panel.describe_button.isVisible() and not panel.describe_button.isEnabled()  # nothing selected
    row = panel.model.names().index("red circle")
    panel.view.selectionModel().select(panel.model.index(row), panel.view.selectionModel().SelectionFlag.ClearAndSelect)
    assert panel.describe_button.isEnabled()

    qtbot.mouseClick(panel.describe_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert dialog.isVisible() and dialog.attributes_edit.text() == ""
    qtbot.keyClicks(dialog.attributes_edit, "Red, circle")
    save(dialog, qtbot)
    project = window.services.session.project
    assert project.class_attributes() == {"red circle": ["circle", "red"]}
    assert panel.model.data(panel.model.index(row), Qt.ItemDataRole.ToolTipRole).endswith("Described as: circle, red")

    # Opening it again shows what is saved; spaces separate too.
    qtbot.mouseClick(panel.describe_button, Qt.MouseButton.LeftButton)
    assert panel.dialog.attributes_edit.text() == "circle, red"
    panel.dialog.attributes_edit.setText("red round")
    save(panel.dialog, qtbot)
    assert project.class_attributes() == {"red circle": ["red", "round"]}

    # A class with no examples, known only by its description.
    qtbot.keyClicks(panel.add_edit, UNSEEN)
    qtbot.mouseClick(panel.new_described_button, Qt.MouseButton.LeftButton)
    assert panel.dialog.name_edit.text() == UNSEEN
    qtbot.keyClicks(panel.dialog.attributes_edit, "green square")
    save(panel.dialog, qtbot)
    assert project.class_attributes()[UNSEEN] == ["green", "square"]
    assert UNSEEN in panel.model.names() and panel.add_edit.text() == ""
    assert dict((c.name, c.count) for c in project.classes())[UNSEEN] == 0


def test_describe_is_for_the_main_label_set_only(make_window, tmp_path, qtbot):
    window = make_window(make_zoo(tmp_path, per_class=1, describe=False))
    window.show_page("label")
    panel = window.pages["label"].classes
    labels = window.services.labels
    assert panel.describe_button.isVisible()
    labels.add_label_set("shiny")
    assert labels.active_set == "shiny" and not panel.describe_button.isVisible()
    assert not panel.new_described_button.isVisible()


@pytest.fixture
def zoo_window(make_window, tmp_path):
    return make_window(make_zoo(tmp_path))


def test_the_zeroshot_mode_builds_a_current_run_that_knows_a_class_by_description(zoo_window, qtbot):
    window = zoo_window
    page = window.pages["train"]
    training, runs = window.services.training, window.services.runs
    window.show_page("train")
    qtbot.waitUntil(lambda: page.picker.current_spec() is not None, timeout=20000)
    settings = page.settings
    settings.mode.setCurrentIndex(settings.mode.findData("zeroshot"))
    assert settings.mode.currentText() == "Zero-shot (by attributes)"
    assert page.start_button.text() == "Build zero-shot model"
    assert page.plot_stack.currentWidget() is page.zeroshot
    assert not settings.epochs.isEnabled() and settings.mode.isEnabled()
    assert "no examples: by description alone" in page.zeroshot.described.text()

    with qtbot.waitSignal(training.finished, timeout=120000):
        qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
        assert not page.start_button.isEnabled() and page.stop_button.isEnabled()  # Stop works while it embeds
        assert page.status_label.text() == "Building the zero-shot model…"
    assert page.status_label.text().startswith("Zero-shot model ready in "), page.log.lines
    assert "6 classes, 1 known by description alone" in page.status_label.text()
    assert page.history.tree.topLevelItemCount() == 1
    row = page.history.tree.topLevelItem(0)
    assert row.text(2) == "zeroshot" and row.text(3) == "completed"
    info = runs.info(runs.current)
    assert info is not None and info.mode == "zeroshot" and info.has_model and row.data(0, Qt.ItemDataRole.UserRole) == info.id
    summary = page.zeroshot
    assert summary.by_description.isVisible()
    assert f"Recognises <b>{UNSEEN}</b> by description alone." == summary.by_description.text()
    assert "red circle" in summary.learnt.text() and UNSEEN not in summary.learnt.text()
    assert not summary.flat.isVisible()  # every colour and shape varies among the classes with examples
    assert page.start_button.isEnabled()


def test_the_zeroshot_mode_says_so_when_fewer_than_two_classes_are_described(make_window, tmp_path, qtbot):
    window = make_window(make_zoo(tmp_path, per_class=1, describe=False))
    window.services.labels.describe_class("red circle", "red circle")
    page = window.pages["train"]
    window.show_page("train")
    qtbot.waitUntil(lambda: page.picker.current_spec() is not None, timeout=20000)
    page.settings.mode.setCurrentIndex(page.settings.mode.findData("zeroshot"))
    assert "Only 'red circle' is described." in page.zeroshot.described.text()
    with qtbot.waitSignal(window.services.training.finished, timeout=30000):
        page.start()
    assert page.status_label.text() == "The zero-shot model could not be built."
    assert any("Describe at least two classes" in line and "Only 'red circle' is described" in line
               for line in page.log.lines)
    assert window.services.runs.runs() == []


def test_a_stopped_zeroshot_build_saves_nothing(tmp_path):
    """core's side of Stop: the feature extraction checks should_stop between batches."""
    from core.run_catalogue import list_runs
    from core.zeroshot import zeroshot_run
    from tests.helpers.coloured_shapes import zoo_projects

    project, held = zoo_projects(tmp_path, "green square")
    try:
        assert zeroshot_run(project, should_stop=lambda: True).status == "cancelled"
        assert list_runs(project) == []
    finally:
        project.close()
        held.close()
