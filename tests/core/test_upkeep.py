"""Issue 17.8 and 17.9: what a killed process leaves in a project is removed when the project is
next opened (and said so), nothing outside the project is touched; a hostile project.db cannot make
TransferLab open a file outside the project's media folder.

Leftovers are made the honest way: a real subprocess doing the real work is killed (os._exit, which
runs no clean-up, exactly like SIGKILL) at the moment that leaves them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.importer import import_files
from core.project import Project
from tests.helpers.media_factory import shape_image, write_image

ROOT = Path(__file__).resolve().parents[2]


def killed_while(code: str, *args) -> None:
    """Run ``code`` in a fresh interpreter that must die with exit status 9 (its kill point)."""
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                            timeout=300, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 9, result.stderr


def _pictures(folder: Path, n: int, seed: int = 0) -> Path:
    for k in range(n):
        write_image(folder / "shapes" / f"p{seed + k}.png", shape_image("circle", seed=seed + k))
    return folder


def _age(path: Path, seconds: float = 3600) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


IMPORT_KILLED_BEFORE_ITS_ROWS = """
import os, sys
from core.importer import import_files, store
from core.project import Project
store.ImportWriter.flush = lambda self: os._exit(9)  # killed before the first batch of rows is saved
with Project.open(sys.argv[1]) as project:
    import_files(project, [sys.argv[2]])
"""

IMPORT_KILLED_MID_COPY = """
import os, sys
from core.importer import import_files
from core.project import Project
with Project.open(sys.argv[1]) as project:
    os.replace = lambda *a, **k: os._exit(9)  # the copy is written, not yet renamed into place
    import_files(project, [sys.argv[2]], workers=1)
"""

CHECKPOINT_KILLED_MID_SAVE = """
import os, sys
from pathlib import Path
import torch
from core.train import checkpoint
os.fsync = lambda fd: os._exit(9)  # the bytes are written, the rename never happens
checkpoint.save(Path(sys.argv[1]), {"model": {"w": torch.zeros(256, 1024)}, "epoch": 1})
"""


def test_leftovers_of_killed_runs_are_removed_on_opening_and_reported(tmp_path, capsys):
    project_dir = tmp_path / "P"
    with Project.create(project_dir, "image") as project:
        assert import_files(project, [_pictures(tmp_path / "first", 2)]).added == 2
        kept_media = sorted(p for p in (project_dir / "media").rglob("*") if p.is_file())
    killed_while(IMPORT_KILLED_MID_COPY, project_dir, _pictures(tmp_path / "third", 1, seed=20))
    parts = sorted((project_dir / "media").rglob(".*.part"))
    assert len(parts) == 1
    # the next import opens the project, which removes that half-copied file; then it dies too
    killed_while(IMPORT_KILLED_BEFORE_ITS_ROWS, project_dir, _pictures(tmp_path / "second", 3, seed=10))
    assert not parts[0].exists()
    run = project_dir / "runs" / "20240101-000000-abcd"
    run.mkdir(parents=True)
    killed_while(CHECKPOINT_KILLED_MID_SAVE, run / "last.pt")
    orphans = sorted(p for p in (project_dir / "media").rglob("*") if p.is_file() and p not in kept_media)
    ckpt_tmp = sorted(run.glob(".last.pt.*.tmp"))
    assert len(orphans) == 3 and len(ckpt_tmp) == 1
    assert ckpt_tmp[0].stat().st_size > 1_000_000

    # files a reader of the project may be writing right now: kept while young, removed once old
    thumbs = project_dir / "cache" / "thumbnails" / "ab"
    thumbs.mkdir(parents=True)
    (old_thumb := thumbs / "tmpx1.part").write_bytes(b"x")
    (young_thumb := thumbs / "tmpx2.part").write_bytes(b"x")
    _age(old_thumb)
    (young_report := run / ".report.json.x1.tmp").write_text("{}")
    (old_report := run / ".report.json.x2.tmp").write_text("{}")
    _age(old_report)
    # never touched: the same names outside the project, and behind a link inside it
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside_tmp := outside / ".last.pt.zz.tmp").write_bytes(b"mine")
    (outside_part := outside / ".x.part").write_bytes(b"mine")
    _age(outside_tmp)
    (project_dir / "runs" / "linked").symlink_to(outside, target_is_directory=True)
    (project_dir / "cache" / "linked").symlink_to(outside, target_is_directory=True)

    assert cli_main(["status", str(project_dir), "--json"]) == 0
    captured = capsys.readouterr()
    assert "Cleaned up after an interrupted run: removed 6 leftover files" in captured.err
    assert "a checkpoint being saved" in captured.err and "database row was never saved" in captured.err
    upkeep = json.loads(captured.out)["upkeep"]
    assert sorted(r["path"] for r in upkeep["removed"]) == sorted(
        p.relative_to(project_dir).as_posix() for p in [*orphans, *ckpt_tmp, old_thumb, old_report])
    for gone in [*orphans, *ckpt_tmp, old_thumb, old_report]:
        assert not gone.exists(), gone
    for kept in [*kept_media, young_thumb, young_report, outside_tmp, outside_part]:
        assert kept.exists(), kept
    with Project.open(project_dir) as project:
        assert project.status().samples == 2 and not project.upkeep  # nothing left to do
        for sample in project.samples():
            assert project.path_of(sample).is_file()


def test_a_read_only_opening_leaves_everything_as_it_is(tmp_path):
    with Project.create(tmp_path / "P", "image") as project:
        run = project.runs_dir / "r1"
        run.mkdir()
        leftover = run / ".last.pt.abc.tmp"
        leftover.write_bytes(b"x")
        with Project.open(tmp_path / "P", read_only=True) as reader:  # the writer (us) may be saving it
            assert not reader.upkeep
        assert leftover.exists()


EXPORT_KILLED = """
import os, sys
from pathlib import Path
from core.export import exporter
from core.project import Project
from tests.helpers.training import tiny_spec
exporter.measure.session = lambda *a, **k: os._exit(9)  # the model file is built, the check has not run
with Project.open(sys.argv[1]) as project:
    exporter.export_run(project, sys.argv[2], spec=tiny_spec(Path(sys.argv[3])))
