"""Keyword spotting end to end on speech from espeak-ng (issue 8): words spoken by some voices are
learnt, words spoken by other voices are recognised, and detection over a long noisy recording finds
the words at the right times. The bundled (ImageNet) audio backbone must beat the same network from
random initialisation; both numbers are printed (run with -s to see them)."""

import numpy as np
import pytest

from core.evaluate.run_eval import predict_samples
from core.export.exporter import export_run
from core.importer import import_files
from core.predict import Predictor
from core.predict.detect import DetectSettings, TruthEvent, detect_file
from core.project import Project
from core.runs import load_run
from core.train import TrainConfig, Trainer
from tests.helpers.media_factory import write_audio
from tests.helpers.speech import keyword_clip, noise_clip, require_espeak

WORDS = ["yes", "no", "up", "down"]
TRAIN_VOICES = ["en-gb", "en-us", "en-gb-scotland", "en-029", "en-us+f2", "en-gb+m3"]
TEST_VOICES = ["en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd+f4", "en-us+m5"]


def _write_set(root, voices, speeds, pitches, seed):
    n = 0
    for word in WORDS:
        for voice in voices:
            for speed in speeds:
                for pitch in pitches:
                    n += 1
                    clip = keyword_clip(word, voice, speed=speed, pitch=pitch, seed=seed + n)
                    write_audio(root / word / f"{voice}_{speed}_{pitch}.wav", clip, 16000)
    for k in range(len(voices) * len(speeds) * len(pitches)):
        write_audio(root / "background" / f"noise{k}.wav", noise_clip(seed=seed + 1000 + k), 16000)


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    require_espeak()
    root = tmp_path_factory.mktemp("kws")
    _write_set(root / "train_src", TRAIN_VOICES, (140, 180), (40, 60), seed=0)
    _write_set(root / "test_src", TEST_VOICES, (150, 175), (50,), seed=5000)
    project = Project.create(root / "proj", "audio", "Keywords")
    import_files(project, [root / "train_src"])
    project.reset_splits(val=0.2, test=0.0)
    heldout = Project.create(root / "heldout", "audio", "Other voices")
    import_files(heldout, [root / "test_src"])
    yield root, project, heldout
    project.close()
    heldout.close()


@pytest.fixture(scope="module")
def default_run(speech) -> str:
    """The default probe of the training voices, trained once for both tests."""
    return Trainer(speech[1], TrainConfig(mode="probe", seed=3)).fit().run_id


def _heldout_accuracy(project, heldout, run_id) -> float:
    loaded = load_run(project, run_id)
    samples = heldout.samples()
    probs, kept, _ = predict_samples(loaded, heldout, samples)
    predicted = [loaded.class_names[int(p.argmax())] for p in probs]
    return float(np.mean([predicted[j] == samples[i].label for j, i in enumerate(kept)]))


def test_bundled_backbone_beats_random_init_on_unseen_voices(speech, default_run):
    _, project, heldout = speech
    assert _heldout_accuracy(project, heldout, default_run) >= 0.75
    # Pooled from every level, even a random network's features separate these words; the final
    # features alone show what the ImageNet weights carry.
    results = {}
    for pretrained in (True, False):
        config = TrainConfig(mode="probe", pretrained=pretrained, seed=3, probe_features="final",
                             probe_views=2)  # what the weights carry, not the views (the default run has 8)
        run = Trainer(project, config).fit()
        results[pretrained] = _heldout_accuracy(project, heldout, run.run_id)
    print(f"\nheld-out voices, final features: bundled ImageNet backbone {results[True]:.1%}, "
          f"random init {results[False]:.1%}")
    assert results[True] >= 0.75
    assert results[True] >= results[False] + 0.2


def test_words_in_a_long_noisy_recording_are_detected_at_their_times(speech, default_run, tmp_path):
    root, project, _ = speech
    model = export_run(project, tmp_path / "kws.onnx", default_run).path
    sr = 16000
    rng = np.random.default_rng(7)
    wave = (rng.normal(0, 0.004, 32 * sr)).astype(np.float32)
    truth = []
    for k, (word, at) in enumerate([("yes", 3.0), ("no", 9.0), ("up", 15.0), ("down", 21.0), ("yes", 27.0)]):
        clip = keyword_clip(word, TEST_VOICES[k % len(TEST_VOICES)], noise=0.0, seed=k)
        wave[int(at * sr) : int(at * sr) + len(clip)] += clip
        truth.append(TruthEvent(word, at + 0.2, at + 0.8))
    path = write_audio(tmp_path / "long.wav", wave, sr)
    result = detect_file(Predictor(model), path, DetectSettings(threshold=0.5), truth)
    print("\ndetections:", [(d.label, d.time, round(d.confidence, 2)) for d in result.detections])
    print("score:", result.score.to_json())
    assert result.score.hits >= 4
    assert result.score.false_triggers <= 2
