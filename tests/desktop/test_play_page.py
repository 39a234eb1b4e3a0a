"""The Play page on audio: a long recording shows merged events with times, a threshold, hover
details, an event list and silence; a clip too short to judge says so; an audio project without a
background class is offered one, taken from the quiet parts of its recordings."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.media_factory import tone, write_audio

RATE = 16000


def tones_with_silence(path, freqs=(200, 2500, 200), gap=1.0, length=0.3, noise=0.0):
    rng = np.random.default_rng(1)
    parts, centres, t = [np.zeros(int(gap * RATE), np.float32)], [], gap
    for f in freqs:
        parts += [tone(f, length, RATE, amp=0.5), np.zeros(int(gap * RATE), np.float32)]
        centres.append(t + length / 2)
        t += length + gap
    wave = np.concatenate(parts)
    if noise:
        wave = wave + rng.normal(0, noise, wave.shape).astype(np.float32)
    return write_audio(path, wave.astype(np.float32), RATE), centres


def test_a_long_recording_shows_events_with_times_silence_and_hover(tone_model_window, qtbot, tmp_path):
    window = tone_model_window
    play = window.pages["play"]
    window.show_page("play")
    wav, centres = tones_with_silence(tmp_path / "three_tones.wav", gap=2.0)  # gaps longer than a window
    assert play.predict([str(wav)])
    qtbot.waitUntil(lambda: len(play.cards) == 1, timeout=60000)
    view = play.cards[0].long_view
    assert view is not None and play.cards[0].no_answer is None
    view.threshold.setValue(30)
    events = view.events
    assert len(events) == 3  # one per tone: windows merged, silence between them never an event
    for ev, centre in zip(events, centres):
        assert abs(ev.time - centre) <= 0.5 and ev.start < centre < ev.end  # within half a 1 s window
    assert view.table.rowCount() == 3 and view.table.item(0, 1).text() == events[0].label
    assert view.summary.text().startswith("3 events: ") and "s silent" in view.summary.text()
    assert len(view.chart.regions) == 3  # drawn as three regions, not a name per window

    # hover: the model's view of the window under the pointer; silence says so
    assert "silence" in view.chart.describe(1.0)
    busy = view.chart.describe(centres[1])
    assert busy.startswith(f"{centres[1]:.2f} s · ") and "%" in busy

    view.threshold.setValue(99)  # a higher threshold keeps only what reaches it
    assert all(e.confidence >= 0.99 for e in view.events) and len(view.events) <= 3
    assert view.table.rowCount() == len(view.events)
    probs = view.long.scan.probs
    probs[:] = 1.0 / probs.shape[1]  # a model unsure everywhere: no events, said in words
    view.refresh()
    assert view.events == [] and view.summary.text().startswith("No events at this threshold")
    assert not view.table.isVisibleTo(view)


def test_the_chart_follows_the_theme_and_a_short_clip_reads_in_seconds(tone_model_window, qtbot, tmp_path):
    from desktop import theme

    window = tone_model_window
    play = window.pages["play"]
    window.show_page("play")
    clip = write_audio(tmp_path / "clip.wav", tone(200, 0.7, RATE), RATE)
    blip = write_audio(tmp_path / "blip.wav", tone(200, 0.03, RATE), RATE)
    assert play.predict([str(clip), str(blip)])
    qtbot.waitUntil(lambda: len(play.cards) == 2, timeout=60000)
    card, blip_card = play.cards
    assert blip_card.no_answer.text() == "No answer: 0.03 s is too short to judge (this model needs at least 0.10 s)."
    chart = card.chart
    axis = chart.getPlotItem().getAxis("bottom")
    assert ">seconds" in axis.labelString() and "x0.001" not in axis.labelString()
    assert axis.autoSIPrefix is False
    window.services.themes.set_choice("light")
    light = chart.backgroundBrush().color().name()
    window.services.themes.set_choice("dark")
    qtbot.waitUntil(lambda: chart.backgroundBrush().color().name() == theme.COLORS["dark"]["base"], timeout=3000)
    assert light == theme.COLORS["light"]["base"]


def test_an_audio_project_without_background_gets_one_in_a_click(make_window, qtbot, tmp_path):
    from core.audio.segment import SegmentSettings
    from core.importer import import_files
    from core.project import Project

    wav, _centres = tones_with_silence(tmp_path / "rec" / "talk.wav", freqs=(300, 600, 900, 1200), gap=2.0, noise=0.002)
    with Project.create(tmp_path / "p", "audio") as project:
        import_files(project, [wav], segment=SegmentSettings(method="activity"))
        segments = project.samples()
        project.set_labels([(s.id, "tone") for s in segments])
    window = make_window(tmp_path / "p")
    play = window.pages["play"]
    window.show_page("play")
    assert play.background_note.isVisible()
    play.background_note.add_button.click()
    project = window.services.session.project
    background = project.samples(label="background")
    assert len(background) >= 4 and "background" in project.class_names()
    assert not play.background_note.isVisible()
    for b in background:  # quiet parts only: clear of every tone segment
        assert b.is_segment and all(b.end <= s.start or b.start >= s.end for s in segments)
        wave = project.read_audio(b)
        assert np.abs(wave).max() < 0.02
    window.undo_action.trigger()
    assert "background" not in project.class_names() and project.count() == len(segments)
    assert play.background_note.isVisible()


@pytest.mark.parametrize("names, has", [(["yes", "no"], False), (["yes", "Silence"], True), (["_background_noise_"], True)])
def test_background_like_classes_are_recognised(names, has):
    from core.audio.quiet import has_quiet_class

    assert has_quiet_class(names) is has