"""


@pytest.mark.usefixtures("two_torch_threads")
def test_an_export_killed_mid_way_leaves_nothing_in_the_output_folder(tmp_path):
    from core.train import TrainConfig, Trainer
    from tests.helpers.training import make_colour_project, tiny_spec

    project = make_colour_project(tmp_path, per_class=4)
    result = Trainer(project, TrainConfig(mode="probe", epochs=2, batch_size=8), spec=tiny_spec(tmp_path / "w")).fit()
    project.close()
    out = tmp_path / "models" / "shapes.onnx"
    out.parent.mkdir()
    killed_while(EXPORT_KILLED, tmp_path / "proj", out, tmp_path / "w")
    assert list(out.parent.iterdir()) == []  # before: a hidden .shapes.onnx.tmp stayed here for good
    staged = list(Path(result.run_dir).glob(".export-*.tmp"))
    assert len(staged) == 1
    with Project.open(tmp_path / "proj") as project:
        assert [r.what for r in project.upkeep.removed] == ["a model being exported"]
    assert not staged[0].exists()



def test_every_file_of_an_export_is_staged_in_the_run_folder_under_a_name_of_its_own(tmp_path):
    """The export's variants (fp16, int8, the split front end) are staged like its model, and two
    exports of one run in one process (the app's Play and Export pages) never share a staging file."""
    from core.export.staging import Staging

    run = tmp_path / "P" / "runs" / "r1"
    run.mkdir(parents=True)
    out = tmp_path / "models" / "pets.onnx"
    out.parent.mkdir()
    first, second = Staging(out, run), Staging(out, run)
    staged = [first.path(role) for role in ("fp32", "fp16", "int8")] + [second.path("fp32")]
    assert {p.parent for p in staged} == {run} and len(set(staged)) == 4
    for p in staged:
        p.write_bytes(b"model")
    assert list(out.parent.iterdir()) == []  # nothing beside the output before the commit
    first.commit(["fp32", "int8"])
    first.cleanup()
    second.cleanup()
    assert sorted(p.name for p in out.parent.iterdir()) == ["pets.int8.onnx", "pets.onnx"]
    assert list(run.iterdir()) == []

# ------------------------------------------------------------------ media paths (issue 17.9)


def test_a_hostile_media_path_is_never_opened(tmp_path):
    from core.project.project import MediaPathError

    secret = tmp_path / "secret" / "diary.png"
    write_image(secret, shape_image("square", seed=5))
    project_dir = tmp_path / "deep" / "P"
    with Project.create(project_dir, "image") as project:
        import_files(project, [_pictures(tmp_path / "src", 5)])
        ids = [s.id for s in project.samples()]
        linked = project.samples()[2]
        piped = project.samples()[3]
    (project_dir / linked.media_path).unlink()
    (project_dir / linked.media_path).symlink_to(secret)
    (project_dir / piped.media_path).unlink()
    os.mkfifo(project_dir / piped.media_path)
    with sqlite3.connect(project_dir / "project.db") as db:
        db.execute("UPDATE samples SET media_path = ? WHERE id = ?", (str(secret), ids[0]))
        db.execute("UPDATE samples SET media_path = ? WHERE id = ?", ("media/../../../secret/diary.png", ids[1]))

    with Project.open(project_dir, read_only=True) as reader:  # no upkeep: the guard alone refuses
        for sample in reader.samples()[:4]:
            with pytest.raises(MediaPathError):
                reader.path_of(sample)
    with Project.open(project_dir) as project:
        assert sorted(s.sample_id for s in project.upkeep.set_aside) == ids[:4]
        reasons = {s.id: s.status_reason for s in project.samples(status="broken")}
        assert "not a relative path inside the project's media folder" in reasons[ids[0]]
        assert "lies outside the project's media folder" in reasons[ids[1]]
        assert "reached through a link" in reasons[ids[2]]
        assert "named pipe" in reasons[ids[3]]
        assert project.status().broken == 4 and project.status().samples == 1
        for sample in project.samples()[:4]:
            with pytest.raises(MediaPathError):
                project.path_of(sample)
        assert project.path_of(project.samples()[4]).is_file()
        from core.train.labelled import from_project

        project.set_labels([(i, "circle") for i in ids])
        project.reset_splits(val=0.0, test=0.0)
        data = from_project(project)
        assert [it.sample_id for it in data.train] == [ids[4]]  # the others are never handed to training
