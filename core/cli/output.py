"""Shared bits of terminal output: JSON printing, a progress bar, opening projects for commands."""

from __future__ import annotations

import json
import shutil
import sys
import time

from core.errors import ProjectLockedError
from core.project import Project


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str, *, stream=None, enabled: bool | None = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.perf_counter()
        self._drawn = False

    def update(self, done: int, total: int, note: str = "") -> None:
        if not self.enabled:
            return
        width = max(10, min(40, shutil.get_terminal_size((80, 20)).columns - 50))
        frac = done / total if total else 1.0
        filled = int(frac * width)
        elapsed = time.perf_counter() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        line = f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {rate:,.0f}/s ETA {eta:,.0f}s {note}"
        self.stream.write(line[: shutil.get_terminal_size((80, 20)).columns + 1].ljust(20))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def open_for_writing(path) -> Project:
    return report_upkeep(Project.open(path))


def open_for_reading(path) -> Project:
    """Read-only when another process is writing, so `status` works while the app is open."""
    try:
        return report_upkeep(Project.open(path))
    except ProjectLockedError:
        return Project.open(path, read_only=True)


def report_upkeep(project: Project) -> Project:
    """Say on stderr what opening the project tidied (leftovers of a killed run, samples set aside)."""
    for sentence in project.upkeep.sentences():
        print(f"transferlab: {sentence}", file=sys.stderr)
    return project
