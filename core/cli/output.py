"""Shared bits of terminal output: JSON printing, a progress bar, opening projects for commands."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
import unicodedata

from core.errors import ProjectLockedError
from core.project import Project


_BREAKS = ("Cc", "Zl", "Zp")  # control characters and line or paragraph separators


def shown(path) -> str:
    """A file name for a line of terminal output: control characters (a newline or a tab in a name,
    an escape sequence) are written as escapes, so a name stays on its one line and cannot restyle
    the terminal. Other characters, accents and emoji included, are kept."""
    text = os.fspath(path)
    if text.isprintable():
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _BREAKS else ch
                   for ch in text)


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal (a log file or a pipe
    gets no carriage-return lines) and redrawn at most ten times a second. Pass the bar itself as a
    ``progress(done, total)`` callback, or call ``update``; ``total`` may be None (size unknown);
    ``unit="bytes"`` counts in megabytes."""

    def __init__(self, label: str, *, stream=None, enabled: bool | None = None, unit: str = ""):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.unit = unit
        self.started = time.perf_counter()
        self._last = 0.0
        self._drawn = False

    def update(self, done: int, total: int | None, note: str = "") -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if self._drawn and now - self._last < 0.1 and not (total is not None and done >= total):
            return
        self._last = now
        columns = shutil.get_terminal_size((80, 20)).columns
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        amount = self._amount(done) + (f"/{self._amount(total)}" if total else "")
        line = f"\r{self.label} "
        if total:
            width = max(10, min(40, columns - 50))
            filled = int(min(done / total, 1.0) * width)
            eta = (total - done) / rate if rate > 0 else 0.0
            line += f"[{'#' * filled}{'.' * (width - filled)}] {amount} {self._amount(rate)}/s ETA {eta:,.0f}s {note}"
        else:
            line += f"{amount} {self._amount(rate)}/s {note}"
        self.stream.write(line[: columns + 1].ljust(20))
        self.stream.flush()
        self._drawn = True

    __call__ = update

    def _amount(self, n: float) -> str:
        return f"{n / 1e6:,.1f} MB" if self.unit == "bytes" else f"{n:,.0f}"

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


def warn_case_twins(project, created: list[str], folder: str) -> None:
    """Classes are told apart by case ("Pos" is not "pos"): a new class that differs from another
    one only in case is most often a typo in a listing, so it is named with the merge that fixes it."""
    names = project.class_names()
    for new in created:
        twins = [n for n in names if n != new and n.casefold() == new.casefold()]
        if twins and new == min([new, *twins], key=lambda n: names.index(n)):
            continue  # the first of the group is the one the others are merged into, not named itself
        if twins:
            target = min(twins, key=names.index)
            print(f"transferlab: warning: the new class '{new}' differs from '{target}' only in letter case; "
                  f"if they are one class: transferlab label merge {shlex.quote(folder)} {shlex.quote(new)} "
                  f"--into {shlex.quote(target)}",
                  file=sys.stderr)
