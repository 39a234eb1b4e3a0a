"""`transferlab train` as a person types it (the installed script, a real project, the bundled backbone)."""

import json
from pathlib import Path

import torch

from core.project import Project
from tests.helpers.cli import tl
from tests.helpers.media_factory import shape_image


def _project(tmp_path: Path, classes=("circle", "square")) -> Path:
    for k, shape in enumerate(classes):
        for i in range(8):
            (tmp_path / "src" / shape).mkdir(parents=True, exist_ok=True)
            shape_image(shape, size=48, seed=10 * k + i).save(tmp_path / "src" / shape / f"{i}.png")
    tl("new", tmp_path / "p", "--task", "image")
    tl("import", tmp_path / "p", tmp_path / "src")
    tl("split", tmp_path / "p", "--reset", "--val", "0.25", "--test", "0")
    return tmp_path / "p"


def test_train_json_reports_the_run(tmp_path):
    proj = _project(tmp_path)
    out = json.loads(tl("train", proj, "--mode", "full", "--epochs", "2", "--image-size", "32",
                        "--batch-size", "4", "--device", "cpu", "--json").stdout)
    assert out["mode"] == "full" and out["device"] == "cpu" and out["status"] == "completed"
    assert out["backbone"] == "efficientnet_lite0" and out["epochs_done"] == 2
    assert 0.0 <= out["metrics"]["val_acc"] <= 1.0 and out["metrics"]["val_loss"] > 0
    run_dir = proj / "runs" / out["run_id"]
    assert {"config.json", "metrics.jsonl", "last.pt", "best.pt"} <= {p.name for p in run_dir.iterdir()}
    ckpt = torch.load(run_dir / "best.pt", weights_only=True)
    assert ckpt["class_names"] == ["circle", "square"]

    human = tl("train", proj, "--mode", "probe", "--image-size", "64").stdout
    assert "mode: probe" in human and "Probe solved in" in human
    # a chosen picture size: one network, named, and why not the pair a probe has by default
    assert ": probe of efficientnet_lite0 on " in human
    assert "efficientnet_lite0 alone at the chosen picture size (64 px" in human
    assert "estimated accuracy" in human and "cross-validation" in human
    # what was embedded, counted as it is: the 16 pictures and the 2 altered views of each it learns from
    assert "Embedded 48 inputs: 16 samples and 32 altered views of them (" in human

    # eval while the project is open for writing elsewhere: read-only, so it evaluates and writes nothing
    with Project.open(proj):
        r = tl("eval", proj, "--run", out["run_id"], "--split", "val")
    assert "accuracy" in r.stdout and "No report written: the project was opened read-only because it is open in another TransferLab" in r.stdout
    assert not {"report.json", "report.html"} & {p.name for p in run_dir.iterdir()}
    assert "\r" not in r.stderr  # not a terminal: no progress bar
    report = json.loads(tl("eval", proj, "--run", out["run_id"], "--split", "val", "--json").stdout)
    assert Path(report["report_html"]).is_file() and Path(report["report_json"]).parent == run_dir


def test_train_errors_are_sentences(tmp_path):
    proj = _project(tmp_path, classes=("circle",))
    r = tl("train", proj, check=False)
    assert r.returncode == 1 and "Only one class ('circle')" in r.stderr and "Traceback" not in r.stderr
    r = tl("train", proj, "--device", "cuda:3", check=False)
    assert r.returncode == 2 and "There is no" in r.stderr and "Traceback" not in r.stderr
    r = tl("train", proj, "--backbone", "resnet9000", check=False)
    assert r.returncode == 2 and "no backbone called 'resnet9000'" in r.stderr
    r = tl("train", proj, "--epochs", "0", check=False)
    assert r.returncode == 2 and "epochs must be a whole number of at least 1" in r.stderr
