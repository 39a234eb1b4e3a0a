"""The runs of a project as files and rows: ids, the files of runs/<id>/, the project's record of
each run, listing and finding them, and the run used when none is named (best_run). Plain Python
(no torch): the app lists runs and the command line names them without loading a model; core.runs
loads one.

runs/<id>/ holds config.json (written once), metrics.jsonl (a line per epoch), last.pt and best.pt
(checkpoints, core.train.checkpoint), report.json/report.html (core.evaluate) and export.json.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from core.atomic import atomic_write_text
from core.errors import TransferLabError
from core.project.run_records import RunRecord


class RunError(TransferLabError):
    pass


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + os.urandom(2).hex()


class RunFiles:
    """runs/<id>/: config.json once, metrics.jsonl one line per epoch, the checkpoints."""

    def __init__(self, run_dir: Path):
        self.dir = Path(run_dir)
        self.last = self.dir / "last.pt"
        self.best = self.dir / "best.pt"
        self.metrics = self.dir / "metrics.jsonl"
        self.config = self.dir / "config.json"
        self.held_out = self.dir / HELD_OUT_FILE

    def write_held_out(self, how: str, class_names: list[str], predictions: dict[str, list[float]]) -> None:
        """Each training sample's probabilities from the model of the cross-validation fold that
        did not see it (a solved probe): the honest predictions for samples the run learnt from."""
        atomic_write_text(self.held_out, json.dumps({"how": how, "classes": class_names, "predictions": predictions}))

    def create(self, config: dict, extra: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.config, json.dumps({**extra, "config": config}, indent=1))

    def append_metrics(self, row: dict) -> None:
        # One short line appended and fsynced: a crash loses at most the line being written.
        with open(self.metrics, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def truncate_metrics(self, epochs: int) -> None:
        """Keep the first ``epochs`` lines (a resumed run rewrites epochs after its checkpoint)."""
        if not self.metrics.exists():
            return
        lines = self.metrics.read_text(encoding="utf-8").splitlines()[:epochs]
        atomic_write_text(self.metrics, "".join(line + "\n" for line in lines))


HELD_OUT_FILE = "held_out.json"


def read_held_out(run_dir) -> dict | None:
    """{"how", "classes", "predictions": {content hash: probabilities}} of a run, or None."""
    try:
        data = json.loads((Path(run_dir) / HELD_OUT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("predictions"), dict) else None


def record_run(project, run_id: str, status: str, config: dict, metrics: dict | None) -> None:
    """Insert or update the project's row of a run (skipped for read-only projects or plain data)."""
    if project is None or getattr(project, "read_only", True):
        return
    project.record_run(run_id, status, config, metrics)


@dataclass(frozen=True)
class RunInfo:
    id: str
    dir: Path
    status: str
    created_at: float
    metrics: dict
    backbone: str | None
    mode: str | None

    @property
    def has_model(self) -> bool:
        return (self.dir / "best.pt").exists()


def list_runs(project) -> list[RunInfo]:
    """Newest first. Runs recorded in the project and run folders present on disk."""
    rows = project.run_records()
    out = []
    runs_dir = Path(project.runs_dir)
    names = set(rows) | ({p.name for p in runs_dir.iterdir() if p.is_dir()} if runs_dir.is_dir() else set())
    for rid in names:
        row = rows.get(rid) or RunRecord(rid, "unknown", 0.0, {}, {})  # a folder the project has no row of
        d = runs_dir / rid
        created = row.created_at or (d.stat().st_mtime if d.exists() else 0.0)
        out.append(RunInfo(rid, d, row.status, float(created), row.metrics, row.config.get("backbone"),
                           row.config.get("mode")))
    return sorted(out, key=lambda r: (r.created_at, r.id), reverse=True)


def run_from_folder(folder: str | os.PathLike) -> RunInfo | None:
    """A run given by its folder (runs/<id>/ of this or any other project), or None."""
    d = Path(folder).expanduser()
    if not (d / "best.pt").is_file():
        return None
    d = d.resolve()
    metrics = {}
    try:
        lines = (d / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        scored = [r for r in rows if r.get("val_acc") is not None]
        if scored:
            best = max(scored, key=lambda r: r["val_acc"])
            metrics = {k: best[k] for k in ("val_acc", "val_loss", "val_estimate") if k in best}
    except (OSError, ValueError):
        pass
    return RunInfo(d.name, d, "unknown", d.stat().st_mtime, metrics, None, None)


FINISHED = ("completed", "early_stopped")


def val_acc(metrics) -> float | None:
    """A run's validation estimate (``val_acc``), or None where it has none (missing, NaN: a probe
    whose smallest class has a single example is not estimated)."""
    acc = metrics.get("val_acc") if isinstance(metrics, dict) else None
    if isinstance(acc, bool) or not isinstance(acc, (int, float)) or acc != acc:
        return None
    return float(acc)


def accuracy_name(metrics) -> str:
    """What ``val_acc`` measured, for a screen or a model card: a solved probe's ``val_estimate`` says
    when it is a cross-validated estimate (over the train and validation samples) rather than the
    accuracy on the validation split, and a few-shot model's when it is a leave-one-out one (each
    example classified by the prototypes of the others)."""
    how = metrics.get("val_estimate") if isinstance(metrics, dict) else None
    if isinstance(how, str) and "cross-validation" in how:
        return "cross-validated accuracy"
    if how == "leave-one-out":
        return "leave-one-out accuracy"
    return "validation accuracy"


def best_run(runs: list[RunInfo]) -> RunInfo | None:
    """The run used when none is named (export, evaluation, label suggestions, the app's pages): the
    finished run with the best validation estimate (``val_acc``: accuracy on the validation split, or
    a solved probe's cross-validated estimate), the newest among equals. The newest run is often a
    stopped or worse experiment, and exporting it silently replaced a better model. A run without an
    estimate (a probe whose smallest class has one example) ranks below every run with one; runs that
    did not finish (cancelled, failed, still running) count only when no run finished."""
    usable = [r for r in runs if r.has_model]
    if not usable:
        return None

    def rank(r: RunInfo):
        acc = val_acc(r.metrics)
        return (r.status in FINISHED, acc is not None, acc or 0.0, r.created_at, r.id)

    return max(usable, key=rank)


def find_run(project, run: str | os.PathLike | None = None) -> RunInfo:
    """The run named by id or folder, or (``run`` None) the best finished run: see ``best_run``."""
    if run is not None and (os.sep in str(run) or Path(str(run)).is_absolute()):
        info = run_from_folder(run)
        if info is None:
            raise RunError(f"'{run}' is not a run folder with a trained model (best.pt).")
        return info
    runs = list_runs(project)
    if run is None:
        best = best_run(runs)
        if best is None:
            raise RunError(
                f"The project '{project.name}' has no trained model yet. Train one first: "
                f"transferlab train {project.root}"
            )
        return best
    wanted = Path(run).name if os.sep in str(run) else str(run)
    for r in runs:
        if r.id == wanted or r.id.startswith(wanted):
            if not r.has_model:
                raise RunError(f"The run {r.id} has no trained model (best.pt); it may have stopped before an epoch ended.")
            return r
    known = ", ".join(r.id for r in runs[:5]) or "none"
    raise RunError(f"There is no run '{run}' in this project (recent runs: {known}).")
