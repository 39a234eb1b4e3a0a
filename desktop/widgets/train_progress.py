"""The run at a glance: epoch, progress through the run, items per second, ETA and the best so far
(for a multi-task run, each extra label set's validation accuracy at that best epoch too)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget


def set_accuracies(values: dict[str, float]) -> str:
    """{label set: accuracy 0..1} as "mark 95.0% · size 88.2%" (a set without validation samples: –)."""
    return " · ".join(f"{name} {100 * acc:.1f}%" if acc == acc else f"{name} –" for name, acc in values.items())


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class TrainProgress(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setProperty("role", "card")
        self.values: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        row = QHBoxLayout()
        row.setSpacing(18)
        for key, caption in (("epoch", "Epoch"), ("speed", "Items / s"), ("eta", "Time left"),
                             ("best", "Best val. acc."), ("device", "Device")):
            value = QLabel("–")
            value.setProperty("role", "heading")
            value.setObjectName(f"progress_{key}")
            cap = QLabel(caption)
            cap.setProperty("role", "muted")
            col = QVBoxLayout()
            col.setSpacing(0)
            col.addWidget(value)
            col.addWidget(cap)
            row.addLayout(col)
            self.values[key] = value
            self.captions[key] = cap
        row.addStretch(1)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 10, 18, 12)
        layout.setSpacing(8)
        layout.addLayout(row)
        self.sets_label = QLabel()  # multi-task: the extra label sets at the best epoch
        self.sets_label.setProperty("role", "muted")
        self.sets_label.setWordWrap(True)
        self.sets_label.setToolTip("Validation accuracy of each extra label set at the best epoch (multi-task: "
                                   "the best epoch has the best mean accuracy over the sets)")
        layout.addWidget(self.sets_label)
        layout.addWidget(self.bar)
        self.clear()

    def clear(self) -> None:
        self.captions["best"].setText("Best val. acc.")
        for label in self.values.values():
            label.setText("–")
            label.setToolTip("")
        self.sets_label.setText("")
        self.sets_label.hide()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)

    def start(self, e) -> None:
        self.values["device"].setText(e.device.split(" (")[0][:28])
        self.values["device"].setToolTip(f"{e.device}, {e.precision}")
        self.values["epoch"].setText(f"{e.resumed_from_epoch} / {e.config.get('epochs', '?')}")

    def batch(self, b, epochs: int, eta: float | None) -> None:
        self.values["speed"].setText(f"{b.items_per_s:,.0f}")
        self.values["eta"].setText(duration(eta))
        self.values["epoch"].setText(f"{b.epoch} / {epochs or '?'}")
        if epochs:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * ((b.epoch - 1) + b.batch / max(b.batches, 1)) / epochs))

    def epoch(self, e) -> None:
        self.values["epoch"].setText(f"{e.epoch} / {e.epochs}")
        if e.stage.startswith("linear probe"):  # solved: its accuracy is a cross-validated estimate
            self.captions["best"].setText("Est. accuracy")
            self.values["best"].setToolTip(e.stage)
        if e.is_best:
            # no estimate (no labels, or a class with a single one): a dash, not "nan%"
            self.values["best"].setText(f"{100 * e.val_acc:.1f}%" if e.val_acc == e.val_acc else "–")
            if e.label_sets_val_acc:
                self.sets_label.setText(f"Other label sets at the best epoch: {set_accuracies(e.label_sets_val_acc)}")
                self.sets_label.show()
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(1000 * e.epoch / max(e.epochs, 1)))

    def embed_progress(self, e) -> None:
        """A probe's embeddings (events.EmbedProgress): the bar, the rate and the time left."""
        self.bar.setRange(0, max(e.total, 1))
        self.bar.setValue(e.done)
        if e.per_second:
            self.values["speed"].setText(f"{e.per_second:,.0f}")
        self.values["eta"].setText(duration(e.seconds_left))

    def fewshot_progress(self, done: int, total: int) -> None:
        """Embedding the labelled samples for a few-shot model."""
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def built_finish(self, status: str, leave_one_out: float | None = None) -> None:
        """A model built without epochs (few-shot, zero-shot) is saved (or was stopped); a few-shot
        model's leave-one-out accuracy, where it has one, is its score."""
        self.values["device"].setText("CPU")
        self.values["eta"].setText("done" if status == "completed" else "stopped")
        if leave_one_out is not None:
            self.values["best"].setText(f"{100 * leave_one_out:.1f}%")
            self.values["best"].setToolTip("Leave-one-out: each example classified by the others")
        if status == "completed":
            self.bar.setRange(0, 1)
            self.bar.setValue(1)

    def finish(self, e) -> None:
        self.values["eta"].setText("done" if e.status != "cancelled" else "stopped")
        if e.status != "cancelled":
            self.bar.setValue(self.bar.maximum())
