"""Sound: the player loads real files offscreen and runs to their end; Space plays the current
sample on the Label, Data, Evaluate and Play pages; a segment plays only its own span."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt

from desktop.widgets.audio_player import AudioPlayer
from tests.helpers.media_factory import tone, write_audio

pytestmark = pytest.mark.skipif(not AudioPlayer.available, reason="this PySide6 lacks QtMultimedia")


def reached_end(qtbot, player, timeout=10000):
    qtbot.waitUntil(lambda: player.status == "end", timeout=timeout)


def test_the_player_loads_a_file_and_plays_it_to_its_end(qtbot, tmp_path):
    wav = write_audio(tmp_path / "beep.wav", tone(660, 0.3), 16000)
    player = AudioPlayer()
    statuses, positions = [], []
    player.status_changed.connect(statuses.append)
    player.position_changed.connect(positions.append)
    player.play(wav)
    reached_end(qtbot, player)
    assert "loaded" in statuses and statuses.index("loaded") < statuses.index("end")
    assert positions and max(positions) == pytest.approx(0.3, abs=0.08)
    assert not player.is_playing()


def test_a_broken_file_is_said_in_a_sentence_naming_it(qtbot, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    player = AudioPlayer()
    failures = []
    player.failed.connect(failures.append)
    player.play(bad)
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert failures[0].startswith("Cannot play broken.wav:")


@pytest.fixture
def recording_window(make_window, tmp_path):
    """A 3 s recording cut into three 1 s segments: 220 Hz, 880 Hz, 3520 Hz (each span is its own tone)."""
    from core.audio.segment import SegmentSettings
    from core.importer import import_files
    from core.project import Project

    wave = np.concatenate([tone(f, 1.0) for f in (220, 880, 3520)]).astype(np.float32)
    wav = write_audio(tmp_path / "three.wav", wave, 16000)
    write_audio(tmp_path / "short" / "click.wav", tone(1000, 0.2), 16000)
    with Project.create(tmp_path / "proj", "audio") as project:
        import_files(project, [wav], segment=SegmentSettings(method="fixed", length=1.0))
        import_files(project, [tmp_path / "short"], labels="none")
    return make_window(tmp_path / "proj"), wave


def dominant_hz(wave, rate=16000):
    spectrum = np.abs(np.fft.rfft(wave))
    return np.argmax(spectrum) * rate / len(wave)


def test_space_on_the_label_page_plays_only_the_current_segments_span(recording_window, qtbot):
    window, wave = recording_window
    page = window.pages["label"]
    window.show_page("label")
    project = window.services.session.project
    middle = next(s for s in project.samples() if s.is_segment and s.start == pytest.approx(1.0))
    page.go_to_row(page.model.row_of(middle.id))
    assert page.detail.sample.id == middle.id
    player = page.detail.player
    positions = []
    player.position_changed.connect(positions.append)
    qtbot.keyClick(page.strip, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.status in ("loaded", "playing", "end"), timeout=10000)
    reached_end(qtbot, player)
    clip, rate = sf.read(player.source(), dtype="float32")
    assert len(clip) == 16000 and rate == 16000  # one second: the span, not the whole recording
    assert dominant_hz(clip) == pytest.approx(880, abs=5)
    assert np.allclose(clip, wave[16000:32000], atol=2e-4)  # 16-bit WAV of the same samples
    # positions are times in the whole recording, so the playhead sits on the segment
    assert positions and 1.0 <= min(positions) and max(positions) <= 2.0 + 1e-6
    assert page.detail.play_button.text() == "Play"  # back from "Stop" at the end


def test_space_on_the_data_page_plays_a_whole_file(recording_window, qtbot):
    window, _wave = recording_window
    page = window.pages["data"]
    window.show_page("data")
    project = window.services.session.project
    click = next(s for s in project.samples() if not s.is_segment)
    page.grid.setCurrentIndex(page.grid_model.index(page.grid_model.row_of(click.id)))
    page.grid.setFocus()
    qtbot.keyClick(page.grid, Qt.Key.Key_Space)
    player = page.detail.player
    reached_end(qtbot, player)
    assert player.source() == str(project.path_of(click))  # the media file itself, no clip
    # no sound output offscreen: the page says so, and only that
    from desktop.widgets.audio_player import has_output

    if not has_output():
        assert "No sound output" in page.detail.no_playback.text() and page.detail.no_playback.isVisibleTo(page)


def test_space_plays_a_mistake_on_the_evaluate_page_and_a_file_on_the_play_page(tone_model_window, qtbot, tmp_path):
    window = tone_model_window
    page = window.pages["evaluate"]
    window.show_page("evaluate")
    qtbot.waitUntil(lambda: page.view is not None and page.gallery.count() > 0, timeout=30000)
    page.gallery.setFocus()
    page.gallery.setCurrentRow(0)
    qtbot.keyClick(page.gallery, Qt.Key.Key_Space)
    reached_end(qtbot, page.player)
    sample = page.view.samples[page.gallery.ids()[0]]
    assert page.player.source() == str(window.services.session.project.path_of(sample))
    assert "Space plays it" in page.keys_hint.text()

    play = window.pages["play"]
    window.show_page("play")
    new = write_audio(tmp_path / "new_low.wav", tone(210, 0.3), 16000)
    assert play.predict([str(new)])
    qtbot.waitUntil(lambda: len(play.cards) == 1, timeout=60000)
    card = play.cards[0]
    assert card.play_button is not None
    play.setFocus()
    qtbot.keyClick(play, Qt.Key.Key_Space)
    reached_end(qtbot, play.player)
    assert play.player.source() == str(new)
    assert card.play_button.text() == "Play"


def test_space_and_delete_in_the_search_field_edit_the_text(recording_window, qtbot):
    """The page's Space (play) and Delete (delete samples) keys leave a text field alone."""
    window, _wave = recording_window
    page = window.pages["data"]
    window.show_page("data")
    project = window.services.session.project
    count = project.count()
    search = page.filters.search_edit
    search.setFocus()
    qtbot.keyClicks(search, "thr e")
    qtbot.keyClick(search, Qt.Key.Key_Home)
    qtbot.keyClick(search, Qt.Key.Key_Delete)
    assert search.text() == "hr e"
    assert page.detail.player.status == "stopped" and project.count() == count


