"""TransferLab's per-user folders: data (imported weights, latency measurements; TRANSFERLAB_DATA_DIR,
else the platform's user data folder) and cache (exported feature networks, backbone sizes;
TRANSFERLAB_CACHE_DIR, else the platform's user cache folder: always safe to delete)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    override = os.environ.get("TRANSFERLAB_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("TransferLab", appauthor=False))


def cache_dir() -> Path:
    override = os.environ.get("TRANSFERLAB_CACHE_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("TransferLab", appauthor=False))
