"""The one way to find bundled resources (themes, icons, the sample project), from a checkout or a
PyInstaller bundle. Qt-free, so the engine (self-test, ``transferlab demo``) and the GUI share it.

A frozen app unpacks its data under ``sys._MEIPASS``; build.spec puts the ``resources`` folder there
under the same name, so every lookup goes through ``resource_path`` and works in both cases.
``TRANSFERLAB_RESOURCES`` points elsewhere (a packager that installs resources/ in a shared folder).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from core.errors import TransferLabError


class ResourceMissingError(TransferLabError, FileNotFoundError):
    """A file that should ship with TransferLab is not there: a broken checkout or bundle."""


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False) or getattr(sys, "_MEIPASS", None))


def resource_root() -> Path:
    override = os.environ.get("TRANSFERLAB_RESOURCES")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    path = resource_root().joinpath(*parts)
    if not path.exists():
        raise ResourceMissingError(
            f"TransferLab's resource '{'/'.join(parts)}' is missing (looked in {path}); "
            "the installation is incomplete."
        )
    return path


def read_text(*parts: str) -> str:
    return resource_path(*parts).read_text(encoding="utf-8")


def sample_dir() -> Path:
    """resources/sample: the bundled demo images, one folder per class under images/."""
    return resource_path("sample")
