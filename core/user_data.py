"""TransferLab's per-user data folder (imported weights, latency measurements): TRANSFERLAB_DATA_DIR,
else the platform's user data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    override = os.environ.get("TRANSFERLAB_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("TransferLab", appauthor=False))
