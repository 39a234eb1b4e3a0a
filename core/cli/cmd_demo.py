"""`transferlab demo`: a ready-made project from the bundled sample images, opened in the app.

A new user sees training work within a minute, offline: the demo project holds 45 labelled shape
images (resources/sample/images), split and ready to train; unseen images for the Play page sit
beside it in ``try/``. The project is made once, in the user data folder, and reused afterwards.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from core.errors import UsageError

NAME = "demo"
HELP = "Create the sample project (offline, once) and open it in the app."

DEMO_NAME = "Shapes demo"


@dataclass(frozen=True)
class DemoProject:
    project: Path  # the project folder
    try_dir: Path  # unseen images to predict on
    created: bool  # False: an existing demo project was reused
    added: int = 0


def data_dir() -> Path:
    """Same rule as core.weights.data_dir (TRANSFERLAB_DATA_DIR, else the platform's user data
    folder); repeated here so that `transferlab demo` does not import torch before the window opens."""
    override = os.environ.get("TRANSFERLAB_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("TransferLab", appauthor=False))


def default_location() -> Path:
    return data_dir() / "demo"


def create_demo_project(location: str | os.PathLike | None = None, *, reset: bool = False) -> DemoProject:
    """The demo project under ``location`` (default: <data dir>/demo), made from the bundled sample if
    it is not there yet. Creation happens in a side folder that is renamed into place when complete,
    so an interrupted run never leaves a half-filled project that later runs would reuse."""
    from core.importer import import_files
    from core.project import Project
    from core.resources import sample_dir

    base = Path(location) if location is not None else default_location()
    base = base.expanduser().resolve()
    project_dir, try_dir = base / "project", base / "try"
    if reset and base.exists():
        if (project_dir / "project.toml").exists() or not any(base.iterdir()):
            shutil.rmtree(base)
        else:
            raise UsageError(f"'{base}' does not hold a demo project; not deleting it. Choose another --dir.")
    if (project_dir / "project.toml").exists():
        return DemoProject(project_dir, try_dir, created=False)
    if project_dir.exists() and any(project_dir.iterdir()):
        raise UsageError(f"'{project_dir}' exists but is not a TransferLab project. Move it away, or use "
                         "--dir to put the demo elsewhere.")
    sample = sample_dir()
    base.mkdir(parents=True, exist_ok=True)
    partial = base / f".project.partial-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    try:
        with Project.create(partial, "image", DEMO_NAME) as project:
            report = import_files(project, [sample / "images"], labels="folder")
        if report.added == 0:
            raise UsageError(f"No sample image could be imported from {sample / 'images'}.")
        if project_dir.exists():
            project_dir.rmdir()  # empty (checked above)
        os.replace(partial, project_dir)
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    if (sample / "try").is_dir():
        shutil.copytree(sample / "try", try_dir, dirs_exist_ok=True)
    return DemoProject(project_dir, try_dir, created=True, added=report.added)


def add_arguments(p) -> None:
    p.add_argument("--dir", metavar="DIR", help="where to keep the demo (default: the user data folder's demo/)")
    p.add_argument("--reset", action="store_true", help="make the demo project again from scratch")
    p.add_argument("--no-open", action="store_true", help="only create it and print where it is")


def run(args) -> int:
    demo = create_demo_project(args.dir, reset=args.reset)
    if demo.created:
        print(f"Created the demo project '{DEMO_NAME}' with {demo.added} labelled images in {demo.project}")
    else:
        print(f"Demo project: {demo.project}")
    print(f"Images to try the trained model on: {demo.try_dir}")
    if args.no_open:
        print(f"Next: transferlab train {demo.project}   (or open it: transferlab {demo.project})")
        return 0
    from core.cli import _run_gui

    return _run_gui(str(demo.project))
