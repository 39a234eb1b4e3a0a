"""`transferlab demo`: a ready-made project from the bundled sample images, opened in the app.

A new user sees training work within a minute, offline: the demo project holds 45 labelled shape
images (resources/sample/images), split and ready to train; unseen images for the Play page sit
beside it in ``try/``. The project is made once, in the user data folder, and reused afterwards.
"""

from __future__ import annotations

import os
import re
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
    so an interrupted run never leaves a half-filled project that later runs would reuse.

    ``reset`` replaces ``location``/project, and only that folder, and only when it is recognisably
    the demo (see ``_check_is_demo``): the folder ``location`` itself, anything else in it and the
    images in try/ are never deleted."""
    from core.resources import sample_dir

    base = Path(location) if location is not None else default_location()
    base = base.expanduser().resolve()
    project_dir, try_dir = base / "project", base / "try"
    sample = sample_dir()
    if base.exists() and not base.is_dir():
        raise UsageError(f"'{base}' is a file, not a folder; choose another --dir for the demo.")
    _remove_stale_partials(base)
    old = None
    if reset and project_dir.is_dir() and any(project_dir.iterdir()):
        _check_is_demo(project_dir, sample)
        old = base / f".project.old-{os.getpid()}"
        os.replace(project_dir, old)  # kept until the new demo is in place, then deleted
    try:
        if (project_dir / "project.toml").exists():
            return DemoProject(project_dir, try_dir, created=False)
        if project_dir.exists() and (not project_dir.is_dir() or any(project_dir.iterdir())):
            raise UsageError(f"'{project_dir}' exists but is not a TransferLab project. Move it away, or use "
                             "--dir to put the demo elsewhere.")
        added = _build(base, project_dir, sample)
    except BaseException:
        if old is not None and not project_dir.exists():
            os.replace(old, project_dir)  # the old demo comes back when the new one could not be made
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    _copy_missing(sample / "try", try_dir)
    return DemoProject(project_dir, try_dir, created=True, added=added)


def _build(base: Path, project_dir: Path, sample: Path) -> int:
    from core.importer import import_files
    from core.project import Project

    base.mkdir(parents=True, exist_ok=True)
    partial = base / f"{_PARTIAL}{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    try:
        with Project.create(partial, "image", DEMO_NAME) as project:
            report = import_files(project, [sample / "images"], labels="folder")
        if report.added == 0:
            raise UsageError(f"No sample image could be imported from {sample / 'images'}.")
        if project_dir.exists():
            project_dir.rmdir()  # empty (checked by the caller)
        os.replace(partial, project_dir)
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return report.added


_PARTIAL = ".project.partial-"
# What a project folder holds when TransferLab alone made it; anything else was put there by a person.
_PROJECT_ENTRIES = re.compile(r"project\.(toml|db|db-wal|db-shm|db-journal|lock|db\.v\d+\.bak)|media|cache|runs|\..*\.tmp")


def _check_is_demo(project_dir: Path, sample: Path) -> None:
    """Raise a sentence unless ``project_dir`` is recognisably the demo: a TransferLab image project
    named like the demo, holding nothing but the files a project is made of, and no sample that is
    not one of the bundled images (so nothing a person imported or wrote is lost by a reset)."""
    from core.errors import ProjectLockedError, TransferLabError
    from core.project import Project

    refuse = f"'{project_dir}' is not the demo project"
    keep = "; not deleting it. Choose another --dir, or move it away yourself."
    if project_dir.is_symlink():
        raise UsageError(f"{refuse} but a link to {os.path.realpath(project_dir)}{keep}")
    if not (project_dir / "project.toml").exists():
        raise UsageError(f"{refuse} (it is not a TransferLab project){keep}")
    foreign = sorted(p.name for p in project_dir.iterdir() if not _PROJECT_ENTRIES.fullmatch(p.name))
    if foreign:
        raise UsageError(f"{refuse}: it holds {', '.join(foreign[:3])}{' and more' if len(foreign) > 3 else ''}, "
                         f"which the demo did not make{keep}")
    try:
        with Project.open(project_dir) as project:
            name, task = project.name, project.task
            hashes = {s.hash for s in project.samples()}  # every sample, whatever its status
    except ProjectLockedError:
        raise  # the demo is open in the app: its sentence says to close it there first
    except TransferLabError as exc:
        raise UsageError(f"{refuse} ({exc.message.rstrip('.')}){keep}") from None
    if name != DEMO_NAME or task != "image":
        raise UsageError(f"{refuse} (it is the {task} project '{name}'){keep}")
    bundled = {_sha256(p) for p in (sample / "images").rglob("*") if p.is_file()}
    mine = hashes - bundled
    if mine:
        raise UsageError(f"{refuse} any more: {len(mine)} of its samples are not bundled sample images, and a "
                         f"reset would lose them{keep}")


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _remove_stale_partials(base: Path) -> None:
    """Side folders of demo creations that were killed (their process is gone)."""
    from core.project.upkeep import process_alive

    if not base.is_dir():
        return
    for entry in base.iterdir():
        for prefix in (_PARTIAL, ".project.old-"):
            pid = entry.name[len(prefix):] if entry.name.startswith(prefix) else ""
            if pid.isdigit() and entry.is_dir() and not entry.is_symlink() and not process_alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)


def _copy_missing(src: Path, dst: Path) -> None:
    """The sample's try/ images, without replacing a file of the same name already there."""
    if not src.is_dir():
        return
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir()):
        if f.is_file() and not (dst / f.name).exists():
            shutil.copy2(f, dst / f.name)


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
