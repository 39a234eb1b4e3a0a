"""Files named after an option: `transferlab import DIR --json FILE` and `transferlab predict
MODEL --top 2 FILE` took FILE as an "unrecognized argument" (argparse fills a '*' positional
before the first option); they are read wherever they stand, and an unknown option is still one."""

import json

import pytest
from PIL import Image

from core.cli import main
from core.project import Project
from tests.helpers.contract_models import image_model


def test_import_takes_files_named_after_an_option(tmp_path, capsys):
    Project.create(tmp_path / "proj", "text").close()
    (tmp_path / "a.txt").write_text("a first text", encoding="utf-8")
    (tmp_path / "b.txt").write_text("a second text", encoding="utf-8")
    assert main(["import", str(tmp_path / "proj"), "--json", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 2


def test_predict_takes_files_named_after_an_option(tmp_path, capsys):
    model = image_model(tmp_path / "m.onnx")
    files = []
    for i in range(2):
        Image.new("RGB", (20, 20), (200, 10 * i, 10)).save(tmp_path / f"{i}.png")
        files.append(str(tmp_path / f"{i}.png"))
    assert main(["predict", str(model), "--top", "1", files[0], "--json", files[1]]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["path"] for r in out] == files and all(len(r["top"]) == 1 for r in out)


def test_an_unknown_option_after_files_is_still_refused(tmp_path, capsys):
    model = image_model(tmp_path / "m.onnx")
    with pytest.raises(SystemExit) as stopped:
        main(["predict", str(model), "--top", "1", "x.png", "--bogus"])
    assert stopped.value.code == 2
    assert "unrecognized arguments: x.png --bogus" in capsys.readouterr().err
