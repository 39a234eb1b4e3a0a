"""Issue 17.6, 17.7 and 17.10: formula injection in exported labels, resuming a run that already
finished, and errors that must be one sentence with exit status 1."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.importer import import_files
from core.project import Project
from tests.helpers.hostile import permissions_apply, unprivileged
from tests.helpers.media_factory import shape_image, write_image

BIN = Path(sys.executable).parent / ("transferlab.exe" if os.name == "nt" else "transferlab")

HOSTILE_NAMES = ["=cmd|' /C calc'!A0", "=1+1", "-cmd", "+SUM(A1)", "@SUM(A1)", "'=quoted", "'", "plain"]


def _project(tmp_path: Path, n: int = 8) -> Project:
    for k in range(n):
        write_image(tmp_path / "src" / f"p{k}.png", shape_image("circle", seed=k))
    project = Project.create(tmp_path / "P", "image")
    import_files(project, [tmp_path / "src"])
    return project


def test_label_export_escapes_cells_a_spreadsheet_would_run_and_import_reads_them_back(tmp_path):
    with _project(tmp_path, len(HOSTILE_NAMES)) as project:
        ids = [s.id for s in project.samples()]
        project.set_labels(list(zip(ids, HOSTILE_NAMES)))
        project.add_label_set("=HYPERLINK(\"x\")")
        project.set_set_labels("=HYPERLINK(\"x\")", [(ids[0], "-2+3")])
    out = tmp_path / "labels.csv"
    assert cli_main(["label", "export", str(tmp_path / "P"), str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for cell in (c for row in rows for c in row):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    labels = [row[1] for row in rows[1:]]
    assert labels[:2] == ["'=cmd|' /C calc'!A0", "'=1+1"] and labels[-1] == "plain"
    assert rows[1][-1] == "'-2+3"

    with Project.open(tmp_path / "P") as project:  # clear, then read back: the names come back exact
        project.set_labels([(i, None) for i in ids])
        project.set_set_labels("=HYPERLINK(\"x\")", [(ids[0], None)])
        from core.project.labels_csv import import_labels

        report = import_labels(project, out)
        assert report.applied == len(ids) + 1 and not report.unmatched
        assert [s.label for s in project.samples()] == HOSTILE_NAMES
        assert project.set_labels_of("=HYPERLINK(\"x\")")[ids[0]] == "-2+3"


def test_tab_and_carriage_return_starts_are_escaped_too():
    from core.project.labels_csv import escape_cell, unescape_cell

    for value in ("\tcmd", "\r=1", "''", "a=b", ""):
        assert unescape_cell(escape_cell(value)) == value
    assert escape_cell("\tcmd") == "'\tcmd" and escape_cell("\r=1") == "'\r=1" and escape_cell("a=b") == "a=b"


# ------------------------------------------------------------------ resume (issue 17.7)


@pytest.mark.usefixtures("two_torch_threads")
@pytest.mark.parametrize("settings, ended", [
    ({"mode": "finetune", "epochs": 6, "patience": 1, "lr": 1e-9, "augment": "none"}, "early stopped"),
    ({"mode": "finetune", "epochs": 2}, "completed"),
])
def test_resuming_a_finished_run_trains_nothing_and_says_so(tmp_path, capsys, settings, ended):
    from core.train import TrainConfig, Trainer
    from core.train.checkpoint import RunFinishedError
    from tests.helpers.training import make_colour_project, tiny_spec

    project = make_colour_project(tmp_path, per_class=6)
    spec = tiny_spec(tmp_path / "w")
    first = Trainer(project, TrainConfig(batch_size=8, **settings), spec=spec).fit()
    assert first.status == ended.replace(" ", "_")  # the premise: the run ended by itself
    metrics = (Path(first.run_dir) / "metrics.jsonl").read_text()
    with pytest.raises(RunFinishedError, match=f"already finished \\({ended} after epoch {first.epochs_done} of "):
        Trainer.resume(project, first.run_id, spec=spec)
    project.close()
    # the command line: one sentence, nothing trained, the run keeps its status and its files
    assert cli_main(["train", str(tmp_path / "proj"), "--resume", first.run_id]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing to resume" in err and "Start a new run" in err
    assert (Path(first.run_dir) / "metrics.jsonl").read_text() == metrics
    with Project.open(tmp_path / "proj") as project:
        status = project.conn.execute("SELECT status FROM runs WHERE id = ?", (first.run_id,)).fetchone()[0]
        assert status == ended.replace(" ", "_")


# ------------------------------------------------------------------ sentences (issue 17.10)


def _cli(*args, prefix=()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, str(BIN), *map(str, args)], capture_output=True, text=True, timeout=300)


def _one_sentence(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr)
    err = result.stderr
    assert err.startswith("transferlab: ") and err.count("\n") == 1, err
    assert "unexpected error" not in err and "Traceback" not in err
    return err


def test_a_damaged_project_database_is_a_sentence(tmp_path):
    _project(tmp_path, 2).close()
    (tmp_path / "P" / "project.db").write_bytes(b"this is no database " * 200)
    for wal in ("project.db-wal", "project.db-shm"):
        (tmp_path / "P" / wal).unlink(missing_ok=True)
    err = _one_sentence(_cli("status", tmp_path / "P"))
    assert "project.db is damaged or is not a TransferLab database" in err and "backup" in err


def test_a_checkpoint_holding_code_is_refused_in_one_sentence(tmp_path):
    import torch

    class Payload:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "code_ran",))

    _project(tmp_path, 2).close()
    run = tmp_path / "P" / "runs" / "20240101-000000-evil"
    run.mkdir(parents=True)
    torch.save({"schema": 1, "model": {}, "x": Payload()}, run / "last.pt")
    err = _one_sentence(_cli("train", tmp_path / "P", "--resume", run.name))
    assert "last.pt cannot be read as a TransferLab checkpoint: it holds more than tensors" in err
    assert "weights_only" not in err and not (tmp_path / "code_ran").exists()


@pytest.mark.skipif(not permissions_apply(), reason="file permissions do not apply to this user")
def test_predict_calls_a_permission_problem_by_its_name(tmp_path):
    from tests.helpers import contract_models

    model = contract_models.image_model(tmp_path / "m.onnx")
    locked = write_image(tmp_path / "locked.png", shape_image("circle", seed=1))
    locked.chmod(0)
    try:
        result = _cli("predict", model, locked, prefix=unprivileged())
    finally:
        locked.chmod(0o644)
    assert result.returncode == 1
    assert result.stderr.strip().endswith("cannot predict: permission denied"), result.stderr
    assert "corrupt" not in result.stderr
