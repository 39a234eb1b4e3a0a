"""A quick look into a dropped folder to preselect the project's task (the user can change it)."""

from __future__ import annotations

import os

from core.media import kind_of


def guess_task(folder: str | os.PathLike, limit: int = 2000) -> str | None:
    """'image' or 'audio' by majority of the first ``limit`` media files seen; None if none."""
    counts = {"image": 0, "audio": 0}
    seen = 0
    for _dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            kind = kind_of(name)
            if kind in counts:  # a readme among pictures is not a vote (the app has no text pages yet)
                counts[kind] += 1
            seen += 1
            if seen >= limit:
                break
        if seen >= limit:
            break
    if not any(counts.values()):
        return None
    return max(counts, key=counts.get)
