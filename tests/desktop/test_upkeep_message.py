"""Opening a project in the app says what the opening tidied after a killed run (issue 17.8)."""

from __future__ import annotations

from core.project import Project


def test_opening_a_project_says_what_was_cleaned_up(tmp_path, window):
    with Project.create(tmp_path / "proj", "image", name="Killed") as project:
        run = project.runs_dir / "20240101-000000-abcd"
        run.mkdir()
        (run / ".last.pt.k2j3.tmp").write_bytes(b"\0" * 3 * 2**20)  # what a kill during a save leaves
    messages = []
    window.services.notifier.posted.connect(messages.append)
    assert window.services.projects.open_project(tmp_path / "proj")
    assert not (run / ".last.pt.k2j3.tmp").exists()
    assert [m.level for m in messages] == ["info"]
    assert messages[0].text.startswith("Cleaned up after an interrupted run: removed 1 leftover file (3.0 MiB): "
                                       "runs/20240101-000000-abcd/.last.pt.k2j3.tmp (a checkpoint being saved)")
    assert window.banner.isVisibleTo(window)