def test_a_recording_damaged_in_the_project_is_a_sentence_in_the_detail_and_when_played(make_window, qtbot, tmp_path):
    """A media file that no longer decodes (damaged on disk after import): the detail said 'Something
    unexpected went wrong ... LibsndfileError ... help a bug report', and Play named the media file's
    hash instead of the sample. Moving on to a good sample still works."""
    from core.importer import import_files
    from core.project import Project

    write_audio(tmp_path / "in" / "low" / "hum.wav", tone(300, 0.5), 16000)
    write_audio(tmp_path / "in" / "low" / "drone.wav", tone(320, 0.5), 16000)
    with Project.create(tmp_path / "p", "audio") as project:
        import_files(project, [tmp_path / "in"], labels="folder")
        hum = next(s for s in project.samples() if s.display_name == "hum.wav")
        project.path_of(hum).write_bytes(b"garbage, not a sound")
    window = make_window(tmp_path / "p")
    page = window.pages["label"]
    window.show_page("label")
    page.go_to_row(page.model.row_of(hum.id))
    detail = page.detail
    assert detail.sample.id == hum.id
    qtbot.waitUntil(lambda: "cannot" in detail.wave_view.message or "wrong" in detail.wave_view.message, timeout=10000)
    message = detail.wave_view.message
    assert message.startswith("hum.wav cannot be shown: not a readable audio file"), message
    assert "unexpected" not in message and "bug report" not in message
    failures = []
    detail.player.failed.connect(failures.append)
    qtbot.keyClick(page.strip, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert failures[0].startswith("Cannot play hum.wav:"), failures
    assert hum.hash not in detail.no_playback.text()
    drone = next(s for s in window.services.session.project.samples() if s.display_name == "drone.wav")
    page.go_to_row(page.model.row_of(drone.id))
    qtbot.waitUntil(lambda: detail.wave_view.picture() is not None, timeout=10000)
    qtbot.keyClick(page.strip, Qt.Key.Key_Space)
    reached_end(qtbot, detail.player)
