"""The run as decided before its first batch: ``RunPlan``, built once and handed to every part.

A TrainConfig may leave choices open (None: "choose for me"), a run may start from an earlier one
(``--from-run``) or continue its own last.pt. The trainer settles all of it in one place; what
follows (the sources, the probe, the epochs) reads those decisions from the plan it is given,
never from attributes set along the way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import backbones
from core.errors import TransferLabError
from core.train.auto_mode import choose_mode
from core.train.config import TrainConfig
from core.train.from_run import InitFromRun, read_init_run
from core.train.labelled import LabelledData

if TYPE_CHECKING:
    import torch

    from core.train.tasks import TaskLayout


@dataclass(frozen=True)
class RunPlan:
    config: TrainConfig  # resolved: the backbone named, the mode and its defaults, the blocks to unfreeze
    spec: backbones.BackboneSpec  # the backbone as this run uses it (image size, an earlier run's front end, a probe's clip)
    data: LabelledData  # checked
    layout: TaskLayout  # the label sets and their heads' widths
    device: torch.device
    precision: str
    reason: str  # why this mode (and what an earlier run carried over): FitStart and config.json say it
    init: InitFromRun | None = None  # the earlier run this one starts from (--from-run)
    resume: dict | None = None  # the last.pt this run continues

    @property
    def start_epoch(self) -> int:
        return int(self.resume["epoch"]) if self.resume is not None else 0


def resolve_backbone(config: TrainConfig, data: LabelledData, project=None, spec: backbones.BackboneSpec | None = None,
                     device=None) -> tuple[TrainConfig, backbones.BackboneSpec, InitFromRun | None]:
    """(the config with its backbone named, the backbone as the run uses it, the earlier run it
    starts from). ``spec`` overrides the registry lookup (tests and benchmarks use small
    architectures). A backbone that is unknown, for another modality, or not the earlier run's is a
    sentence."""
    init = None
    if config.from_run:
        init = read_init_run(project, config.from_run)
        if config.backbone and config.backbone != init.backbone:
            raise TransferLabError(f"Run {init.run_id} was trained on {init.backbone}, not "
                                   f"{config.backbone}: leave --backbone out to continue from it.")
        if not config.backbone:
            config = config.replace(backbone=init.backbone)
        if config.image_size is None and "crop_size" in init.preprocessing:
            config = config.replace(image_size=int(init.preprocessing["crop_size"]))
    spec = spec or (backbones.get(config.backbone) if config.backbone else default_backbone(config, data, device))
    if spec.modality != data.modality:
        raise TransferLabError(f"The backbone {spec.name} is for {spec.modality}, but this project holds "
                               f"{data.modality}; choose one of: {', '.join(backbones.names(data.modality))}.")
    if config.backbone != spec.name:
        config = config.replace(backbone=spec.name)
    if init is not None:  # continuing a run: its front end, as it was saved
        spec = dataclasses.replace(spec, preprocessing=spec.preprocessing.restored(init.preprocessing))
    size = config.image_size
    if size and spec.modality == "image" and size != spec.preprocessing.crop_size:
        pre = spec.preprocessing
        spec = spec.with_preprocessing(crop_size=size, resize_size=round(size * pre.resize_size / pre.crop_size))
    return config, spec, init


def default_backbone(config: TrainConfig, data: LabelledData, device=None) -> backbones.BackboneSpec:
    """The backbone of a run that names none: the modality's probe default (pictures: Lite0 and
    Lite1 together, core.backbones.probe_default_for) where the run will be a probe (``--mode
    probe``, or auto choosing one on the single network's terms) and its weights are all here;
    otherwise the modality's single network, which fine-tuning, few-shot and zero-shot use. A
    picture size of the person's choosing (``image_size``) is the single network's too: the pair was
    measured at its own sizes (Lite0 reads its copy at 224 px whatever the picture's size); and so
    is a probe of more than PAIR_ON_CPU_UP_TO samples on the CPU (the time to a first model)."""
    from core import weights

    single = backbones.default_for(data.modality)
    probe = backbones.probe_default_for(data.modality)
    if (probe is None or config.mode not in ("auto", "probe") or config.image_size
            or too_many_for_pair(config, data, device) or weights.locate(probe) is None):
        return single
    if config.mode == "auto" and any(data.counts(data.train)):
        import torch

        if resolve_mode(config, data, single, device or torch.device("cpu"))[0] != "probe":
            return single
    return probe


# On the CPU a picture probe of more samples than this reads them with the single network. Lite0 +
# Lite1 embed 2.6 times slower than Lite0 (48-52 against 126-132 pictures a second on 2 cores) and
# solve two heads: a first probe of 2,000 pictures took 239 s against 120 s with Lite0 alone (a
# retrain reusing its choice 90 s against 41 s; bench/bench_embed.py --images 2000, README), where
# the measured gain is at 1-20 labelled a class; issue 21's 5,000-picture probe keeps Lite0's 40 s.
# Labelled samples count, not the unlabelled ones a probe may learn from (at most 3,000, read by the
# pair too): counted, they gave a project of 50 labelled and 2,150 unlabelled glyphs Lite0 alone, which
# lost 2.0 and 6.7 points against the pair on two draws where nothing was learnt from them
# (bench/bench_semi.py seeds 13 and 14).
PAIR_ON_CPU_UP_TO = 2000


def samples_to_embed(data: LabelledData) -> int:
    """The labelled samples a probe reads (PAIR_ON_CPU_UP_TO counts these)."""
    return len(data.train) + len(data.val)


def pair_fits(samples: int, device_type: str = "cpu") -> bool:
    """Whether a picture probe of this many samples reads them with the pair by default."""
    return device_type != "cpu" or samples <= PAIR_ON_CPU_UP_TO


def too_many_for_pair(config: TrainConfig, data: LabelledData, device=None) -> bool:
    return not pair_fits(samples_to_embed(data), "cpu" if device is None else device.type)


def default_note(config: TrainConfig, data: LabelledData, spec, device) -> str:
    """What the reason adds where a run that named no backbone was given the single network for a
    probe: a chosen picture size, or too many samples (too_many_for_pair); "" otherwise."""
    probe = backbones.probe_default_for(data.modality)
    if config.backbone or probe is None or spec.name == probe.name or config.mode not in ("auto", "probe"):
        return ""
    if config.image_size:
        return (f"; {spec.name} alone at the chosen picture size ({config.image_size} px: {probe.name}, the "
                "default for a probe, was measured at its own sizes)")
    if not too_many_for_pair(config, data, device):
        return ""
    return (f"; {spec.name} alone reads the {samples_to_embed(data):,} labelled samples (above "
            f"{PAIR_ON_CPU_UP_TO:,} on the CPU, where {probe.name} would take about twice as long)")


def resolve_mode(config: TrainConfig, data: LabelledData, spec, device) -> tuple[str, str]:
    """(probe | finetune | full, why)."""
    if spec.weights.built_in:  # a fixed computation (tfidf): a head on it is all there is to train
        if config.mode not in ("auto", "probe"):
            raise TransferLabError(f"{spec.name} has no weights to fine-tune (it is built in: {spec.weights.description}); "
                                   "it trains as a probe: use --mode probe or auto.")
        return "probe", f"{spec.name} has no weights to fine-tune: a linear head on its features is the whole model"
    if spec.weights.members:  # a pair (core.backbones.pair): a head on each network's features
        if config.mode not in ("auto", "probe"):
            raise TransferLabError(f"{spec.name} trains as a probe only (a head on each of its networks, averaged; "
                                   "few-shot and zero-shot models build on it too); to fine-tune or train every "
                                   f"layer, choose one network: {_member_names(spec)}.")
        titles = " and ".join(backbones.get(m).title.split(" (")[0] for m in spec.weights.members)
        how = f"read by {titles} together, a head solved on each network's features, the two averaged"
        if config.mode == "auto" and any(data.counts(data.train)):
            mode, why = choose_mode(data.counts(data.train), spec.macs, device.type, spec.modality)
            if mode == "probe":
                return "probe", f"{why}; {how}"
        return "probe", f"{spec.name} trains as a probe: {how}"
    trains = spec.preprocessing.trains_end_to_end
    if config.mode != "auto":
        if config.mode != "probe" and not trains:
            raise TransferLabError(f"{spec.name} cannot be fine-tuned yet ({spec.modality} models train as a "
                                   "probe on the frozen backbone's features): use --mode probe or auto.")
        return config.mode, "chosen in the settings"
    if not trains:
        return "probe", (f"{spec.modality} models train as a probe: a linear head solved on the frozen "
                         "pretrained features, its regularisation chosen by cross-validation")
    return choose_mode(data.counts(data.train), spec.macs, device.type, spec.modality)


def _member_names(spec) -> str:
    return " or ".join(backbones.get(m).name for m in spec.weights.members)
