"""What the suite benches (transfer, semi-supervised, text) share: rows grouped by task and size,
and a results file written after every task, so a long run interrupted keeps what it measured."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench.machine import machine


def by_task_and_size(rows: list[dict]):
    """(task, per_class, that pair's rows), in the order they were first measured."""
    for name in dict.fromkeys(r["task"] for r in rows):
        for n in dict.fromkeys(r["per_class"] for r in rows if r["task"] == name):
            yield name, n, [r for r in rows if r["task"] == name and r["per_class"] == n]


def save(out: str | Path, started: float, rows: list[dict], summarise, **about) -> dict:
    """Writes and returns {machine, seconds, **about, summary, rows} (``started``: perf_counter)."""
    result = {"machine": machine(), "seconds": time.perf_counter() - started, **about,
              "summary": summarise(rows), "rows": rows}
    Path(out).write_text(json.dumps(result, indent=1) + "\n")
    return result
