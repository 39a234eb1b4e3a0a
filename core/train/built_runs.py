"""Runs whose model is built in one step, without epochs (few-shot prototypes, zero-shot attribute
detectors): saved like a trained run (runs/<id>/ with config.json, metrics.jsonl, best.pt, the
project's row) and reported with the same result type, a ``FitEnd``.
"""

from __future__ import annotations

import time

from core.run_catalogue import RunFiles, new_run_id, record_run
from core.run_kinds import RunKind
from core.train import checkpoint as ckpt_io
from core.train.events import FitEnd


def save_built_run(project, kind: RunKind, model, spec, *, config: dict, class_names: list[str], mode_reason: str,
                   metrics: dict, started: float, info: dict | None = None, row: dict | None = None,
                   details: dict | None = None, skipped: int = 0, held_out: tuple[str, dict] | None = None,
                   **values) -> FitEnd:
    """Save ``model`` as a completed run of ``kind`` (``values``: the kind's own checkpoint entries).
    ``info`` joins config.json, ``row`` the metrics line and ``details`` the result; ``started``:
    time.perf_counter() at the start of the build. ``held_out`` (how, {content hash: probabilities}):
    each learnt sample's prediction by a model built without it, for Evaluate (RunFiles.write_held_out)."""
    run_id = new_run_id()
    files = RunFiles(project.runs_dir / run_id)
    files.create(config, {"run_id": run_id, "backbone": spec.name, "class_names": class_names, **(info or {}),
                          "preprocessing": spec.preprocessing.settings()})
    shared = {"epoch": 0, "config": config, "run_id": run_id, "backbone": spec.name, "class_names": class_names,
              "mode": config["mode"], "mode_reason": mode_reason, "preprocessing": spec.preprocessing.settings(),
              "modality": spec.modality,
              "sample_rate": spec.preprocessing.clip_rate(project.config.sample_rate),
              "best": {"epoch": 0, **metrics}}
    ckpt_io.save(files.best, kind.payload(model, shared, **values))
    if held_out is not None:
        files.write_held_out(held_out[0], class_names, held_out[1])
    files.append_metrics({"epoch": 0, **metrics, **(row or {})})
    record_run(project, run_id, "completed", config, metrics)
    return FitEnd(run_id=run_id, status="completed", best_epoch=0, epochs_done=0, metrics=metrics,
                  run_dir=str(files.dir), best_path=str(files.best), last_path=None,
                  seconds=time.perf_counter() - started, skipped_files=skipped, details=details or {})


def cancelled_build(started: float) -> FitEnd:
    """The result of a build stopped before anything was saved."""
    return FitEnd(run_id="", status="cancelled", best_epoch=0, epochs_done=0, metrics={}, run_dir="",
                  best_path=None, last_path=None, seconds=time.perf_counter() - started)
