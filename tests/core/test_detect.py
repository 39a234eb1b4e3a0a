import json

import numpy as np
import pytest

from core.cli import main
from core.predict import Predictor
from core.predict.detect import DetectSettings, TruthEvent, detect_file, score, smooth, Detection
from tests.helpers.contract_models import audio_model
from tests.helpers.media_factory import tone, write_audio


@pytest.fixture(scope="module")
def loudness_model(tmp_path_factory):
    return audio_model(tmp_path_factory.mktemp("m") / "loud.onnx", window_seconds=0.5)


def _recording(tmp_path, bursts, seconds=20.0, sr=16000):
    rng = np.random.default_rng(0)
    wave = rng.normal(0, 0.003, int(seconds * sr)).astype(np.float32)
    for t in bursts:
        burst = tone(500, 0.6, sr, amp=0.7)
        wave[int(t * sr) : int(t * sr) + len(burst)] += burst
    return write_audio(tmp_path / "long.wav", wave, sr)


def test_bursts_are_detected_at_their_times_and_false_triggers_counted(loudness_model, tmp_path):
    path = _recording(tmp_path, [2.0, 7.0, 12.0, 16.0])
    truth = [TruthEvent("loud", 2.0, 2.6), TruthEvent("loud", 7.0, 7.6), TruthEvent("loud", 12.0, 12.6)]  # 16 s: not a keyword
    result = detect_file(Predictor(loudness_model), path, DetectSettings(ignore=("quiet",)), truth)
    times = [d.time for d in result.detections]
    assert len(times) == 4
    for expected, got in zip([2.3, 7.3, 12.3, 16.3], times):
        assert abs(got - expected) < 0.4
    assert result.score.hits == 3 and result.score.false_triggers == 1
    assert result.score.false_triggers_per_hour == pytest.approx(1 / (20 / 3600))
    assert [row["threshold"] for row in result.sweep][0] == 0.3


def test_refractory_time_merges_a_double_trigger():
    d = [Detection("x", 1.0, 0.8, 1.2, 0.9)]
    assert score(d, [TruthEvent("x", 0.9, 1.1)], 3600).hits == 1
    probs = np.array([[0.0, 1.0]] * 4 + [[1.0, 0.0]] * 2 + [[0.0, 1.0]] * 4)
    assert smooth(probs, 3)[4, 0] == pytest.approx(2 / 3)


def test_detect_cli(loudness_model, tmp_path, capsys):
    path = _recording(tmp_path, [3.0])
    truth = tmp_path / "truth.csv"
    truth.write_text("label,start,end\nloud,3.0,3.6\n")
    assert main(["detect", str(loudness_model), str(path), "--ignore", "quiet", "--truth", str(truth), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["score"]["hits"] == 1 and out["score"]["false_triggers"] == 0
    assert len(out["sweep"]) == 7


def test_streamed_windows_match_the_whole_file_at_another_rate(loudness_model, tmp_path):
    """scan_file reads and resamples block by block; its windows are those of the whole waveform."""
    from core.media import iter_audio, read_audio
    from core.predict import Predictor
    from core.predict.detect import scan_file, window_probabilities

    rng = np.random.default_rng(3)
    wave = (rng.normal(0, 0.05, 44100 * 25) * np.repeat(rng.random(25) > 0.5, 44100)).astype(np.float32)
    path = write_audio(tmp_path / "a.wav", wave, 44100, subtype="FLOAT")
    predictor = Predictor(loudness_model)
    blocks = list(iter_audio(path, 16000, block_seconds=3.0))
    streamed = np.concatenate(blocks)
    whole = read_audio(path, 16000)
    assert len(blocks) > 5 and abs(len(streamed) - len(whole)) <= 1
    core = slice(1000, len(whole) - 1000)  # block edges inside soxr's stream are seamless
    assert np.max(np.abs(streamed[core] - whole[core])) < 1e-4
    scan = scan_file(predictor, path)
    times, probs, _ = window_probabilities(predictor, whole)
    assert np.allclose(scan.times, times) and np.allclose(scan.probs, probs, atol=1e-3)
    assert scan.duration == pytest.approx(25.0, abs=1e-3) and scan.levels_db.shape == times.shape
    quiet = scan.levels_db < -100  # the silent seconds read as silence
    assert quiet.any() and (~quiet).any()


def test_detection_reports_its_progress_in_seconds_of_the_recording(loudness_model, tmp_path):
    """The streamed scan still drives the command line's progress bar, up to the whole recording."""
    path = _recording(tmp_path, [3.0], seconds=25.0)
    calls = []
    detect_file(Predictor(loudness_model), path, DetectSettings(ignore=("quiet",)), progress=lambda *a: calls.append(a))
    assert len(calls) >= 2 and all(total == pytest.approx(25.0) for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1][0] == pytest.approx(25.0, abs=1e-3)


def test_a_device_is_refused_by_the_streamed_reader_too():
    """detect reads recordings through core.media.iter_audio, which checks like every other reader
    that it opens a regular file (core.safe_files): a device is named as one, not 'unreadable audio'."""
    from core.media import MediaError, iter_audio

    with pytest.raises(MediaError, match="character device"):
        next(iter_audio("/dev/null", 16000))


def test_a_recording_of_fewer_windows_than_the_smoothing_or_broken_is_handled(loudness_model, tmp_path):
    """A 0.55 s recording (one window, smoothing over 3) failed with 'unexpected error (ValueError: could
    not broadcast ...)'; a too-short one got a detection past its end; a broken file was 'unexpected
    error (MediaError ...)'."""
    from core.errors import TransferLabError

    predictor = Predictor(loudness_model)
    settings = DetectSettings(ignore=("quiet",), smooth_windows=3)
    short = write_audio(tmp_path / "short.wav", tone(500, 0.55, 16000, amp=0.7), 16000)
    result = detect_file(predictor, short, settings)
    assert [d.label for d in result.detections] == ["loud"]
    assert result.detections[0].time <= result.duration
    assert smooth(np.array([[0.2, 0.8], [0.6, 0.4]]), 5) == pytest.approx(np.array([[0.4, 0.6], [0.4, 0.6]]))
    blip = write_audio(tmp_path / "blip.wav", tone(500, 0.01, 16000, amp=0.7), 16000)
    assert detect_file(predictor, blip, settings).detections == []  # too short to judge, as predict says
    broken = tmp_path / "broken.wav"
    broken.write_text("not a recording")
    with pytest.raises(TransferLabError, match="broken.wav cannot be read: not a readable audio file"):
        detect_file(predictor, broken, settings)


@pytest.mark.parametrize("flags, words", [
    (["--hop", "-1"], "the hop is at least 0.01 s (not -1 s)"),  # it was a step of one sample: a window per sample
    (["--threshold", "5"], "the threshold is a confidence between 0 and 1 (not 5)"),  # it was never reached, silently
    (["--smooth", "0"], "smoothing takes at least 1 window (not 0)"),
    (["--refractory", "-2"], "the refractory time cannot be negative (not -2 s)"),
])
def test_detection_settings_out_of_range_are_refused_with_a_sentence(loudness_model, tmp_path, capsys, flags, words):
    path = write_audio(tmp_path / "a.wav", tone(500, 1.0, 16000), 16000)
    assert main(["detect", str(loudness_model), str(path), *flags]) == 2
    assert words in capsys.readouterr().err
