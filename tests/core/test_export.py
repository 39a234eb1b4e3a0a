"""Export to ONNX with preprocessing inside, parity with PyTorch, evaluation, and torch-free predict
agreeing with in-app prediction. The bundled EfficientNet-Lite0 is used for image and audio parity."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.cli import main
from core.errors import TransferLabError
from core.evaluate.run_eval import evaluate_run, predict_samples
from core.export.exporter import export_run
from core.predict import Predictor
from core.project import Project
from core.runs import load_run
from core.train import TrainConfig, Trainer
from tests.helpers.training import colour_image, make_colour_project, make_tone_project, tiny_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    """A probe on the real bundled backbone, on colour pictures of several sizes and shapes."""
    root = tmp_path_factory.mktemp("img")
    project = make_colour_project(root, per_class=8)
    project.reset_splits(val=0.25, test=0.25)
    Trainer(project, TrainConfig(mode="probe", epochs=30, seed=1)).fit()
    yield project
    project.close()


@pytest.fixture(scope="module")
def image_export(image_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "colours.onnx"
    return export_run(image_run, out, fp16=True, int8=True)


def test_image_export_matches_pytorch_and_describes_itself(image_run, image_export):
    report = image_export
    assert report.parity_max_diff < 1e-4 and report.parity_samples >= 6
    p = Predictor(report.path)
    assert p.labels == ["blue", "green", "red"] and p.task == "image"  # folder order
    meta = p.metadata
    assert meta["backbone"] == "efficientnet_lite0" and meta["run_id"] == report.run_id
    assert json.loads(meta["input_spec"])["dtype"] == "uint8"
    assert "val_acc" in json.loads(meta["metrics"])
    out = Path(report.path)
    assert (out.parent / "labels.txt").read_text().split() == ["blue", "green", "red"]
    card = (out.parent / "colours.md").read_text()
    assert "onnxruntime" in card and "InferenceSession" in card
    assert report.variants["fp16"]["top1_agreement_vs_fp32"] == 1.0
    assert report.variants["fp16"]["max_diff_vs_fp32"] < 0.1
    assert report.variants["fp16"]["size_bytes"] < 0.6 * report.size_bytes
    assert "accuracy_change" in report.variants["int8"]


def test_raw_files_of_any_size_match_training_time_preprocessing(image_run, image_export, tmp_path):
    """The graph's own resize/crop on raw pixels vs Pillow's in training, on new files."""
    loaded = load_run(image_run)
    p = Predictor(image_export.path)
    worst = 0.0
    for k, (colour, size) in enumerate([("red", (40, 30)), ("green", (97, 211)), ("blue", (300, 300)), ("red", (640, 64))]):
        path = tmp_path / f"{colour}{k}.png"
        colour_image(colour, seed=777 + k, size=64).resize(size).save(path)
        onnx_probs = p.probabilities(np.asarray(Image.open(path).convert("RGB"))[None])[0]
        torch_probs = _torch_probs(loaded, path)
        worst = max(worst, float(np.abs(onnx_probs - torch_probs).max()))
        assert onnx_probs.argmax() == torch_probs.argmax()
    assert worst < 0.01, worst


def _torch_probs(loaded, path):
    import torch

    pre = loaded.spec.preprocessing
    with torch.inference_mode():
        logits = loaded.model(*pre.collate([pre.load(path)]))
    return torch.softmax(logits, -1)[0].numpy()


def test_predict_cli_agrees_with_in_app_prediction(image_run, image_export):
    loaded = load_run(image_run)
    samples = image_run.samples(split="test")
    in_app, kept, _ = predict_samples(loaded, image_run, samples)
    files = [str(image_run.path_of(samples[i])) for i in kept]
    cli = subprocess.run([sys.executable, "-m", "core", "predict", image_export.path, *files, "--json", "--top", "3"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    rows = json.loads(cli.stdout)
    assert [r["label"] for r in rows] == [loaded.class_names[int(p.argmax())] for p in in_app]
    for row, probs in zip(rows, in_app):
        assert abs(row["confidence"] - float(probs.max())) < 1e-3  # one resize implementation for both


def test_audio_export_on_the_bundled_backbone(tmp_path):
    project = make_tone_project(tmp_path, per_class=6)
    try:
        Trainer(project, TrainConfig(mode="probe", epochs=20)).fit()
        report = export_run(project, tmp_path / "tones.onnx")
        assert report.parity_max_diff < 1e-3  # the contract; mel filter banks in fp32 land near 1e-4
        assert report.preprocessing_top1_agreement == 1.0
        p = Predictor(report.path)
        assert p.task == "audio" and p.sample_rate == 16000
        high = project.samples(label="high")[0]
        (r,) = p.predict([project.path_of(high)])
        assert r.label == "high"
    finally:
        project.close()


def test_eval_writes_reports_and_predictions(tmp_path):
    spec = tiny_spec(tmp_path / "w")
    project = make_colour_project(tmp_path, per_class=10)
    try:
        project.reset_splits(val=0.2, test=0.2)
        Trainer(project, TrainConfig(mode="full", epochs=6, batch_size=8), spec=spec).fit()
        result = evaluate_run(project, spec=spec)
        ev = result.evaluation
        assert result.split == "test" and ev.count == 6
        assert len(ev.confusion) == 3 and sum(map(sum, ev.confusion)) == 6
        data = json.loads(Path(result.report_json).read_text())
        assert data["run_id"] == result.run_id and "per_class" in data
        html = Path(result.report_html).read_text()
        assert "Confusion matrix" in html and "Worst mistakes" in html
        stored = project.predictions_of(result.run_id)
        assert sorted(stored) == sorted(result.sample_ids)
        for m in ev.mistakes:  # what was stored is what the evaluation predicted
            assert stored[result.sample_ids[m.index]] == (m.predicted_label, pytest.approx(m.confidence))

        # opened read-only (the app has it open for writing, say): evaluated, but nothing is written
        run_dir = Path(result.report_json).parent
        for name in ("report.json", "report.html"):
            (run_dir / name).unlink()
        before = sorted(p.name for p in run_dir.iterdir())
        with Project.open(project.root, read_only=True) as viewer:
            again = evaluate_run(viewer, result.run_id, spec=spec)
        assert again.evaluation.accuracy == ev.accuracy and (again.report_json, again.report_html) == ("", "")
        assert sorted(p.name for p in run_dir.iterdir()) == before
    finally:
        project.close()


def test_export_and_eval_without_a_trained_run_say_so(image_project, tmp_path, capsys):
    with pytest.raises(TransferLabError, match="no trained model yet"):
        export_run(image_project, tmp_path / "m.onnx")
    # the project is open here (locked): eval opens it read-only and still says why it cannot evaluate
    assert main(["eval", str(image_project.root)]) == 1
    assert "no trained model yet" in capsys.readouterr().err
    image_project.close()
    assert main(["export", str(image_project.root), str(tmp_path / "m.onnx")]) == 1
    assert "no trained model yet" in capsys.readouterr().err


def test_exports_from_two_threads_of_one_process_do_not_crash(tmp_path):
    """An export on one thread and then one on another crashed torch (a segmentation fault entering
    FakeTensorMode): the app exports on its engine thread, tests and scripts on the main one. Run in
    a subprocess, so that a crash is a failure here rather than the end of the test session."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent(f"""
        import threading
        from pathlib import Path
        from core.export.exporter import export_run
        from core.train import TrainConfig, Trainer
        from tests.helpers.training import make_colour_project, tiny_spec
        tmp = Path({str(tmp_path)!r})
        spec = tiny_spec(tmp / "weights")
        project = make_colour_project(tmp, per_class=6)
        run = Trainer(project, TrainConfig(mode="probe", epochs=2, batch_size=8), spec=spec).fit()
        worker = threading.Thread(target=lambda: export_run(project, tmp / "a.onnx", run.run_id, spec=spec))
        worker.start(); worker.join()
        export_run(project, tmp / "b.onnx", run.run_id, spec=spec)
        print("both exported", (tmp / "a.onnx").is_file() and (tmp / "b.onnx").is_file())
    """)
    r = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "both exported True" in r.stdout, r.stderr[-2000:]
