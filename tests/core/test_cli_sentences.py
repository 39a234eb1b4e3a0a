"""Bad arguments answered by a sentence naming the problem, not "unexpected error" nor a wrong one:
a --config file that is missing or not text, a project made at a sample rate no recording has,
detect given a model that is not an audio model."""

import pytest

from core.cli import main
from core.errors import ProjectError
from core.project import Project
from tests.helpers.contract_models import image_model
from tests.helpers.media_factory import tone, write_audio


def test_a_missing_config_file_is_a_sentence(tmp_path, capsys):
    Project.create(tmp_path / "proj", "text").close()
    assert main(["train", str(tmp_path / "proj"), "--config", str(tmp_path / "nope.json")]) == 2
    err = capsys.readouterr().err
    assert "Cannot read the training settings file" in err and "does not exist" in err
    assert "unexpected error" not in err


def test_a_config_file_that_is_not_text_is_a_sentence(tmp_path, capsys):
    Project.create(tmp_path / "proj", "text").close()
    (tmp_path / "c.json").write_bytes(b"\xff\xfe\x00\xeb\x91binary")
    assert main(["train", str(tmp_path / "proj"), "--config", str(tmp_path / "c.json")]) == 2
    err = capsys.readouterr().err
    assert "is not UTF-8 text" in err and "unexpected error" not in err


@pytest.mark.parametrize("rate", ["-5", "0", "10"])
def test_new_refuses_a_sample_rate_no_recording_has_and_makes_no_folder(tmp_path, capsys, rate):
    assert main(["new", str(tmp_path / "proj"), "--task", "audio", "--sample-rate", rate]) == 1
    assert "The sample rate must be a whole number of Hz" in capsys.readouterr().err
    assert not (tmp_path / "proj").exists()
    with pytest.raises(ProjectError):
        Project.create(tmp_path / "proj2", "audio", sample_rate=-1)


def test_detect_with_an_image_model_names_what_the_model_takes(tmp_path, capsys):
    model = image_model(tmp_path / "m.onnx")
    wave = write_audio(tmp_path / "long.wav", tone(500, 2.0, 16000), 16000)
    assert main(["detect", str(model), str(wave)]) == 1
    err = capsys.readouterr().err
    assert "this model takes images" in err and "transferlab predict" in err


@pytest.mark.parametrize("top", ["0", "-3"])
def test_predict_top_below_one_is_refused(tmp_path, capsys, top):
    model = image_model(tmp_path / "m.onnx")
    assert main(["predict", str(model), str(tmp_path / "x.png"), "--top", top]) == 2
    assert "--top is how many classes to show per file: at least 1" in capsys.readouterr().err


def test_a_config_that_is_a_device_is_refused_at_once(tmp_path, capsys):
    """--config /dev/zero read forever, its memory growing."""
    import os

    Project.create(tmp_path / "proj", "text").close()
    assert main(["train", str(tmp_path / "proj"), "--config", os.devnull]) == 2
    assert "not a regular file" in capsys.readouterr().err
