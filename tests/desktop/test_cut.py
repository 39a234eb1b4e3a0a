"""Cutting long recordings in the app: in the import flow (with a preview of the cuts on the
waveform) and "Cut into samples…" on a recording already imported (undoable)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Qt
from PySide6.QtWidgets import QApplication

from desktop.widgets.cut_dialog import CutDialog
from tests.desktop.conftest import drop_paths
from tests.helpers.media_factory import tone, write_audio


def words_recording(path, words=4, rate=16000):
    """``words`` tones of 0.4 s with 1 s of silence around each: activity finds one cut per tone."""
    parts = [np.zeros(rate, np.float32)]
    for k in range(words):
        parts += [tone(300 + 200 * k, 0.4, rate), np.zeros(rate, np.float32)]
    return write_audio(path, np.concatenate(parts).astype(np.float32), rate)


def operate_cut_dialog(qtbot, steps, seen):
    """When the cut dialog opens, wait for its preview, then run ``steps(dialog)`` as a person would."""
    def look():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, CutDialog):
            QTimer.singleShot(20, look)
            return
        qtbot.waitUntil(lambda: dialog.cut_button.isEnabled() and dialog.preview.picture() is not None, timeout=10000)
        seen.append(dialog)
        try:
            steps(dialog)
        finally:
            if dialog.isVisible():  # a failed check must not leave the test waiting on the dialog
                dialog.reject()
    QTimer.singleShot(0, look)


def test_an_import_with_a_long_recording_offers_cuts_previewed_on_its_waveform(make_window, qtbot, tmp_path):
    from core.project import Project

    Project.create(tmp_path / "p", "audio").close()
    words_recording(tmp_path / "in" / "yes" / "long.wav", words=4)  # 6.6 s
    write_audio(tmp_path / "in" / "yes" / "short.wav", tone(500, 0.5), 16000)
    window = make_window(tmp_path / "p")
    seen = []

    def choose_fixed_windows(dialog):
        assert dialog.files.isHidden()  # one long recording: no list of them
        assert len(dialog.preview.spans()) == 4 and "4 cuts in long.wav" in dialog.preview_note.text()
        assert dialog.cut_button.text() == "Cut into 4 samples"
        dialog.fixed.setChecked(True)
        dialog.length.setValue(2.0)
        dialog.hop.setValue(2.0)
        qtbot.waitUntil(lambda: dialog.cut_button.text() == "Cut into 3 samples", timeout=10000)
        assert [(s.start, s.end) for s in dialog.preview.spans()] == [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0)]
        qtbot.mouseClick(dialog.cut_button, Qt.MouseButton.LeftButton)

    operate_cut_dialog(qtbot, choose_fixed_windows, seen)
    drop_paths(window, [tmp_path / "in"])
    assert seen, "no cut dialog was shown"
    imports = window.services.imports
    qtbot.waitUntil(lambda: not imports.is_running and imports.last_report is not None, timeout=20000)
    project = window.services.session.project
    samples = project.samples()
    assert sorted(s.display_name for s in samples) == [
        "long.wav [0.00-2.00s]", "long.wav [2.00-4.00s]", "long.wav [4.00-6.00s]", "short.wav"]
    assert {s.label for s in samples} == {"yes"}  # the folder's label on every cut


def test_import_whole_keeps_the_recording_one_sample(make_window, qtbot, tmp_path):
    from core.project import Project

    Project.create(tmp_path / "p", "audio").close()
    wav = words_recording(tmp_path / "long.wav", words=3)
    window = make_window(tmp_path / "p")
    seen = []
    operate_cut_dialog(qtbot, lambda d: qtbot.mouseClick(d.whole_button, Qt.MouseButton.LeftButton), seen)
    assert window.services.imports.start([wav], labels="none")
    qtbot.waitUntil(lambda: window.services.imports.last_report is not None, timeout=20000)
    assert [s.is_segment for s in window.services.session.project.samples()] == [False]


def test_cut_into_samples_on_an_imported_recording_and_undo(make_window, qtbot, tmp_path):
    from core.importer import import_files
    from core.project import Project

    words_recording(tmp_path / "in" / "speech" / "talk.wav", words=3)
    with Project.create(tmp_path / "p", "audio") as project:
        import_files(project, [tmp_path / "in"], labels="folder")
    window = make_window(tmp_path / "p")
    page = window.pages["label"]
    window.show_page("label")
    detail = page.detail
    (whole,) = window.services.session.project.samples()
    assert detail.sample.id == whole.id and detail.cut_button.isVisible()
    seen = []
    operate_cut_dialog(qtbot, lambda d: qtbot.mouseClick(d.cut_button, Qt.MouseButton.LeftButton), seen)
    qtbot.mouseClick(detail.cut_button, Qt.MouseButton.LeftButton)
    assert seen and seen[0].whole_button is None  # nothing to import: no "Import whole"
    project = window.services.session.project
    segments = project.samples()
    assert len(segments) == 3 and all(s.is_segment and s.label == "speech" for s in segments)
    assert page.model.rowCount() == 3 and detail.sample.id == segments[0].id
    assert not detail.cut_button.isVisible()  # a segment cannot be cut again

    window.undo_action.trigger()
    assert project.samples() == [whole] and detail.sample.id == whole.id
    window.redo_action.trigger()
    assert len(project.samples()) == 3


def test_silence_gives_nothing_to_cut_and_long_durations_are_in_minutes(qtbot, tmp_path):
    seconds = 75.0
    wav = write_audio(tmp_path / "a.wav", np.zeros(int(seconds * 8000), np.float32), 8000)
    dialog = CutDialog(None, [(wav, seconds)], importing=True)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "No sound found" in dialog.summary.text(), timeout=10000)
    assert not dialog.cut_button.isEnabled()  # silence: nothing to cut
    assert "1 min 15 s" in dialog.intro.text()
