"""What an export writes and which run it exports, on small test backbones: the best finished run by
default, never a silent overwrite, files named after their model, snippets that run with onnxruntime
and numpy alone, the variant rule, and int8 when onnxruntime's quantisation tools cannot load."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.export.exporter import ExportError, ExportExists, export_run
from core.export.measure import judge
from core.predict import Predictor
from core.predict.predictor import ModelError
from core.run_catalogue import RunInfo, accuracy_name, best_run, find_run, list_runs
from core.train import TrainConfig, TrainControl, Trainer
from tests.helpers.training import make_colour_project, make_tone_project, tiny_spec

ROOT = Path(__file__).resolve().parents[2]


def _info(rid, status, acc, created, model=True, tmp=None):
    d = Path(tmp) / rid
    d.mkdir(parents=True, exist_ok=True)
    if model:
        (d / "best.pt").write_bytes(b"x")
    return RunInfo(rid, d, status, created, {} if acc is None else {"val_acc": acc}, "b", "probe")


def test_best_run_is_the_best_finished_one_not_the_newest(tmp_path):
    good = _info("a-good", "completed", 1.0, 1.0, tmp=tmp_path)
    stopped = _info("b-stopped", "cancelled", 1.0, 2.0, tmp=tmp_path)  # as good, newer, but stopped
    worse = _info("c-worse", "early_stopped", 0.625, 3.0, tmp=tmp_path)
    nan = _info("d-nan", "completed", float("nan"), 4.0, tmp=tmp_path)
    no_model = _info("e-empty", "completed", 1.0, 5.0, model=False, tmp=tmp_path)
    assert best_run([no_model, nan, worse, stopped, good]).id == "a-good"
    again = _info("f-again", "completed", 1.0, 6.0, tmp=tmp_path)  # equals: the newest
    assert best_run([good, again, worse]).id == "f-again"
    assert best_run([stopped, nan]).id == "d-nan"  # finished beats unfinished, even without a score
    assert best_run([stopped]).id == "b-stopped"  # only unfinished runs: the best of them
    assert best_run([no_model]) is None


def test_a_probe_without_an_estimate_ranks_below_every_estimated_run(tmp_path):
    """A solved probe whose smallest class has one example records no val_acc (only how it was not
    estimated); it is finished, so it still beats a stopped run, but never an estimated one."""
    worse = _info("a-worse", "completed", 0.5, 1.0, tmp=tmp_path)
    probe = dataclasses.replace(_info("b-probe", "completed", None, 2.0, tmp=tmp_path),
                                metrics={"train_acc": 1.0, "val_estimate": "none (a class has one example)"})
    stopped = _info("c-stopped", "cancelled", 1.0, 3.0, tmp=tmp_path)
    assert best_run([worse, probe, stopped]).id == "a-worse"
    assert best_run([probe, stopped]).id == "b-probe"
    assert accuracy_name(probe.metrics) == "validation accuracy" == accuracy_name(worse.metrics)
    assert accuracy_name({"val_acc": 0.9, "val_estimate": "5-fold cross-validation"}) == "cross-validated accuracy"


@pytest.fixture
def colours(tmp_path):
    """A colour project with a finished run and, after it, a run stopped after its first epoch."""
    spec = tiny_spec(tmp_path / "w")
    project = make_colour_project(tmp_path, per_class=8)
    first = Trainer(project, TrainConfig(mode="full", epochs=4, batch_size=8, seed=1), spec=spec).fit()
    control = TrainControl()
    stopped = Trainer(project, TrainConfig(mode="full", epochs=6, batch_size=8, seed=2), spec=spec, control=control,
                      callbacks=[lambda e: type(e).__name__ == "CheckpointSaved" and control.cancel()]).fit()
    assert first.status in ("completed", "early_stopped") and stopped.status == "cancelled"
    assert stopped.best_path is not None  # a model that could be exported, by mistake
    yield project, spec, first.run_id, stopped.run_id
    project.close()


def test_export_defaults_to_the_best_finished_run_and_says_so(colours, tmp_path):
    project, spec, first, stopped = colours
    assert list_runs(project)[0].id == stopped  # the newest
    assert find_run(project).id == first
    report = export_run(project, tmp_path / "out" / "m.onnx", spec=spec)
    assert report.run_id == first and report.run["best"] and report.run["status"] != "cancelled"
    assert Predictor(report.path).metadata["run_id"] == first
    # another run on request, marked as not the best
    other = export_run(project, tmp_path / "out" / "stopped.onnx", stopped, spec=spec)
    assert other.run_id == stopped and not other.run["best"] and other.run["status"] == "cancelled"


def test_an_existing_model_is_replaced_only_with_force(colours, tmp_path, capsys):
    project, spec, first, stopped = colours
    out = tmp_path / "out" / "m.onnx"
    export_run(project, out, first, spec=spec)
    before = {p.name: p.read_bytes() for p in out.parent.iterdir()}
    assert set(before) == {"m.onnx", "m.labels.txt", "m.md"}
    with pytest.raises(ExportExists, match="m.onnx, m.labels.txt, m.md already exist") as err:
        export_run(project, out, stopped, spec=spec)
    assert "--force" in err.value.message and [p.name for p in err.value.paths] == ["m.onnx", "m.labels.txt", "m.md"]
    assert {p.name: p.read_bytes() for p in out.parent.iterdir()} == before  # nothing touched
    project.close()
    capsys.readouterr()
    assert main(["export", str(project.root), str(out), "--run", stopped]) == 1
    err_text = capsys.readouterr().err
    assert "m.onnx" in err_text and "--force" in err_text and "nothing was written" in err_text
    assert out.read_bytes() == before["m.onnx"]
    assert not list(out.parent.glob(".*"))  # no temporary file either


def test_force_replaces_and_removes_the_earlier_exports_variants(colours, tmp_path):
    project, spec, first, stopped = colours
    out = tmp_path / "out" / "m.onnx"
    earlier = export_run(project, out, first, spec=spec, fp16=True)
    assert earlier.variants["fp16"]["written"], earlier.variants["fp16"]
    again = export_run(project, out, stopped, spec=spec, overwrite=True)
    assert Predictor(str(out)).metadata["run_id"] == stopped
    assert not (out.parent / "m.fp16.onnx").exists()  # it was the other run's model
    assert again.removed == [str(out.parent / "m.fp16.onnx")]
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.labels.txt", "m.md", "m.onnx"]


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    """An image model and an audio model exported into one folder (the audio one split in two too)."""
    root = tmp_path_factory.mktemp("two")
    out = root / "models"
    image_spec, audio_spec = tiny_spec(root / "wi"), tiny_spec(root / "wa", modality="audio")
    images = make_colour_project(root / "img", per_class=8)
    Trainer(images, TrainConfig(mode="full", epochs=4, batch_size=8), spec=image_spec).fit()
    tones = make_tone_project(root / "aud", per_class=6)
    Trainer(tones, TrainConfig(mode="full", epochs=4, batch_size=8), spec=audio_spec).fit()
    image = export_run(images, out / "fimg.onnx", spec=image_spec)
    audio = export_run(tones, out / "faud.onnx", spec=audio_spec, split_frontend=True)
    yield {"root": root, "out": out, "image": image, "audio": audio, "images": images, "tones": tones}
    images.close()
    tones.close()


def test_files_beside_a_model_carry_its_name(two_models):
    out = two_models["out"]
    assert (out / "fimg.labels.txt").read_text().split() == ["blue", "green", "red"]
    assert (out / "faud.labels.txt").read_text().split() == ["high", "low"]
    assert not (out / "labels.txt").exists()
    assert 'InferenceSession("fimg.onnx")' in (out / "fimg.md").read_text()
    assert 'InferenceSession("faud.onnx")' in (out / "faud.md").read_text()
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "fimg.onnx", "fimg.labels.txt", "fimg.md",
        "faud.onnx", "faud.labels.txt", "faud.md", "faud.frontend.onnx", "faud.classifier.onnx"])


# Runs a script in a process where some imports fail as in a venv without those packages: a script
# that uses an exported model needs only onnxruntime and numpy (and Pillow to read a picture).
RUNNER = textwrap.dedent("""
    import sys
    blocked = set(sys.argv[1].split(","))
    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in blocked:
                raise ModuleNotFoundError(f"No module named {name!r} (not installed for this script)")
    sys.meta_path.insert(0, Blocker())
    script = sys.argv[2]
    sys.argv = [script]
    exec(compile(open(script).read(), script, "exec"), {"__name__": "__main__"})
