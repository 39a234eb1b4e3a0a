"""The settings of a training run: the mode (one sentence each), the basics up front, the rest folded.

Empty means "choose for me" (the engine fills it from the mode and the data); ``config()`` builds
the TrainConfig, which validates everything. The few-shot and zero-shot modes take none of these
settings, so choosing one greys out every setting but the backbone.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QLabel, QLineEdit, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

MODES = {
    "auto": "Picks probe, fine-tune or full from how much data there is and the device, and says why.",
    "probe": ("Keeps the backbone frozen and solves a new last layer on its features, choosing its "
              "regularisation and features by cross-validation: seconds, and best with little data."),
    "finetune": "Trains the last layer, then also the top blocks of the backbone at a gentler rate.",
    "full": "Trains every layer (deeper layers more gently): the most accurate with lots of data, the slowest.",
    "fewshot": "No training: each class becomes the average of its labelled examples. Ready in seconds, "
               "from one example per class.",
    "zeroshot": "Learns attribute detectors from the classes described on the Label page (Describe…), so a "
                "class described but never shown is recognised too. Seconds.",
}
FEWSHOT, ZEROSHOT = "fewshot", "zeroshot"


def spin(low, high, value, special: str | None = None, step=1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSingleStep(step)
    if special:
        box.setSpecialValueText(special)
    return box


def choice(items: list[tuple[str, str]], current: str) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    box.setCurrentIndex(max(box.findData(current), 0))
    return box


class TrainSettings(QWidget):
    mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.mode = choice([("Auto", "auto"), ("Linear probe", "probe"), ("Fine-tune", "finetune"),
                            ("Full training", "full"), ("Few-shot (instant, no training)", FEWSHOT),
                            ("Zero-shot (by attributes)", ZEROSHOT)], "auto")
        self.mode_hint = QLabel()
        self.mode_hint.setProperty("role", "muted")
        self.mode_hint.setWordWrap(True)
        self.mode_hint.setText(MODES["auto"])
        self.epochs = spin(0, 1000, 0, "Auto")
        self.batch_size = spin(1, 4096, 32)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(0.0, 1.0)
        self.lr.setSingleStep(0.0005)
        self.lr.setSpecialValueText("Auto")
        self.augment = choice([("None", "none"), ("Light", "light"), ("Strong", "strong")], "light")
        self.device = QComboBox()
        self.device.addItem("Automatic", "auto")
        self.device.addItem("CPU", "cpu")

        basic = QFormLayout()
        basic.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        basic.setHorizontalSpacing(14)
        basic.addRow("Mode", self.mode)
        basic.addRow("", self.mode_hint)
        basic.addRow("Epochs", self.epochs)
        basic.addRow("Batch size", self.batch_size)
        basic.addRow("Learning rate", self.lr)
        basic.addRow("Augmentation", self.augment)
        basic.addRow("Device", self.device)

        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("Advanced settings")
        self.advanced_toggle.setObjectName("FoldToggle")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.toggled.connect(self._fold)
        self.advanced = QFrame()
        self.schedule = choice([("One-cycle", "onecycle"), ("Cosine", "cosine")], "onecycle")
        self.balance = choice([("Weight the loss", "loss"), ("Resample", "sampler"), ("None", "none")], "loss")
        self.patience = spin(-1, 1000, -1, "Auto")
        self.patience.setToolTip("Epochs without improvement before stopping early; 0 never stops early")
        self.smoothing = QDoubleSpinBox()
        self.smoothing.setRange(0.0, 0.5)
        self.smoothing.setSingleStep(0.05)
        self.smoothing.setValue(0.1)
        self.weight_decay = QDoubleSpinBox()
        self.weight_decay.setDecimals(5)
        self.weight_decay.setRange(0.0, 1.0)
        self.weight_decay.setValue(1e-4)
        self.unfreeze = spin(-1, 100, -1, "Auto")
        self.image_size = spin(7, 1024, 7, "Backbone's own")
        self.seed = spin(0, 2**31 - 1, 0)
        self.pretrained = QCheckBox("Start from pretrained weights")
        self.pretrained.setChecked(True)
        self.unlabelled = QCheckBox("Learn from unlabelled samples too")
        self.unlabelled.setChecked(True)
        self.unlabelled.setToolTip("A probe with few labelled samples a class also learns from the project's unlabelled "
                                   "samples (their guessed classes are never saved as labels), where cross-validation "
                                   "on the labelled ones shows that it helps; the log says what it used, or why not")
        self.from_run = QLineEdit()
        self.from_run.setPlaceholderText("none: the backbone's own weights")
        self.from_run.setToolTip("An earlier run to start from: its id in this project, or its folder (runs/<id>) in "
                                 "any project. Its classes carry over; a project with no labels keeps its classes")
        self.adapt = QCheckBox("Adapt it to this project's samples")
        self.adapt.setChecked(True)
        self.adapt.setToolTip("A probe from an earlier run re-measures its batch-norm statistics on this project's "
                              "samples and self-trains on the unlabelled ones, where cross-validation on the labels "
                              "shows it helps (always, with no labels); the log says what it used, or why not")
        adv = QFormLayout(self.advanced)
        adv.setContentsMargins(0, 4, 0, 0)
        adv.setHorizontalSpacing(14)
        for label, w in (("Schedule", self.schedule), ("Class balance", self.balance), ("Stop early after", self.patience),
                         ("Label smoothing", self.smoothing), ("Weight decay", self.weight_decay),
                         ("Unfrozen blocks", self.unfreeze), ("Image size", self.image_size), ("Seed", self.seed),
                         ("", self.pretrained), ("", self.unlabelled), ("Start from run", self.from_run),
                         ("", self.adapt)):
            adv.addRow(label, w)
        self.advanced.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(basic)
        layout.addWidget(self.advanced_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.advanced)
        self.mode.currentIndexChanged.connect(lambda _i: self._mode_changed())

    def is_fewshot(self) -> bool:
        return self.mode.currentData() == FEWSHOT

    def is_zeroshot(self) -> bool:
        return self.mode.currentData() == ZEROSHOT

    def _mode_changed(self) -> None:
        self.mode_hint.setText(MODES[self.mode.currentData()])
        training = not (self.is_fewshot() or self.is_zeroshot())
        for widget in (self.epochs, self.batch_size, self.lr, self.augment, self.device, self.advanced_toggle,
                       self.advanced):
            widget.setEnabled(training)
        if not training:
            self.advanced_toggle.setChecked(False)
        self.mode_changed.emit(self.mode.currentData())

    def _fold(self, open_: bool) -> None:
        self.advanced.setVisible(open_)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """(text, device setting) pairs, e.g. ("NVIDIA H100 (cuda:0)", "cuda:0"); Automatic stays first."""
        keep = self.device.currentData()
        self.device.clear()
        self.device.addItem("Automatic", "auto")
        for text, value in devices:
            self.device.addItem(text, value)
        self.device.setCurrentIndex(max(self.device.findData(keep), 0))

    def config(self, backbone: str | None):
        """A TrainConfig (raises core's ConfigError with a sentence when a value is not allowed)."""
        from core.train import TrainConfig

        return TrainConfig(
            backbone=backbone, mode=self.mode.currentData(), epochs=self.epochs.value() or None,
            batch_size=self.batch_size.value(), lr=self.lr.value() or None, augment=self.augment.currentData(),
            device=self.device.currentData(), schedule=self.schedule.currentData(), balance=self.balance.currentData(),
            patience=None if self.patience.value() < 0 else self.patience.value(),
            label_smoothing=self.smoothing.value(), weight_decay=self.weight_decay.value(),
            unfreeze_blocks=None if self.unfreeze.value() < 0 else self.unfreeze.value(),
            image_size=None if self.image_size.value() < 8 else self.image_size.value(),
            seed=self.seed.value(), pretrained=self.pretrained.isChecked(),
            unlabelled="use" if self.unlabelled.isChecked() else "ignore",
            from_run=self.from_run.text().strip() or None, adapt="auto" if self.adapt.isChecked() else "off",
        )
