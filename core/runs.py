"""Load a run's model exactly as it was trained, whatever its kind.

The run is found in the catalogue (core.run_catalogue: ids, folders, the project's rows); its
checkpoint names its kind (core.run_kinds), whose reader builds the model's shape; the backbone's
architecture comes from the registry with the run's preprocessing settings, and the weights load
strictly, so the model is exactly the one that was saved.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import torch

from core import backbones, run_kinds
from core.backbones import WaveformPreprocessing
from core.fewshot.prototypes import PROTOTYPES
from core.run_catalogue import RunError, RunInfo, find_run
from core.train import checkpoint as ckpt_io
from core.train.classifier_kind import TRAINED
from core.zeroshot.attributes import ATTRIBUTES

# Each run kind registers its reader and writer when its module is imported: these are all of them.
KINDS = (TRAINED, PROTOTYPES, ATTRIBUTES)


@dataclass
class LoadedRun:
    info: RunInfo
    model: torch.nn.Module  # eval mode, on the CPU
    spec: backbones.BackboneSpec  # with the run's preprocessing
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
        return isinstance(self.spec.preprocessing, WaveformPreprocessing)

    @property
    def clip_samples(self) -> int | None:
        """Audio runs trained on clips cut to one length (finetune/full); None for a probe."""
        value = self.meta.get("clip_samples")
        return int(value) if value else None

    @property
    def sample_rate(self) -> int:
        # The rate the network was trained at is its preprocessing's (every audio backbone reads its
        # clips at that rate), not the project's setting: runs made before this was fixed recorded
        # the project's `--sample-rate` and fed eval, export and prediction at it (chance accuracy).
        return self.spec.preprocessing.clip_rate(self.meta.get("sample_rate") or 16000)


def load_run(project, run: str | os.PathLike | None = None, *, spec=None) -> LoadedRun:
    """``spec`` overrides the registry lookup of the run's backbone (as for Trainer: tests use
    small architectures that are not offered to users)."""
    info = find_run(project, run)
    ckpt = ckpt_io.load(info.dir / "best.pt")
    spec = spec or backbones.get(ckpt["backbone"])
    spec = dataclasses.replace(spec, preprocessing=spec.preprocessing.restored(ckpt.get("preprocessing")))
    model = run_kinds.kind_of(ckpt).read(ckpt, spec)
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise RunError(f"The model of run {info.id} does not fit its backbone {spec.name} ({str(exc)[:200]}).") from None
    model.eval()
    meta = {k: v for k, v in ckpt.items() if k not in ("model", "optimizer", "rng", "scheduler")}
    return LoadedRun(info, model, spec, list(ckpt["class_names"]), meta)