""")


def _run_card_snippet(card: Path, blocked: str) -> str:
    code = re.search(r"```python\n(.*?)```", card.read_text(), re.S).group(1)
    script = card.parent / f"{card.stem}_snippet.py"
    script.write_text(code)
    r = subprocess.run([sys.executable, "-c", RUNNER, blocked, str(script)], cwd=card.parent, capture_output=True,
                       text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})  # no PYTHONPATH: TransferLab is not there
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_the_model_cards_snippets_run_with_onnxruntime_and_numpy(two_models):
    """The card's code runs as written next to the model, labels from the model's metadata, in a
    process where torch, soundfile, OpenCV and TransferLab itself cannot be imported (audio: Pillow
    neither; the standard library's wave reads the WAV file)."""
    from PIL import Image

    from tests.helpers.media_factory import tone, write_audio

    out = two_models["out"]
    images = two_models["images"]
    sample = images.samples(label="red")[0]
    Image.open(images.path_of(sample)).convert("RGB").save(out / "photo.jpg", quality=95)
    printed = _run_card_snippet(out / "fimg.md", "torch,soundfile,cv2,core,desktop").split()
    want = Predictor(out / "fimg.onnx").predict([out / "photo.jpg"])[0]
    assert printed[0] == want.label and abs(float(printed[1]) - want.confidence) < 1e-4

    clip = tone(2500.0, 0.3)  # the length the model was trained on (the Predictor cuts to it)
    write_audio(out / "clip.wav", np.stack([clip, clip], axis=1), 16000, subtype="PCM_16")  # stereo: mixed to mono
    printed = _run_card_snippet(out / "faud.md", "torch,soundfile,cv2,core,desktop,PIL").split()
    want = Predictor(out / "faud.onnx").predict([out / "clip.wav"])[0]
    assert printed[0] == want.label and abs(float(printed[1]) - want.confidence) < 1e-3


def test_the_two_halves_of_a_split_model_are_not_taken_for_the_model(two_models):
    out = two_models["out"]
    with pytest.raises(ModelError, match="faud.frontend.onnx"):
        Predictor(out / "faud.classifier.onnx")
    with pytest.raises(ModelError, match="only the front end"):
        Predictor(out / "faud.frontend.onnx")
    meta = json.loads(Predictor(out / "faud.onnx").metadata["input_spec"])
    assert meta["name"] == "waveform"


def test_the_split_option_is_refused_for_an_image_model(two_models, tmp_path):
    from core.export.exporter import ExportError

    images = two_models["images"]
    with pytest.raises(ExportError, match="Only an audio model with a log-mel front end"):
        export_run(images, tmp_path / "x.onnx", split_frontend=True, spec=tiny_spec(two_models["root"] / "wi"))
    assert not list(tmp_path.iterdir())


def test_a_variant_is_written_only_when_measured_smaller_faster_and_as_accurate():
    fp32 = {"size_bytes": 13 << 20, "latency_ms": 5.0, "accuracy": 1.0, "samples": 45}
    good = {"size_bytes": 4 << 20, "latency_ms": 2.3, "accuracy": 0.99, "samples": 45}
    assert judge("int8", good, fp32) is None
    assert judge("int8", {**good, "accuracy": 0.356}, fp32) == (
        "it lost 64.4 points of accuracy (100.0% -> 35.6% on 45 labelled samples; 1 allowed)")
    assert judge("int8", {**good, "latency_ms": 61.4}, fp32) == (
        "it is no faster than fp32 on this CPU (61.40 ms against 5.00 ms per input on 1 thread)")
    assert judge("int8", {**good, "size_bytes": 13 << 20}, fp32).startswith("it is no smaller than fp32 (13.0 MiB")
    assert judge("fp16", {**good, "latency_ms": 9.0}, fp32) is None  # fp16 is for size, not speed
    assert judge("fp16", {**good, "accuracy": None}, fp32).startswith("its accuracy could not be measured")
    # as accurate on the labelled samples, but another model on the samples it did not learn from
    unseen = {**good, "unseen_samples": 150, "unseen_agreement_vs_fp32": 0.86}
    assert judge("int8", unseen, fp32) == ("it gave another class than fp32 on 21 of 150 samples the model did not "
                                           "learn from (14.0%; at most 10% allowed)")
    assert judge("fp16", unseen, fp32).startswith("it gave another class than fp32 on 21 of 150")
    assert judge("int8", {**unseen, "unseen_agreement_vs_fp32": 0.9}, fp32) is None  # a tenth is allowed
    assert judge("int8", {**unseen, "unseen_samples": 12, "unseen_agreement_vs_fp32": 0.75}, fp32) is None  # too few


SIMULATE = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from core.backbones import registry
    from core.cli import main
    from tests.helpers.training import tiny_spec
    root, mode, out = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode == "missing":  # the quantisation package cannot be imported at all
        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.startswith("onnxruntime.quantization"):
                    raise ModuleNotFoundError("No module named 'fusion_utils'")
        sys.meta_path.insert(0, Blocker())
    else:  # a frozen app's layout: onnxruntime/transformers is no folder of sources on sys.path
        import onnxruntime.transformers as t
        folder = os.path.abspath(os.path.dirname(t.__file__))
        sys.path[:] = [p for p in sys.path if os.path.abspath(p) != folder]
        try:
            import fusion_utils
            raise SystemExit("the simulation failed: fusion_utils is importable")
        except ModuleNotFoundError:
            pass
    spec = tiny_spec(root / "w")
    registry._registry()[spec.name] = spec  # the test backbone, found by name as a real one is
    sys.exit(main(["export", str(root / "proj"), str(root / out), "--int8", "--json"]))
""")


def _simulate(tmp_path, mode: str, out: str):
    r = subprocess.run([sys.executable, "-c", SIMULATE, str(tmp_path), mode, out], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr[-2000:]
    return r.returncode, json.loads(r.stdout), r.stderr


def test_int8_without_the_quantisation_tools_is_a_sentence_and_no_file(tmp_path):
    """In the packaged app `export --int8` failed with "No module named 'fusion_utils'", exited 0 in
    other cases with a broken file, and left a stray .onnx. Now the variant is not written, the
    command says why and exits 1, and the fp32 model stands; with a frozen app's layout (the bare
    names unreachable from sys.path) the quantisation tools load and run."""
    spec = tiny_spec(tmp_path / "w")
    project = make_colour_project(tmp_path, per_class=8)
    Trainer(project, TrainConfig(mode="full", epochs=3, batch_size=8), spec=spec).fit()
    project.close()
    code, report, stderr = _simulate(tmp_path, "missing", "a.onnx")
    reason = report["variants"]["int8"]["reason"]
    assert code == 1 and reason.startswith("onnxruntime's quantisation tools cannot be loaded here") and "fusion_utils" in reason
    assert f"int8 was not written: {reason}." in stderr
    assert sorted(p.name for p in tmp_path.glob("a*")) == ["a.labels.txt", "a.md", "a.onnx"]
    assert not list(tmp_path.glob(".*.tmp"))
    code, report, _ = _simulate(tmp_path, "frozen", "b.onnx")
    int8 = report["variants"]["int8"]
    assert "quantised" in int8 and int8.get("accuracy") is not None, int8  # it was made and measured
    assert (tmp_path / "b.int8.onnx").exists() == int8["written"] and code == (0 if int8["written"] else 1)


def test_an_export_recorded_before_variants_were_judged_still_reads(tmp_path):
    """runs/<id>/export.json of an earlier version listed only the variants it wrote."""
    from core.export.report import ExportReport

    old = {"path": str(tmp_path / "m.onnx"), "run_id": "r", "size_bytes": 100, "parity_max_diff": 1e-7,
           "parity_samples": 8, "preprocessing_max_diff": 0.0, "preprocessing_top1_agreement": 1.0,
           "labels_path": str(tmp_path / "labels.txt"), "card_path": str(tmp_path / "m.md"),
           "variants": {"fp16": {"path": str(tmp_path / "m.fp16.onnx"), "size_bytes": 50}}, "seconds": 3.0,
           "metadata": {"task": "image"}, "a_key_from_elsewhere": 1}
    report = ExportReport.from_json(old)
    assert report.not_written == {} and list(report.variants) == ["fp32", "fp16"]
    assert report.files()[:2] == [str(tmp_path / "m.onnx"), str(tmp_path / "m.fp16.onnx")]


def test_a_model_named_like_a_variant_is_neither_removed_nor_replaced(colours, tmp_path):
    """A model exported as m.fp16.onnx (with its own m.fp16.labels.txt and card) is another model, not a
    variant of m.onnx: exporting m.onnx beside it, even with --force, neither needs --force for it nor
    removes it, and an fp16 variant of m.onnx that would take its name is refused with a sentence."""
    project, spec, first, stopped = colours
    folder = tmp_path / "out"
    other = export_run(project, folder / "m.fp16.onnx", stopped, spec=spec)
    kept = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(kept) == {"m.fp16.onnx", "m.fp16.labels.txt", "m.fp16.md"}
    report = export_run(project, folder / "m.onnx", first, spec=spec)  # no --force needed: nothing of m's is there
    assert report.removed == []
    again = export_run(project, folder / "m.onnx", first, spec=spec, overwrite=True)
    assert again.removed == []
    assert {n: (folder / n).read_bytes() for n in kept} == kept  # the other model is untouched
    assert Predictor(other.path).metadata["run_id"] == stopped
    with pytest.raises(ExportError, match="m.fp16.onnx is another exported model"):
        export_run(project, folder / "m.onnx", first, spec=spec, overwrite=True, fp16=True)
    assert {n: (folder / n).read_bytes() for n in kept} == kept


def test_an_output_folder_that_cannot_be_made_is_a_sentence(colours, tmp_path, capsys):
    """A file where the output's folder should be was 'unexpected error (FileExistsError ...)'."""
    project, spec, first, stopped = colours
    (tmp_path / "taken.jpg").write_bytes(b"a picture")
    with pytest.raises(ExportError, match=r"Cannot make the folder .*taken.jpg/models.*'.*taken.jpg' is a file, not a folder"):
        export_run(project, tmp_path / "taken.jpg" / "models" / "m.onnx", first, spec=spec)
    project.close()
    capsys.readouterr()
    assert main(["export", str(project.root), str(tmp_path / "taken.jpg" / "m.onnx")]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "unexpected error" not in err
    assert (tmp_path / "taken.jpg").read_bytes() == b"a picture"


def test_a_folder_where_the_model_file_goes_is_a_sentence(colours, tmp_path):
    """An existing folder named like the model: --force ended in 'unexpected error (IsADirectoryError)'."""
    project, spec, first, stopped = colours
    (tmp_path / "out" / "m.onnx").mkdir(parents=True)
    for overwrite in (False, True):
        with pytest.raises(ExportError, match=r"m.onnx' is a folder, where this export would write a file"):
            export_run(project, tmp_path / "out" / "m.onnx", first, spec=spec, overwrite=overwrite)
    assert (tmp_path / "out" / "m.onnx").is_dir() and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["m.onnx"]


def test_each_variant_is_compared_with_fp32_on_samples_the_model_did_not_learn_from(tmp_path):
    """The accuracy rule reads mostly samples the model learnt from, where a smaller file rarely
    changes an answer; the export also says how often each file gives fp32's class on samples it
    did not learn from (here: unlabelled ones), and says so where there are none."""
    from core.export.files import unseen_line
    from core.export.samples import learnt_from_unlabelled, unseen_samples
    from core.importer import import_files
    from tests.helpers.training import colour_image

    spec = tiny_spec(tmp_path / "w")
    project = make_colour_project(tmp_path, per_class=8)
    try:
        run = Trainer(project, TrainConfig(mode="full", epochs=3, batch_size=8), spec=spec).fit()
        none = export_run(project, tmp_path / "a" / "m.onnx", run.run_id, spec=spec, fp16=True)
        assert none.measured["unseen_samples"] == 0 and none.variants["fp16"]["unseen_agreement_vs_fp32"] is None
        card = (tmp_path / "a" / "m.md").read_text(encoding="utf-8")
        assert "no sample the model did not learn from (test split and unlabelled) to compare on" in card
        new = tmp_path / "new"
        new.mkdir()
        for i in range(12):
            colour_image(("red", "green", "blue")[i % 3], seed=5000 + i).save(new / f"n{i}.png")
        import_files(project, [new], labels="none")
        report = export_run(project, tmp_path / "b" / "m.onnx", run.run_id, spec=spec, fp16=True)
        assert report.measured["unseen_samples"] == 12
        assert report.variants["fp32"]["unseen_agreement_vs_fp32"] == 1.0
        assert 0.0 <= report.variants["fp16"]["unseen_agreement_vs_fp32"] <= 1.0
        card = (tmp_path / "b" / "m.md").read_text(encoding="utf-8")
        assert "how often each file gives fp32's class on 12 samples the model did not learn from" in card
        assert "| as fp32 |" in card
        # a run that learnt from the unlabelled samples too (pseudo-labels, adaptation): the test split alone
        assert learnt_from_unlabelled({"unlabelled": {"used": True}}) and learnt_from_unlabelled({"adaptation": {"used": True}})
        assert not learnt_from_unlabelled({"unlabelled": {"used": False, "reason": "no gain"}})
        assert len(unseen_samples(project, 50)) == 12 and unseen_samples(project, 50, unlabelled=False) == []
        # an export written before this was measured says nothing about it (not "there was none")
        assert unseen_line({"samples": 12, "splits": "train"}) == ""
    finally:
        project.close()


def test_a_test_split_sample_is_scored_and_compared_in_one_inference(tmp_path):
    """A test-split sample is both scored (accuracy) and new to the model (as fp32): each file runs on
    it once, and both tallies read the same as two separate passes would."""
    from core.export import measure
    from core.export.samples import labelled_inputs, pick_samples, tagged_inputs, unseen_samples
    from core.importer import import_files
    from core.runs import load_run
    from tests.helpers.training import colour_image

    spec = tiny_spec(tmp_path / "w")
    project = make_colour_project(tmp_path, per_class=8)
    try:
        project.reset_splits(val=0.25, test=0.25, test_after=0)  # a test split however small the classes
        new = tmp_path / "new"
        new.mkdir()
        for i in range(6):
            colour_image(("red", "green", "blue")[i % 3], seed=7000 + i).save(new / f"n{i}.png")
        import_files(project, [new], labels="none")
        run = Trainer(project, TrainConfig(mode="full", epochs=3, batch_size=8, unlabelled="ignore"), spec=spec).fit()
        report = export_run(project, tmp_path / "out" / "m.onnx", run.run_id, spec=spec, fp16=True)
        test_ids = {s.id for s in project.samples(split="test")}
        assert len(test_ids) == 6
        assert report.measured["samples"] == 24 and report.measured["unseen_samples"] == 6 + 6

        loaded = load_run(project, run.run_id, spec=spec)
        picked = pick_samples(project, loaded.class_names, 300)
        unseen = unseen_samples(project, 200)
        items = list(tagged_inputs(loaded, project, picked, unseen))
        assert len(items) == len({s.id for s in picked} | {s.id for s in unseen}) == 30  # each sample read once
        assert sum(tags == ("scored", "unseen") for _y, _raw, tags in items) == 6  # the test split's
        assert all(y == -1 for y, _raw, tags in items if tags == ("unseen",))  # never scored
        sessions = {"fp32": measure.session(report.path), "fp16": measure.session(report.variants["fp16"]["path"])}
        both = measure.tagged_pass(sessions, "image", iter(items), ("scored", "unseen"))
        assert both["scored"] == measure.accuracy_pass(sessions, "image", labelled_inputs(loaded, project, picked))
        apart = measure.accuracy_pass(sessions, "image", ((-1, raw) for _y, raw, tags in items if "unseen" in tags))
        for kind in sessions:
            assert both["unseen"][kind]["top1_agreement_vs_fp32"] == apart[kind]["top1_agreement_vs_fp32"]
            assert both["unseen"][kind]["samples"] == 12
            assert report.variants[kind]["unseen_agreement_vs_fp32"] == both["unseen"][kind]["top1_agreement_vs_fp32"]
    finally:
        project.close()
