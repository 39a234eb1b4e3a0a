"""Starting a run from one of your own earlier runs instead of ImageNet weights (domain adaptation).

The backbone takes the earlier run's weights; classes with the same name, or mapped onto each other
(``class_map``: earlier name -> new name, for classes that are called differently now), keep their
row of the head (and so start out recognised); new classes start from scratch. Works across projects: the earlier
run is named by its id in this project or by its folder anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core import run_kinds
from core.errors import TransferLabError
from core.run_catalogue import find_run, run_from_folder
from core.train import checkpoint as ckpt_io


@dataclass(frozen=True)
class InitFromRun:
    run_id: str
    backbone: str
    class_names: list[str]
    preprocessing: dict
    checkpoint: dict
    identity: str = ""  # names these backbone weights in the embedding cache (run id, file size and time)

    def sources(self, class_names: list[str], class_map: dict | None = None) -> dict[str, str]:
        """{new class: the earlier run's class whose head row it takes}."""
        renamed = {new: old for old, new in (class_map or {}).items()}
        out = {}
        for c in class_names:
            old = renamed.get(c, c)
            if old in self.class_names:
                out[c] = old
        return out

    def carried(self, class_names: list[str], class_map: dict | None = None) -> list[str]:
        return list(self.sources(class_names, class_map))

    def check_map(self, class_map: dict | None, class_names: list[str]) -> None:
        for old, new in (class_map or {}).items():
            if old not in self.class_names:
                raise TransferLabError(f"Run {self.run_id} has no class '{old}' to map (its classes: "
                                       f"{', '.join(self.class_names)}).")
            if new not in class_names:
                raise TransferLabError(f"This project has no labelled class '{new}' to map '{old}' onto "
                                       f"(its classes: {', '.join(class_names)}).")


def read_init_run(project, ref: str) -> InitFromRun:
    if project is None:
        info = run_from_folder(ref)
        if info is None:
            raise TransferLabError(f"'{ref}' is not a run folder with a trained model (best.pt).")
    else:
        info = find_run(project, ref)
    ckpt = ckpt_io.load(info.dir / "best.pt")
    if run_kinds.name_of(ckpt) != run_kinds.CLASSIFIER:
        raise TransferLabError(f"Run {info.id} is a {ckpt.get('mode', 'different')} model, not a trained classifier (no "
                               "trained weights to start from); choose a probe, finetune or full run.")
    stat = (info.dir / "best.pt").stat()
    identity = f"run:{info.id}:{stat.st_size}:{stat.st_mtime_ns}"
    return InitFromRun(info.id, ckpt["backbone"], list(ckpt["class_names"]), dict(ckpt.get("preprocessing") or {}),
                       ckpt, identity)


def apply_init(model, init: InitFromRun, class_names: list[str], class_map: dict | None = None) -> list[str]:
    """Load the earlier run's backbone (strictly) and the head rows of classes it shares (by name,
    or through ``class_map``); returns the classes carried over, as "new" or "old -> new"."""
    state = init.checkpoint["model"]
    backbone_state = {k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")}
    try:
        model.backbone.load_state_dict(backbone_state)
    except RuntimeError as exc:
        raise TransferLabError(f"Run {init.run_id}'s backbone does not fit this one ({str(exc)[:160]}).") from None
    # A probe keeps this backbone frozen: its embeddings can be cached under the run's identity, so a
    # retrain after a label edit embeds only the new samples (as a probe from ImageNet weights does).
    model.backbone.weights_identity = init.identity
    init.check_map(class_map, class_names)
    if state["head.weight"].shape[1] != model.head.in_features:
        # The earlier run was a probe on every level's features, this one reads the final ones (or
        # the other way round): its head rows mean nothing here, so the head starts afresh.
        return []
    sources = init.sources(class_names, class_map)
    with torch.no_grad():
        for name in ("feature_mean", "feature_std"):
            if name in state:
                getattr(model, name).copy_(state[name])
        old = {c: k for k, c in enumerate(init.class_names)}
        for k, c in enumerate(class_names):
            if c in sources:
                model.head.weight[k].copy_(state["head.weight"][old[sources[c]]])
                model.head.bias[k].copy_(state["head.bias"][old[sources[c]]])
    return [c if sources[c] == c else f"{sources[c]} -> {c}" for c in class_names if c in sources]
