"""A segment of a long recording shows the whole recording with every segment marked on it."""

from __future__ import annotations

import pytest


@pytest.fixture
def segmented(make_window, tmp_path):
    from core.audio.segment import SegmentSettings
    from core.importer import import_files
    from core.project import Project
    from tests.helpers.media_factory import tone, write_audio

    wav = write_audio(tmp_path / "long.wav", tone(440.0, seconds=4.0, sr=16000), 16000)
    project = Project.create(tmp_path / "proj", "audio", "Segments")
    import_files(project, [wav], segment=SegmentSettings(method="fixed", length=1.0))
    segments = [s for s in project.samples() if s.is_segment]
    assert len(segments) == 4
    project.set_labels([(segments[0].id, "tone"), (segments[3].id, "quiet")])
    root = project.root
    project.close()
    return make_window(root), [s.id for s in segments]


def test_a_segment_shows_its_recording_with_every_segment_marked(segmented, qtbot):
    window, ids = segmented
    page = window.pages["data"]
    window.show_page("data")
    row = page.grid_model.row_of(ids[1])
    page.grid.setCurrentIndex(page.grid_model.index(row))
    detail = page.detail
    assert detail.sample.id == ids[1]
    view = detail.wave_view
    qtbot.waitUntil(lambda: view.picture() is not None, timeout=10000)
    assert view.picture().seconds == pytest.approx(4.0, abs=0.01)  # the whole recording, not the segment

    spans = view.spans()
    assert len(spans) == 4
    assert [s.sample_id for s in spans] == ids
    assert [s.current for s in spans] == [False, True, False, False]
    assert [(round(s.start, 2), round(s.end, 2)) for s in spans] == [(0, 1), (1, 2), (2, 3), (3, 4)]
    colors = window.services.labels.class_colors()
    assert spans[0].color == colors["tone"] and spans[3].color == colors["quiet"] and spans[1].color is None
    assert "segment 2 of 4" in detail.meta_label.text()
    view.grab()  # paints the spans without error

    # Another segment of the same recording: the picture is reused, the highlight moves.
    picture = view.picture()
    page.grid.setCurrentIndex(page.grid_model.index(page.grid_model.row_of(ids[3])))
    assert view.picture() is picture
    assert [s.current for s in view.spans()] == [False, False, False, True]
