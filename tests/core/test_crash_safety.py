"""Kill -9 in the middle of work, and a second process on the same project: nothing is lost."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.errors import ProjectLockedError
from core.importer import import_files
from core.project import Project
from tests.helpers.media_factory import shape_image, write_image

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="uses SIGKILL")


def _child(code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-u", "-c", textwrap.dedent(code)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _integrity_ok(project) -> bool:
    return project.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sigkill_during_label_burst_keeps_every_returned_edit(tmp_path):
    src = tmp_path / "src"
    for i in range(60):
        write_image(src / f"{i}.png", shape_image("circle", size=16, seed=i))
    with Project.create(tmp_path / "p", "image") as project:
        import_files(project, [src], labels="none")
    child = _child(
        f"""
        from core.project import Project
        p = Project.open({str(tmp_path / 'p')!r})
        ids = [s.id for s in p.samples()]
        n = 0
        while True:
            for sid in ids:
                label = "even" if (sid + n) % 2 == 0 else "odd"
                p.set_label([sid], label)
                print(sid, label, flush=True)  # only after the call returned
            n += 1
        """
    )
    confirmed = {}
    lines = []
    while len(lines) < 150:  # past the first round, so labels have been overwritten once
        line = child.stdout.readline()
        if not line:
            pytest.fail("child died: " + child.stderr.read())
        lines.append(line)
    child.send_signal(signal.SIGKILL)
    child.wait()
    # Everything the child printed was confirmed after its call returned, read it all in order.
    output = "".join(lines) + child.stdout.read()
    last_sid = None
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] in ("even", "odd"):  # a line cut by the kill is ignored
            last_sid = int(parts[0])
            confirmed[last_sid] = parts[1]
    assert len(confirmed) == 60
    with Project.open(tmp_path / "p") as project:  # the lock died with the process
        assert _integrity_ok(project)
        actual = project.labels_of(confirmed)
        # The last confirmed label of every sample is on disk. (An edit in flight at the kill may
        # have landed too: it belongs to the sample after the last confirmed one, so skip that one.)
        in_flight = sorted(confirmed)[(sorted(confirmed).index(last_sid) + 1) % 60]
        confirmed.pop(in_flight)
        mismatched = [sid for sid, label in confirmed.items() if actual[sid] != label]
        assert not mismatched, mismatched


def test_sigkill_during_import_leaves_an_openable_project(tmp_path):
    src = tmp_path / "src"
    for i in range(1500):
        write_image(src / "cls" / f"{i:04}.png", shape_image("square", size=24, seed=i))
    Project.create(tmp_path / "p", "image").close()
    child = _child(
        f"""
        from core.project import Project
        from core.importer import import_files
        p = Project.open({str(tmp_path / 'p')!r})
        import_files(p, [{str(src)!r}], progress=lambda pr: print(pr.done, flush=True))
        print("finished", flush=True)
        """
    )
    while True:
        line = child.stdout.readline()
        if not line:
            pytest.fail("child died: " + child.stderr.read())
        if line.strip() == "finished":
            pytest.skip("the import finished before it could be killed")
        if int(line) >= 400:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Project.open(tmp_path / "p") as project:
        assert _integrity_ok(project)
        partial = project.samples()
        assert 0 < len(partial) < 1500
        assert all(project.path_of(s).is_file() for s in partial)
        assert all(s.label == "cls" for s in partial)
        report = import_files(project, [src])  # finishing the job afterwards just works
        assert report.added == 1500 - len(partial)
        assert len(report.duplicates) == len(partial)
        assert project.count() == 1500


def test_two_processes_second_gets_a_clear_message(tmp_path):
    Project.create(tmp_path / "p", "image").close()
    holder = _child(
        f"""
        import sys
        from core.project import Project
        p = Project.open({str(tmp_path / 'p')!r})
        p.add_class("from-holder")
        print("ready", flush=True)
        sys.stdin.readline()
        p.add_class("after-wait")
        p.close()
        print("closed", flush=True)
        """
    )
    assert holder.stdout.readline().strip() == "ready"
    try:
        with pytest.raises(ProjectLockedError, match=rf"already open in another TransferLab \(process {holder.pid}"):
            Project.open(tmp_path / "p")
        cli = subprocess.run(
            [sys.executable, "-m", "core", "label", "add", str(tmp_path / "p"), "intruder"],
            cwd=ROOT, capture_output=True, text=True,
        )
        assert cli.returncode == 1 and "already open" in cli.stderr and "Traceback" not in cli.stderr
        status = subprocess.run(
            [sys.executable, "-m", "core", "status", str(tmp_path / "p")],
            cwd=ROOT, capture_output=True, text=True,
        )
        assert status.returncode == 0 and "read-only" in status.stdout
        with Project.open(tmp_path / "p", read_only=True) as viewer:
            assert viewer.class_names() == ["from-holder"]
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
    assert holder.stdout.readline().strip() == "closed"
    holder.wait()
    with Project.open(tmp_path / "p") as project:
        assert _integrity_ok(project)
        assert project.class_names() == ["from-holder", "after-wait"]
