"""Finished training runs of a project: list them, pick one, and load its model for use.

A run lives in runs/<id>/ (config.json, metrics.jsonl, best.pt, last.pt). Loading rebuilds the
backbone's architecture from the registry with the run's preprocessing settings and loads the
checkpoint strictly, so the model is exactly the one that was trained.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from core.errors import TransferLabError


class RunError(TransferLabError):
    pass


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
    rows = {
        rid: (status, created, json.loads(cfg or "{}"), json.loads(metrics) if metrics else {})
        for rid, status, created, cfg, metrics in project.conn.execute(
            "SELECT id, status, created_at, config, metrics FROM runs"
        )
    }
    out = []
    runs_dir = Path(project.runs_dir)
    names = set(rows) | ({p.name for p in runs_dir.iterdir() if p.is_dir()} if runs_dir.is_dir() else set())
    for rid in names:
        status, created, cfg, metrics = rows.get(rid, ("unknown", 0.0, {}, {}))
        d = runs_dir / rid
        if not created and d.exists():
            created = d.stat().st_mtime
        out.append(RunInfo(rid, d, status, float(created), metrics, cfg.get("backbone"), cfg.get("mode")))
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
            metrics = {k: best[k] for k in ("val_acc", "val_loss") if k in best}
    except (OSError, ValueError):
        pass
    return RunInfo(d.name, d, "unknown", d.stat().st_mtime, metrics, None, None)


FINISHED = ("completed", "early_stopped")


def best_run(runs: list[RunInfo]) -> RunInfo | None:
    """The run used when none is named (export, evaluation, label suggestions, the app's pages): the
    finished run with the best validation estimate (``val_acc``), the newest among equals. The newest
    run is often a stopped or worse experiment, and exporting it silently replaced a better model.
    Runs that did not finish (cancelled, failed, still running) count only when no run finished."""
    usable = [r for r in runs if r.has_model]
    if not usable:
        return None

    def rank(r: RunInfo):
        acc = r.metrics.get("val_acc") if isinstance(r.metrics, dict) else None
        scored = isinstance(acc, (int, float)) and acc == acc  # NaN is no estimate
        return (r.status in FINISHED, scored, float(acc) if scored else 0.0, r.created_at, r.id)

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


@dataclass
class LoadedRun:
    info: RunInfo
    model: object  # core.train.model.Classifier, eval mode, on the CPU
    spec: object  # core.backbones.BackboneSpec with the run's preprocessing
    class_names: list[str]
    meta: dict  # the checkpoint's plain values (config, mode, sample_rate, clip_samples, ...)

    @property
    def modality(self) -> str:
        return self.spec.modality

    @property
    def label_sets(self) -> list[tuple[str, list[str]]]:
        """Multi-task runs: the extra label sets after the main one, (name, class names) each."""
        return [(d["name"], list(d["class_names"])) for d in self.meta.get("label_sets") or []]

    @property
    def head_sizes(self) -> list[int]:
        """Classes per head: the main label set's, then each extra set's."""
        return [len(self.class_names)] + [len(c) for _, c in self.label_sets]

    @property
    def speech(self) -> bool:
        from core.backbones import WaveformPreprocessing

        return isinstance(self.spec.preprocessing, WaveformPreprocessing)

    @property
    def clip_samples(self) -> int | None:
        """Audio runs trained on clips cut to one length (finetune/full); None for a probe."""
        value = self.meta.get("clip_samples")
        return int(value) if value else None

    @property
    def sample_rate(self) -> int:
        return int(self.meta.get("sample_rate") or getattr(self.spec.preprocessing, "sample_rate", 16000))


def load_run(project, run: str | os.PathLike | None = None, *, spec=None) -> LoadedRun:
    """``spec`` overrides the registry lookup of the run's backbone (as for Trainer: tests use
    small architectures that are not offered to users)."""
    import torch

    from core import backbones
    from core.train import checkpoint as ckpt_io
    from core.train.model import Classifier

    info = find_run(project, run)
    ckpt = ckpt_io.load(info.dir / "best.pt")
    spec = spec or backbones.get(ckpt["backbone"])
    settings = {k: v for k, v in (ckpt.get("preprocessing") or {}).items() if k != "kind"}
    valid = {f.name for f in dataclasses.fields(spec.preprocessing)}
    changes = {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items() if k in valid}
    if changes:
        spec = spec.with_preprocessing(**changes)
    classes = list(ckpt["class_names"])
    config = ckpt.get("config") or {}
    if ckpt.get("head") == "prototype":  # a few-shot run (core.fewshot)
        from core.fewshot import PrototypeClassifier

        model = PrototypeClassifier(spec.build(), torch.zeros(len(classes), spec.feature_dim))
    elif ckpt.get("head") == "attributes":  # a zero-shot run (core.zeroshot)
        from core.zeroshot import AttributeClassifier

        n = len(ckpt["attributes"])
        backbone, dim = spec.build(), spec.feature_dim
        if ckpt.get("levels") is not None:  # detectors reading every level (runs since format 4)
            from core.zeroshot.levels import MultiLevelFeatures

            backbone = MultiLevelFeatures(backbone, ckpt["levels"], ckpt["level_dims"])
            dim = backbone.feature_dim
        model = AttributeClassifier(backbone, dim, n, torch.zeros(len(classes), n))
    else:
        width = len(classes) + sum(len(d["class_names"]) for d in ckpt.get("label_sets") or [])  # multi-task heads
        model = Classifier(spec.build(), spec.feature_dim, width, float(config.get("dropout", 0.0)))
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise RunError(f"The model of run {info.id} does not fit its backbone {spec.name} ({str(exc)[:200]}).") from None
    model.eval()
    meta = {k: v for k, v in ckpt.items() if k not in ("model", "optimizer", "rng", "scheduler")}
    return LoadedRun(info, model, spec, classes, meta)
