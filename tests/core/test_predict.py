import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.cli import main
from core.predict import ModelError, Predictor
from tests.helpers.contract_models import audio_model, fixed_size_image_model, foreign_model, image_model
from tests.helpers.media_factory import tone, write_audio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    return {
        "image": image_model(d / "colour.onnx"),
        "audio": audio_model(d / "loud.onnx"),
        "foreign": foreign_model(d / "foreign.onnx"),
    }


@pytest.fixture
def pictures(tmp_path):
    d = tmp_path / "pics"
    d.mkdir()
    Image.new("RGB", (40, 30), (230, 20, 20)).save(d / "red.png")
    Image.new("RGB", (17, 90), (10, 20, 240)).save(d / "blue.jpg")
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    write_audio(d / "sound.wav", tone(440, 0.2), 16000)
    return d


def test_images_of_any_size_are_predicted_and_bad_ones_reported(models, pictures):
    results = {Path(r.path).name: r for r in Predictor(models["image"]).predict([pictures])}
    assert set(results) == {"red.png", "blue.jpg", "broken.png"}  # the .wav is not an image: not picked
    assert results["red.png"].label == "red" and results["red.png"].confidence > 0.9
    assert results["blue.jpg"].label == "blue"
    assert "not a readable image" in results["broken.png"].error
    assert [name for name, _ in results["red.png"].top] == ["red", "blue"]


def test_a_file_the_model_cannot_run_on_fails_alone(tmp_path, capfd):
    """onnxruntime raising on one input (here a MatMul sized for 8x8 pictures) fails that file with a
    sentence; the files before and after it are still predicted, by the API and by the CLI."""
    model = fixed_size_image_model(tmp_path / "fixed.onnx")
    d = tmp_path / "pics"
    d.mkdir()
    for name, size in (("a.png", 8), ("b.png", 16), ("c.png", 8)):
        Image.new("RGB", (size, size), (200, 10, 10)).save(d / name)
    results = {Path(r.path).name: r for r in Predictor(model).predict([d])}
    assert results["a.png"].error is None and results["a.png"].label in ("red", "blue")
    assert results["c.png"].error is None and results["c.png"].label in ("red", "blue")
    assert results["b.png"].label is None
    assert results["b.png"].error.startswith("the model could not run on this file (")
    code = main(["predict", str(model), str(d), "--json"])
    out = capfd.readouterr()
    rows = {Path(r["path"]).name: r for r in json.loads(out.out)}
    assert rows["b.png"]["error"].startswith("the model could not run on this file")
    assert rows["a.png"]["label"] in ("red", "blue") and rows["c.png"]["label"] in ("red", "blue")
    assert code == 0  # as for an unreadable file: some files were predicted
    assert "MatMul" not in out.err  # onnxruntime's own red log line is not added


def test_wrong_modality_is_a_sentence(models, pictures):
    (r,) = Predictor(models["image"]).predict([pictures / "sound.wav"])
    assert r.error == "this is an audio file; the model takes image"


def test_audio_other_rate_is_resampled_with_a_note_and_long_audio_gets_windows(models, tmp_path):
    loud = write_audio(tmp_path / "loud44k.wav", tone(300, 0.8, 44100, amp=0.8), 44100)
    quiet_then_loud = np.concatenate([tone(300, 2.0, amp=0.01), tone(300, 2.0, amp=0.8)])
    long = write_audio(tmp_path / "long.flac", quiet_then_loud, 16000)
    p = Predictor(models["audio"])
    r_loud, r_long = p.predict([loud, long])
    assert r_loud.label == "loud" and "resampled from 44100 Hz" in r_loud.note
    assert r_long.windows is not None and len(r_long.windows) == 7
    assert r_long.windows[0].label == "quiet" and r_long.windows[-1].label == "loud"
    assert r_long.windows[1].start == pytest.approx(0.5)


def test_foreign_and_corrupt_models_are_refused_clearly(models, tmp_path):
    with pytest.raises(ModelError, match="not one exported by TransferLab"):
        Predictor(models["foreign"])
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"garbage" * 10)
    with pytest.raises(ModelError, match="cannot be loaded as an ONNX model"):
        Predictor(bad)
    with pytest.raises(ModelError, match="no model file"):
        Predictor(tmp_path / "missing.onnx")


def test_predict_cli_json(models, pictures, capsys):
    assert main(["predict", str(models["image"]), str(pictures / "red.png"), str(pictures / "blue.jpg"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(Path(o["path"]).name, o["label"]) for o in out] == [("red.png", "red"), ("blue.jpg", "blue")]
    assert all(0 <= o["confidence"] <= 1 for o in out)


def test_predict_cli_foreign_model_exit_code(models, pictures, capsys):
    assert main(["predict", str(models["foreign"]), str(pictures / "red.png")]) == 1
    assert "not one exported by TransferLab" in capsys.readouterr().err


def test_predict_never_imports_torch(models, pictures):
    code = (
        "import sys; from core.cli import main\n"
        f"rc = main(['predict', {str(models['image'])!r}, {str(pictures)!r}, '--json'])\n"
        "heavy = [m for m in ('torch', 'torchvision', 'torchaudio') if m in sys.modules]\n"
        "print('HEAVY', heavy); sys.exit(rc if not heavy else 99)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HEAVY []" in result.stdout


def test_empty_too_short_and_silent_clips_get_a_note_not_a_confident_label(models, tmp_path, capsys):
    empty = write_audio(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    blip = write_audio(tmp_path / "blip.wav", tone(300, 0.03, amp=0.8), 16000)
    silent = write_audio(tmp_path / "silent.wav", np.zeros(16000, np.float32), 16000)
    word = write_audio(tmp_path / "word.wav", tone(300, 0.3, amp=0.8), 16000)
    p = Predictor(models["audio"])
    r_empty, r_blip, r_silent, r_word = p.predict([empty, blip, silent, word])
    for r in (r_empty, r_blip, r_silent):
        assert r.label is None and r.confidence is None and r.top == [] and r.error is None
    assert r_empty.note == "no answer: the file holds no sound (0 samples)"
    assert r_blip.note == "no answer: 0.03 s is too short to judge (this model needs at least 0.10 s)"
    assert r_silent.note == "no answer: the clip is silent (its loudest sample is digital silence)"
    assert r_word.label == "loud" and r_word.note is None  # a short word is judged as before

    capsys.readouterr()
    assert main(["predict", str(models["audio"]), str(empty), str(blip), str(word), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [(d["label"], d.get("note", "")[:10]) for d in printed] == [(None, "no answer:"), (None, "no answer:"), ("loud", "")]
    assert main(["predict", str(models["audio"]), str(blip)]) == 0
    assert capsys.readouterr().out.strip().endswith("blip.wav: no answer: 0.03 s is too short to judge (this model needs at least 0.10 s)")
