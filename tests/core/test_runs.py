"""Runs as a contract: the catalogue (no torch) finds them, each run kind writes and reads its own
payload, the loader goes through the kind a checkpoint names, and every builder reports a FitEnd."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from core import run_kinds
from core.cancel import CancelToken
from core.errors import TransferLabError
from core.evaluate.run_eval import predict_samples
from core.fewshot import PrototypeClassifier, fewshot_run
from core.media import decode_image
from core.run_catalogue import RunError, list_runs
from core.runs import KINDS, load_run
from core.train import TrainConfig, Trainer
from core.train.events import FitEnd
from core.train.model import Classifier
from core.zeroshot import AttributeClassifier, zeroshot_run
from tests.helpers.training import make_colour_project, tiny_spec

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalogue_records_lists_and_finds_runs_without_loading_torch(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from core.project import Project
        from core.run_catalogue import RunFiles, find_run, list_runs, new_run_id, record_run
        project = Project.create(Path({str(tmp_path)!r}) / "p", "image")
        ids = []
        for mode in ("probe", "finetune"):
            run_id = new_run_id()
            files = RunFiles(project.runs_dir / run_id)
            files.create({{"mode": mode, "backbone": "x"}}, {{"run_id": run_id}})
            files.append_metrics({{"epoch": 1, "val_acc": 0.5}})
            files.best.write_bytes(b"")
            record_run(project, run_id, "completed", {{"mode": mode, "backbone": "x"}}, {{"val_acc": 0.5}})
            ids.append(run_id)
        (project.runs_dir / "not-recorded").mkdir()  # a folder the project has no row of is listed too
        runs = list_runs(project)
        assert {{r.id for r in runs}} == {{*ids, "not-recorded"}}, runs
        assert find_run(project, ids[0]).mode == "probe"
        assert find_run(project).id in ids and find_run(project).has_model
        print("torch" in sys.modules)
    """)
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "False"


@pytest.fixture(scope="module")
def colour_runs(tmp_path_factory):
    """A project with one run of each kind, on the tiny backbone."""
    tmp = tmp_path_factory.mktemp("kinds")
    spec = tiny_spec(tmp / "weights")
    project = make_colour_project(tmp, per_class=6)
    project.set_class_attributes("red", ["warm"])
    project.set_class_attributes("green", ["cool", "leafy"])
    project.set_class_attributes("blue", ["cool"])
    trained = Trainer(project, TrainConfig(mode="probe", epochs=2, batch_size=8), spec=spec).fit()
    built = {"fewshot": fewshot_run(project, spec), "zeroshot": zeroshot_run(project, spec, epochs=5)}
    yield project, spec, trained, built
    project.close()


def test_builders_report_the_result_type_of_training(colour_runs):
    project, spec, trained, built = colour_runs
    for result in (trained, *built.values()):
        assert isinstance(result, FitEnd) and result.status == "completed"
        assert Path(result.best_path).is_file() and Path(result.run_dir).name == result.run_id
    assert built["fewshot"].details["examples_per_class"] == [6, 6, 6]  # train and val: no test split
    assert built["zeroshot"].details["attributes"] == ["cool", "leafy", "warm"]
    assert "train_acc" in built["zeroshot"].metrics
    listed = {r.id: r.mode for r in list_runs(project)}
    assert listed == {trained.run_id: "probe", built["fewshot"].run_id: "fewshot", built["zeroshot"].run_id: "zeroshot"}


@pytest.mark.parametrize("kind, model_type", [("classifier", Classifier), ("prototype", PrototypeClassifier),
                                              ("attributes", AttributeClassifier)])
def test_every_kind_is_read_back_by_its_own_reader(colour_runs, kind, model_type):
    project, spec, trained, built = colour_runs
    run_id = {"classifier": trained.run_id, "prototype": built["fewshot"].run_id,
              "attributes": built["zeroshot"].run_id}[kind]
    # as core.train.checkpoint.load reads it: a run trained on a GPU holds GPU tensors
    checkpoint = torch.load(project.runs_dir / run_id / "best.pt", map_location="cpu", weights_only=True)
    assert checkpoint["head"] == kind and run_kinds.kind_of(checkpoint).name == kind
    loaded = load_run(project, run_id, spec=spec)
    assert type(loaded.model) is model_type and not loaded.model.training
    saved = checkpoint["model"]
    assert all(torch.equal(v, saved[k]) for k, v in loaded.model.state_dict().items())
    picture = decode_image(project.path_of(project.samples()[0]))
    with torch.no_grad():
        assert loaded.model(*spec.preprocessing.collate([spec.preprocessing.to_tensor(picture)])).shape == (1, 3)


def test_a_checkpoint_written_before_kinds_were_named_reads_as_a_trained_classifier(colour_runs, tmp_path):
    project, spec, trained, _ = colour_runs
    best = project.runs_dir / trained.run_id / "best.pt"
    checkpoint = torch.load(best, weights_only=True)
    old = {k: v for k, v in checkpoint.items() if k != "head"}
    folder = tmp_path / "old-run"
    folder.mkdir()
    torch.save(old, folder / "best.pt")
    assert type(load_run(project, folder, spec=spec).model) is Classifier


def test_an_unknown_kind_is_a_sentence(colour_runs, tmp_path):
    project, spec, trained, _ = colour_runs
    checkpoint = torch.load(project.runs_dir / trained.run_id / "best.pt", weights_only=True)
    folder = tmp_path / "future-run"
    folder.mkdir()
    torch.save({**checkpoint, "head": "semi-supervised"}, folder / "best.pt")
    with pytest.raises(RunError, match="does not know \\('semi-supervised'\\)"):
        load_run(project, folder, spec=spec)


@pytest.mark.parametrize("kind", ["fewshot", "zeroshot"])
def test_only_a_trained_classifier_can_start_a_training_run(colour_runs, kind):
    project, spec, _, built = colour_runs
    config = TrainConfig(mode="probe", epochs=1, batch_size=8, from_run=built[kind].run_id)
    with pytest.raises(TransferLabError, match=f"is a {kind} model, not a trained classifier"):
        Trainer(project, config, spec=spec).fit()


def test_the_loader_knows_every_registered_kind():
    assert sorted(k.name for k in KINDS) == run_kinds.names() == ["attributes", "classifier", "prototype"]
    with pytest.raises(ValueError, match="registered already"):
        run_kinds.register(run_kinds.RunKind("prototype", lambda model: {}, lambda checkpoint, spec: None))


def test_a_stop_request_ends_a_prediction_between_batches_with_what_was_predicted(colour_runs):
    project, spec, trained, _built = colour_runs
    loaded = load_run(project, trained.run_id, spec=spec)
    samples = project.samples()
    probs, kept, skipped = predict_samples(loaded, project, samples, batch_size=3)
    assert len(samples) == 18 and kept == list(range(18)) and probs.shape == (18, 3) and not skipped

    token, reports = CancelToken(), []

    def progress(done, total):  # a person presses Stop while the first batch is predicted
        reports.append((done, total))
        token.cancel()

    stopped, kept_early, _ = predict_samples(loaded, project, samples, batch_size=3, progress=progress,
                                             should_stop=lambda: token.cancelled)
    assert reports == [(3, 18)] and kept_early == [0, 1, 2]  # the next batch was never read
    assert stopped.shape == (3, 3) and (stopped == probs[:3]).all()
