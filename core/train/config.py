"""TrainConfig: every setting of a training run, frozen, validated, and round-tripping through JSON.

``None`` means "choose for me": the trainer fills those fields from the mode, the data and the
device (``resolved()``), and the resolved config is what runs/<id>/config.json records, so a run can
always be repeated exactly.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from core.errors import TransferLabError

# The largest training resolution: a model looks at a few hundred pixels a side, and 2048 is already
# 84 times the work of 224 (100000 asked the CPU for 120 GB and ended in "unexpected error").
MAX_IMAGE_SIZE = 2048
MODES = ("auto", "probe", "finetune", "full")
SCHEDULES = ("onecycle", "cosine")
AUGMENTS = ("none", "light", "strong")
BALANCES = ("none", "loss", "sampler")
PRECISIONS = ("auto", "fp32", "bf16")
PROBE_FEATURES = ("auto", "grid", "levels", "final")
UNLABELLED = ("use", "ignore")
ADAPT = ("auto", "off")
_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")

# Per-mode defaults where the config says None: a network being fine-tuned needs few epochs at a
# gentle rate. A probe is solved, not trained by epochs (core.probe): one "epoch", no rate.
MODE_DEFAULTS = {
    "probe": {"epochs": 1, "lr": 1e-3, "patience": 0},
    "finetune": {"epochs": 12, "lr": 1e-3, "patience": 4},
    "full": {"epochs": 20, "lr": 1e-3, "patience": 5},
}

# A text encoder fine-tuned on a CPU costs about 0.15 s of CPU per text and epoch (all-MiniLM-L6-v2,
# top 3 of 6 layers, 2 shared cores): fewer epochs, and an earlier stop, than pictures get. Its top
# layer learns at lr * backbone_lr_factor = 1e-4.
TEXT_MODE_DEFAULTS = {
    "finetune": {"epochs": 8, "lr": 1e-3, "patience": 3},
    "full": {"epochs": 8, "lr": 1e-4, "patience": 3},
}


class ConfigError(TransferLabError):
    exit_code = 2


@dataclass(frozen=True)
class TrainConfig:
    backbone: str | None = None  # None: the project's offline default (core.backbones.default_for)
    mode: str = "auto"
    epochs: int | None = None
    batch_size: int = 32
    lr: float | None = None  # the head's learning rate
    backbone_lr_factor: float = 0.1  # unfrozen backbone blocks learn at lr * factor (discriminative)
    layer_decay: float = 0.75  # each block further from the head: another * layer_decay
    weight_decay: float = 1e-4
    schedule: str = "onecycle"
    label_smoothing: float = 0.1
    augment: str = "light"
    balance: str = "loss"
    patience: int | None = None  # epochs without improvement before stopping; 0: never stop early
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    num_workers: int = 2  # decoding threads (epoch 1 only, once the decoded cache is warm)
    unfreeze_blocks: int | None = None  # finetune: top blocks trained after warm-up; None: a third
    warmup_epochs: int = 1  # finetune: epochs training only the head before unfreezing
    image_size: int | None = None  # training resolution; None: the backbone's own crop size
    clip_seconds: float | None = None  # audio: fixed clip length; None: the longest training clip (<= 10 s)
    pretrained: bool = True  # False: the same architecture from random initialisation (baselines)
    dropout: float = 0.2  # before the head
    cache_mb: int = 4096  # decoded-sample cache budget; beyond it, files are decoded every epoch
    from_run: str | None = None  # start from an earlier run's weights (its id, or its folder in any project)
    noise_snr_min: float = 5.0  # audio: the project's background class is mixed into training clips
    noise_snr_max: float = 20.0  # at a signal-to-noise ratio (dB) drawn from this range
    label_sets: str = "all"  # multi-task: extra label sets learnt too: "all", "none", or names separated by commas
    class_map: dict | None = None  # with from_run: {earlier run's class: this project's class} for renamed classes
    # probe: "grid" (every stage's mean, the narrower stages' also on a 2x2 grid, then the final
    # features), "levels" (every stage's mean, then the final ones), "final", or "auto": for
    # pictures whichever of the three cross-validates best (column subsets of "grid": one
    # embedding pass), for sounds the grid
    probe_features: str = "auto"
    # probe: altered views of each labelled picture or sound learnt from too; None: 2 a picture, 8 a
    # sound (fewer where they would make more than 2,000 rows; core.probe.views.views_for)
    probe_views: int | None = None
    # probe: "use" learns from the project's unlabelled samples too where cross-validation on the
    # labelled ones shows that it helps (core.probe.semi), "ignore" leaves them out
    unlabelled: str = "use"
    # with from_run, a probe: "auto" adapts the earlier run to this project's samples (AdaBN and
    # self-training, core.train.adapt) where cross-validation on its labels shows it helps, or
    # always where it has none; "off" is a plain probe from the earlier run
    adapt: str = "auto"

    # Settings added after runs were saved, with the value that reproduces what those runs did
    # (a run saved before ``unlabelled`` existed learnt from its labelled samples alone).
    BEFORE_FIELDS: ClassVar[dict] = {"unlabelled": "ignore", "adapt": "off"}

    def __post_init__(self):
        problems = []

        def choice(name, options):
            value = getattr(self, name)
            if value not in options:
                problems.append(f"{name} must be one of {', '.join(options)}, not {value!r}")

        choice("mode", MODES)
        choice("schedule", SCHEDULES)
        choice("augment", AUGMENTS)
        choice("balance", BALANCES)
        choice("precision", PRECISIONS)
        choice("probe_features", PROBE_FEATURES)
        choice("unlabelled", UNLABELLED)
        choice("adapt", ADAPT)
        if not isinstance(self.device, str) or not _DEVICE_RE.match(self.device):
            problems.append(f"device must be auto, cpu, cuda, cuda:N or mps, not {self.device!r}")
        for name, low in (("epochs", 1), ("batch_size", 1), ("num_workers", 0), ("warmup_epochs", 0), ("probe_views", 0),
                          ("patience", 0), ("unfreeze_blocks", -1), ("image_size", 8), ("cache_mb", 0)):
            value = getattr(self, name)
            if value is None and name in ("epochs", "patience", "unfreeze_blocks", "image_size", "probe_views"):
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                problems.append(f"{name} must be a whole number of at least {low}, not {value!r}")
            elif name == "image_size" and value > MAX_IMAGE_SIZE:  # 100000 asked the CPU for 120 GB
                problems.append(f"image_size must be at most {MAX_IMAGE_SIZE}, not {value!r}")
        for name in ("lr", "weight_decay", "backbone_lr_factor", "layer_decay", "clip_seconds"):
            value = getattr(self, name)
            if value is None and name in ("lr", "clip_seconds"):
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                problems.append(f"{name} must be a number of at least 0, not {value!r}")
            elif not math.isfinite(value):  # --lr nan passed every comparison and was trained with
                problems.append(f"{name} must be a finite number, not {value!r}")
        if self.lr is not None and isinstance(self.lr, (int, float)) and self.lr <= 0:
            problems.append("lr must be greater than 0")
        for name in ("label_smoothing", "dropout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < 1:
                problems.append(f"{name} must be at least 0 and below 1, not {value!r}")
        if not (isinstance(self.noise_snr_min, (int, float)) and isinstance(self.noise_snr_max, (int, float))
                and self.noise_snr_min <= self.noise_snr_max):
            problems.append("noise_snr_min must be a number no larger than noise_snr_max")
        if self.from_run is not None and (not isinstance(self.from_run, str) or not self.from_run.strip()):
            problems.append(f"from_run must be a run id or a run folder, not {self.from_run!r}")
        if self.class_map is not None and not (isinstance(self.class_map, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.class_map.items())):
            problems.append(f"class_map must map class names to class names, not {self.class_map!r}")
        if not isinstance(self.label_sets, str):
            problems.append(f"label_sets must be 'all', 'none' or label set names separated by commas, not {self.label_sets!r}")
        if problems:
            raise ConfigError("Invalid training settings: " + "; ".join(problems) + ".")

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"Unknown training settings: {', '.join(unknown)}.")
        return cls(**data)

    @classmethod
    def restored(cls, saved: dict[str, Any]) -> TrainConfig:
        """A config saved by a run: settings added since it was saved take the value that does what
        that run did (``BEFORE_FIELDS``), not today's default."""
        return cls.from_dict({**cls.BEFORE_FIELDS, **saved})

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"The training settings are not valid JSON ({exc}).") from None
        if not isinstance(data, dict):
            raise ConfigError("The training settings must be a JSON object.")
        return cls.from_dict(data)

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def with_mode_defaults(self, mode: str, modality: str = "image") -> TrainConfig:
        """This config for a concrete mode, with the mode's defaults where a field is None."""
        defaults = (TEXT_MODE_DEFAULTS if modality == "text" else {}).get(mode) or MODE_DEFAULTS[mode]
        return self.replace(
            mode=mode,
            epochs=self.epochs if self.epochs is not None else defaults["epochs"],
            lr=self.lr if self.lr is not None else defaults["lr"],
            patience=self.patience if self.patience is not None else defaults["patience"],
        )
