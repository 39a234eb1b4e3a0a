import sqlite3

import numpy as np
import pytest

from core.audio.segment import SegmentSettings, detect_activity, fixed_windows
from core.errors import UsageError
from core.importer import import_files
from core.project import Project
from core.project import schema
from tests.helpers.media_factory import tone, write_audio
from tests.helpers.speech import recording, require_espeak

WORDS = ["yes", "no", "stop", "go", "left", "right"]


def test_fixed_windows():
    assert fixed_windows(3.0, 1.0) == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
    assert fixed_windows(3.6, 1.0)[-1] == (2.6, 3.6)  # a long enough tail gets its own window
    assert len(fixed_windows(3.3, 1.0)) == 3  # a short tail does not
    assert fixed_windows(0.4, 1.0) == [(0.0, 0.4)]
    assert fixed_windows(2.0, 1.0, 0.5) == [(0.0, 1.0), (0.5, 1.5), (1.0, 2.0)]


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_words_separated_by_silence_become_one_segment_each(tmp_path, noise):
    require_espeak()
    wave, truth = recording(WORDS, noise=noise)
    path = write_audio(tmp_path / "words.wav", wave, 16000)
    segments = detect_activity(path)
    assert len(segments) == len(WORDS)
    for (word, start, end), (s, e) in zip(truth, segments):
        assert s <= start + 0.05 and e >= end - 0.05, (word, start, end, s, e)  # each covers its word


def test_tones_in_noise_and_long_stretches_are_cut(tmp_path):
    sr = 16000
    rng = np.random.default_rng(1)
    quiet = lambda s: rng.normal(0, 0.003, int(s * sr)).astype(np.float32)  # noqa: E731
    wave = np.concatenate([quiet(1), tone(440, 0.5, sr), quiet(1), tone(660, 3.0, sr), quiet(1)])
    path = write_audio(tmp_path / "tones.flac", wave, sr)
    segments = detect_activity(path, SegmentSettings(max_length=2.0))
    assert len(segments) == 3  # the short tone, then the 3 s tone cut into 2 s + the rest
    assert segments[1][1] - segments[1][0] == pytest.approx(2.0)


def test_settings_parse_as_typed():
    assert SegmentSettings.parse("fixed:1.5:0.5") == SegmentSettings(method="fixed", length=1.5, hop=0.5)
    assert SegmentSettings.parse("activity:0.2").padding == 0.2
    with pytest.raises(UsageError, match="fixed:LENGTH"):
        SegmentSettings.parse("sliced")
    # the app's cut dialog stops at 0.1 s long and 0.05 s apart; fixed:0.001 made 1,300 samples of 1.3 s
    with pytest.raises(UsageError, match=r"at least 0.1 s long and at least 0.05 s apart \(not 0.001 s\)"):
        SegmentSettings.parse("fixed:0.001")
    with pytest.raises(UsageError, match=r"\(not 1 s every 0.01 s\)"):
        SegmentSettings.parse("fixed:1:0.01")
    with pytest.raises(UsageError, match="padding around a segment cannot be negative"):
        SegmentSettings.parse("activity:-1")
    assert SegmentSettings.parse("fixed:0.1:0.05").length == 0.1


def test_import_cuts_recordings_and_segments_read_back(audio_project, tmp_path):
    require_espeak()
    wave, truth = recording(WORDS[:4])
    write_audio(tmp_path / "src" / "speech" / "words.wav", wave, 16000)
    write_audio(tmp_path / "src" / "speech" / "silence.wav", np.zeros(16000, np.float32), 16000)
    report = import_files(audio_project, [tmp_path / "src"], segment=SegmentSettings())
    assert report.added == 4 and report.labelled == 4
    assert [r.reason for r in report.rejected] == ["no sound found to cut into segments (the recording is silent)"]
    samples = audio_project.samples()
    assert all(s.is_segment and s.label == "speech" for s in samples)
    assert len({s.source_hash for s in samples}) == 1
    first = samples[0]
    clip = audio_project.read_audio(first, 16000)
    assert len(clip) == pytest.approx((first.end - first.start) * 16000, abs=2)
    assert "words.wav [" in first.display_name
    assert audio_project.segments_of(first.source_hash) == samples
    again = import_files(audio_project, [tmp_path / "src" / "speech" / "words.wav"], segment=SegmentSettings())
    assert again.added == 0 and len(again.duplicates) == 1  # the recording is known


