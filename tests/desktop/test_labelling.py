"""Keyboard-first labelling as a person does it: create, drop, number keys, undo, close, reopen."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.project import Project
from desktop.widgets.classes_panel import delete_question
from tests.desktop.conftest import activate, drop_paths
from tests.helpers.media_factory import shape_image, write_image

N_FILES = 24


def _flat_folder(root, n=N_FILES):
    for i in range(n):
        write_image(root / f"pic{i:02}.png", shape_image(("circle", "square", "triangle")[i % 3], size=32, seed=i),
                    fmt="PNG")
    return root


def _create_project_through_the_ui(qtbot, window, where, name="Shapes"):
    qtbot.mouseClick(window.pages["home"].new_button, Qt.MouseButton.LeftButton)
    dialog = window.services.projects.dialog
    qtbot.keyClicks(dialog.name_edit, name)
    dialog.location_edit.setText(str(where))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    project = window.services.session.project
    assert project is not None and project.name == name
    activate(qtbot, window)  # the dialog has closed: the window is active again
    return project.root


def test_label_twenty_with_number_keys_undo_three_close_and_reopen(qtbot, tmp_path, make_window):
    window = make_window()
    root = _create_project_through_the_ui(qtbot, window, tmp_path)
    with qtbot.waitSignal(window.services.imports.finished, timeout=30000):
        drop_paths(window, [_flat_folder(tmp_path / "pics")])
    labels = window.services.labels
    for name in ("circle", "square", "triangle"):
        assert labels.add_class(name)

    qtbot.mouseClick(window.nav.buttons["label"], Qt.MouseButton.LeftButton)
    page = window.pages["label"]
    assert page.model.rowCount() == N_FILES
    assert [c.shortcut for c in page.classes.model._classes] == ["1", "2", "3"]
    strip = page.strip
    strip.setFocus()
    ids = page.model.ids()
    assert page.current_id() == ids[0]  # the first unlabelled sample

    expected = {}
    for i in range(20):
        key = (i % 3) + 1
        assert page.current_id() == ids[i]  # each key moved on to the next unlabelled sample
        qtbot.keyClick(strip, getattr(Qt.Key, f"Key_{key}"))
        expected[ids[i]] = ("circle", "square", "triangle")[key - 1]
    assert page.current_id() == ids[20]
    assert page.classes.model.class_at(0).count == 7  # counts update live
    qtbot.waitUntil(lambda: "20 of 24 labelled" in page.progress_label.text(), timeout=3000)  # counts settle

    for _ in range(3):
        qtbot.keyClick(strip, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    for sample_id in ids[17:20]:
        expected.pop(sample_id)
    assert page.current_id() == ids[17]  # undo takes you back to what it undid
    project = window.services.session.project
    assert {i: n for i, n in project.labels_of(ids).items() if n} == expected

    # redo once and undo again through the menu's shortcut: the stack stays consistent
    qtbot.keyClick(strip, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert project.labels_of([ids[17]])[ids[17]] == "triangle"
    qtbot.keyClick(strip, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.labels_of([ids[17]])[ids[17]] is None
    current = page.current_id()
    window.close()

    with Project.open(root) as reopened:  # saved at once, lock released
        assert {i: n for i, n in reopened.labels_of(ids).items() if n} == expected

    again = make_window(root)
    qtbot.mouseClick(again.nav.buttons["label"], Qt.MouseButton.LeftButton)
    page2 = again.pages["label"]
    assert page2.current_id() == current == ids[17]
    project2 = again.services.session.project
    assert {i: n for i, n in project2.labels_of(ids).items() if n} == expected


def test_select_several_and_label_them_at_once_then_clear_with_zero(qtbot, tmp_path, make_window):
    _flat_folder(tmp_path / "pics", 8)
    with Project.create(tmp_path / "p", "image") as project:
        from core.importer import import_files

        import_files(project, [tmp_path / "pics"])
        project.add_class("a")
        project.add_class("b")
    window = make_window(tmp_path / "p")
    window.show_page("label")
    page = window.pages["label"]
    strip = page.strip
    strip.setFocus()
    ids = page.model.ids()
    assert page.current_id() == ids[0]
    qtbot.keyClick(strip, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(strip, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert page.selected_ids() == ids[:3]
    qtbot.keyClick(strip, Qt.Key.Key_2)
    project = window.services.session.project
    assert [project.labels_of([i])[i] for i in ids[:4]] == ["b", "b", "b", None]
    assert page.current_id() == ids[3]
    assert window.services.labels.undo_stack.count() == 1  # one edit for the batch

    qtbot.keyClick(strip, Qt.Key.Key_Left)
    assert page.current_id() == ids[2]
    qtbot.keyClick(strip, Qt.Key.Key_0)
    assert project.labels_of([ids[2]])[ids[2]] is None
    assert page.current_id() == ids[2]  # clearing stays put
    qtbot.keyClick(strip, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.labels_of([ids[2]])[ids[2]] == "b"

    # a key with no class says so, and nothing changes
    qtbot.keyClick(strip, Qt.Key.Key_7)
    assert "No class has the key 7" in window.banner.text_label.text()


def test_class_edits_update_the_panel_and_the_grid(qtbot, tmp_path, make_window):
    _flat_folder(tmp_path / "pics", 6)
    with Project.create(tmp_path / "p", "image") as project:
        from core.importer import import_files

        import_files(project, [tmp_path / "pics"])
        ids = [s.id for s in project.samples()]
        project.set_label(ids[:4], "cat")
    window = make_window(tmp_path / "p")
    labels = window.services.labels
    panel = window.pages["label"].classes
    assert panel.model.class_at(0).name == "cat" and panel.model.class_at(0).count == 4
    assert delete_question("cat", 4) == ("Delete the class 'cat'? Its 4 samples become unlabelled. "
                                          "Labelled files stay in the project.")
    labels.rename_class("cat", "kitten")
    assert panel.model.names() == ["kitten"]
    grid = window.pages["data"].grid_model
    assert grid.sample_at(grid.row_of(ids[0])).label == "kitten"
    labels.add_class("dog")
    labels.merge_classes(["kitten"], "dog")
    assert panel.model.names() == ["dog"] and panel.model.class_at(0).count == 4
    assert labels.delete_class("dog") == 4
    assert panel.model.rowCount() == 0 and panel.empty.isVisibleTo(panel)
    assert "4 samples are now unlabelled" in window.banner.text_label.text()
