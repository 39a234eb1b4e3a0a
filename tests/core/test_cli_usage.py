"""The command line's help as a person reads it: each subcommand's usage names it, every --json
says what it prints, the one-line help of train names every mode; long work shows progress on a
terminal only; building the help loads no torch."""

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import _load_commands, build_parser, main
from tests.helpers.contract_models import audio_model, image_model
from tests.helpers.media_factory import tone, write_audio

ROOT = Path(__file__).resolve().parents[2]
NAMES = [m.NAME for m in _load_commands()]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def _every_command(parser, path=()):
    """(words after `transferlab`, parser) for every subcommand and action (`label set`, ...)."""
    for name, sub in _subparsers(parser).items():
        yield (*path, name), sub
        yield from _every_command(sub, (*path, name))


def test_each_subcommands_usage_line_names_it(capsys):
    commands = list(_every_command(build_parser()))
    assert {c[0] for c, _ in commands} == set(NAMES) and ("label", "set") in dict(commands)
    for words, _ in commands:
        with pytest.raises(SystemExit):
            main([*words, "--help"])
        usage = capsys.readouterr().out.splitlines()[0]
        assert usage.startswith(f"usage: transferlab {' '.join(words)} "), usage


def test_an_unknown_option_is_blamed_on_the_subcommand_it_was_given_to(capsys):
    for words in (("train", "proj"), ("label", "set", "proj", "a.png", "cat"), ("export", "proj", "out.onnx")):
        with pytest.raises(SystemExit) as stopped:
            main([*words, "--out", "x"])
        err = capsys.readouterr().err
        assert stopped.value.code == 2
        assert err.startswith(f"usage: transferlab {' '.join(words[:2] if words[0] == 'label' else words[:1])} "), err
        assert "unrecognized arguments: --out x" in err


# cmd_export.py is being changed on another branch; its --json help comes with that change.
ELSEWHERE = {("export",)}


def test_every_json_option_says_what_it_prints():
    missing = [" ".join(words) for words, parser in _every_command(build_parser())
               for a in parser._actions if "--json" in a.option_strings and not a.help and words not in ELSEWHERE]
    assert not missing, missing


def test_the_help_of_train_names_every_mode(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # argparse wraps lines, also at hyphens
    entry = text[text.index(" train Train "):text.index(" eval Evaluate ")]
    for mode in ("probe", "finetune", "full", "few-shot", "zero-shot"):
        assert mode in entry, entry


def test_building_the_help_loads_no_torch():
    code = "import sys; from core.cli import build_parser; build_parser(); print('torch' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr[-2000:]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    return {"image": image_model(d / "colour.onnx"), "audio": audio_model(d / "loud.onnx", window_seconds=0.5)}


def _files(tmp_path):
    from PIL import Image

    for i in range(3):
        Image.new("RGB", (20, 20), (200, 10 * i, 10)).save(tmp_path / f"{i}.png")
    return [str(tmp_path / f"{i}.png") for i in range(3)]


def test_predict_shows_progress_on_a_terminal_and_nothing_elsewhere(models, tmp_path, monkeypatch, capsys):
    files = _files(tmp_path)
    assert main(["predict", str(models["image"]), *files, "--json"]) == 0
    assert capsys.readouterr().err == ""  # not a terminal: no bar, no carriage returns
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["predict", str(models["image"]), *files, "--json"]) == 0
    assert "\rPredicting [" in term.getvalue() and "3/3" in term.getvalue()


def test_detect_shows_progress_on_a_terminal(models, tmp_path, monkeypatch):
    wave = write_audio(tmp_path / "long.wav", tone(500, 8.0, 16000, amp=0.5), 16000)
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["detect", str(models["audio"]), str(wave), "--json"]) == 0
    last = term.getvalue().split("\r")[-1]
    assert last.startswith("Listening [") and "#" * 10 in last  # the windows of the whole recording