def test_fixed_segmenting_from_the_cli(tmp_path, capsys):
    from core.cli import main

    write_audio(tmp_path / "long.wav", tone(300, 5.0), 16000)
    main(["new", str(tmp_path / "p"), "--task", "audio"])
    assert main(["import", str(tmp_path / "p"), str(tmp_path / "long.wav"), "--segment", "fixed:1", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"added": 5' in out


def test_segmenting_an_image_project_is_refused(image_project, tmp_path):
    with pytest.raises(UsageError, match="Only audio projects"):
        import_files(image_project, [tmp_path], segment=SegmentSettings())


def test_a_version_1_project_is_upgraded_in_place(tmp_path):
    """Projects made before segments existed open, keep their data, and gain the new columns."""
    Project.create(tmp_path / "p", "audio").close()
    conn = sqlite3.connect(tmp_path / "p" / "project.db")  # rebuild it as version 1 would have made it
    conn.execute("DROP INDEX samples_by_source")
    conn.execute("DROP TABLE recordings")
    for column in ("source_hash", "seg_start", "seg_end"):
        conn.execute(f"ALTER TABLE samples DROP COLUMN {column}")
    conn.execute("ALTER TABLE classes DROP COLUMN attributes")  # added by format 3
    for table in ("set_labels", "set_classes", "label_sets"):  # added by format 4
        conn.execute(f"DROP TABLE {table}")
    conn.execute("ALTER TABLE samples DROP COLUMN text_head")  # added by format 5
    conn.execute("INSERT INTO classes (name, position, created_at) VALUES ('old', 0, 0)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Project.open(tmp_path / "p") as project:
        assert schema.db_version(project.conn) == schema.SCHEMA_VERSION
        assert project.class_names() == ["old"]
        assert project.samples() == []
        assert project.conn.execute("SELECT COUNT(*) FROM recordings").fetchone()[0] == 0
        assert project.set_class_attributes("old", ["Quiet"]) == ["quiet"]
        assert project.label_sets() == [] and project.add_label_set("loud") == "loud"
    assert (tmp_path / "p" / "project.db.v1.bak").is_file()


def test_a_whole_recording_in_the_project_is_cut_into_samples_and_the_cut_undone(tmp_path):
    """'Cut into samples…' in the app: the file becomes a recording, each span a sample with the
    file's label; undo gives the whole file back with its label and split."""
    from core.audio.segment import SegmentSettings, segment_recording
    from core.importer import import_files
    from core.project import Project
    from tests.helpers.media_factory import tone, write_audio

    wave = np.concatenate([np.zeros(8000), tone(440, 0.5), np.zeros(8000), tone(880, 0.5), np.zeros(8000)])
    wav = write_audio(tmp_path / "words" / "speech" / "two.wav", wave.astype(np.float32), 16000)
    with Project.create(tmp_path / "p", "audio") as p:
        import_files(p, [tmp_path / "words"], labels="folder")
        (whole,) = p.samples()
        settings = SegmentSettings(method="activity")
        spans = segment_recording(p.path_of(whole), settings, whole.duration)
        assert len(spans) == 2
        cut = p.cut_sample(whole.id, spans, settings)
        segments = p.samples()
        assert [s.id for s in segments] == list(cut.segment_ids) and all(s.is_segment for s in segments)
        assert {s.label for s in segments} == {"speech"} and all(s.split for s in segments)
        assert [s.source_hash for s in segments] == [whole.hash] * 2
        assert p.conn.execute("SELECT segmenting FROM recordings").fetchone()[0].startswith('{"method": "activity"')
        # the same file imported again is a duplicate of the recording, not a new sample
        assert import_files(p, [wav], labels="none").added == 0

        assert p.undo_cut(cut) == [whole.id]
        assert p.samples() == [whole]
        assert p.conn.execute("SELECT COUNT(*) FROM recordings").fetchone()[0] == 0


def test_what_cannot_be_cut_is_said(tmp_path):
    from core.errors import ProjectError
    from core.importer import import_files
    from core.project import Project
    from tests.helpers.media_factory import tone, write_audio

    write_audio(tmp_path / "in" / "a.wav", tone(440, 1.0), 16000)
    with Project.create(tmp_path / "p", "audio") as p:
        import_files(p, [tmp_path / "in"], labels="none")
        (sample,) = p.samples()
        with pytest.raises(ProjectError, match="No segments to cut from a.wav"):
            p.cut_sample(sample.id, [])
        cut = p.cut_sample(sample.id, [(0, 0.5), (0.5, 1.0)])
        with pytest.raises(ProjectError, match=r"a.wav \[0.00-0.50s\] is already a segment"):
            p.cut_sample(cut.segment_ids[0], [(0, 0.2)])


def test_an_import_cuts_only_recordings_longer_than_asked(tmp_path):
    from core.audio.segment import SegmentSettings, find_long_recordings
    from core.importer import import_files
    from core.project import Project
    from tests.helpers.media_factory import tone, write_audio

    write_audio(tmp_path / "in" / "yes" / "short.wav", tone(440, 1.0), 16000)
    write_audio(tmp_path / "in" / "yes" / "long.wav", tone(440, 8.0), 16000)
    (tmp_path / "in" / "notes.txt").write_text("not audio")
    assert find_long_recordings([tmp_path / "in"], longer_than=5.0) == [(str(tmp_path / "in" / "yes" / "long.wav"), 8.0)]
    with Project.create(tmp_path / "p", "audio") as p:
        settings = SegmentSettings(method="fixed", length=2.0, longer_than=5.0)
        import_files(p, [tmp_path / "in"], labels="folder", segment=settings)
        samples = p.samples()
        whole = [s for s in samples if not s.is_segment]
        assert [s.display_name for s in whole] == ["short.wav"] and len(samples) == 5
        assert {s.label for s in samples} == {"yes"}
