"""What project.db records about runs: one row per run (status, config, best metrics) and the
predictions of the latest evaluation of each run. The run's files live in runs/<id>/
(core.run_catalogue); these rows are what the app lists and what the Evaluate page reads back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RunRecord:
    id: str
    status: str
    created_at: float
    config: dict
    metrics: dict


class RunRecordOps:
    """Mixed into Project: needs ``conn`` and ``transaction()``."""

    def record_run(self, run_id: str, status: str, config: dict, metrics: dict | None) -> None:
        """Insert a run, or update its status and metrics (its config and creation time stay)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO runs (id, created_at, status, config, metrics) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET status = excluded.status, metrics = excluded.metrics",
                (run_id, time.time(), status, json.dumps(config), json.dumps(metrics) if metrics else None),
            )

    def run_records(self) -> dict[str, RunRecord]:
        """{run id: its row}, every run the project has recorded."""
        return {
            rid: RunRecord(rid, status, float(created), json.loads(cfg or "{}"), json.loads(metrics) if metrics else {})
            for rid, status, created, cfg, metrics in self.conn.execute(
                "SELECT id, status, created_at, config, metrics FROM runs"
            )
        }

    def store_predictions(self, run_id: str, rows: Iterable[tuple[int, str, float]]) -> None:
        """(sample id, predicted class name, confidence) per sample, replacing the run's earlier
        prediction of the same samples. A class name the project no longer has is stored as none."""
        with self.transaction() as conn:
            ids = {name: cid for cid, name in conn.execute("SELECT id, name FROM classes")}
            conn.executemany(
                "INSERT OR REPLACE INTO predictions (sample_id, run_id, label_id, confidence) VALUES (?, ?, ?, ?)",
                [(int(sid), run_id, ids.get(name), float(confidence)) for sid, name, confidence in rows],
            )

    def predictions_of(self, run_id: str) -> dict[int, tuple[str | None, float]]:
        """{sample id: (predicted class name or None, confidence)} stored for a run."""
        return {
            int(sid): (name, float(confidence))
            for sid, name, confidence in self.conn.execute(
                "SELECT p.sample_id, c.name, p.confidence FROM predictions p LEFT JOIN classes c ON c.id = p.label_id "
                "WHERE p.run_id = ?", (run_id,))
        }
